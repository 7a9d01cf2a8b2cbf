#!/usr/bin/env bash
# The example consumer and producer under valgrind's memcheck: no leak, no
# invalid access, across a stream from start to end (and the consumer sees
# the producer close). Exit status 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
name="t-valgrind-$$"
vg=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1)
# The consumer first, following: it waits for the producer, reads until the
# producer closes, then gives up after 3 s without a new one.
"${vg[@]}" ./build/vidbus-consume "$name" -e -f -t 3000 -j > /tmp/vidbus-valgrind-consume.$$ &
consumer=$!
sleep 1
"${vg[@]}" ./build/vidbus-produce "$name" -s 64x48 -f NV12 -r 50 -n 100 -m > /tmp/vidbus-valgrind-produce.$$
wait $consumer
frames=$(grep -c '"type":"frame"' /tmp/vidbus-valgrind-consume.$$ || true)
rm -f /tmp/vidbus-valgrind-produce.$$ /tmp/vidbus-valgrind-consume.$$
if ls /dev/shm | grep -q "$name"; then echo "valgrind: files left in /dev/shm" >&2; exit 1; fi
[ "$frames" -ge 10 ] || { echo "valgrind: the consumer received only $frames frames" >&2; exit 1; }
echo "valgrind: producer and consumer clean ($frames frames)"
