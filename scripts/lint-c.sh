#!/usr/bin/env bash
# Lints the C addon: every file compiles alone with the addon's warnings as
# errors plus extra checks, and the benchmark floor likewise.
set -euo pipefail
cd "$(dirname "$0")/.."
inc=/usr/include/node
[ -d "$inc" ] || inc="$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")"
for f in native/*.c; do
  gcc -std=gnu11 -fsyntax-only -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
    -D_GNU_SOURCE -DNAPI_VERSION=8 -I"$inc" "$f"
done
# jpeg.c again with the codec compiled in, where its headers are installed.
if [ -f /usr/include/turbojpeg.h ]; then
  gcc -std=gnu11 -fsyntax-only -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
    -D_GNU_SOURCE -DNAPI_VERSION=8 -DVB_HAVE_TURBOJPEG -I"$inc" native/jpeg.c
fi
gcc -std=gnu11 -fsyntax-only -Wall -Wextra -Werror bench/c/floor.c
echo "C lint: ok"
