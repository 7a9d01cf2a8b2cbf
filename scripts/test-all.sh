#!/usr/bin/env bash
# The one command that sets up a fresh machine and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# Every TypeScript test, the VM lab, and the conformance suite across TypeScript, C and Python.
npm test --silent
# libvidbus: unit and hostile-memory tests under ASan+UBSan, a bounded libFuzzer run, valgrind.
make -C libvidbus --silent check
make -C libvidbus --silent fuzz FUZZ_SECONDS=${VIDBUS_FUZZ_SECONDS:-60}
make -C libvidbus --silent valgrind
# The encode stage: its bitstream parser under ASan+UBSan and libFuzzer, then the
# encode tests again against the whole helper built with the sanitizers; any
# report (libx265's own allocation aside: encoder/tests/lsan.supp) fails the run.
make -C encoder --silent check san
make -C encoder --silent fuzz FUZZ_SECONDS=${VIDBUS_FUZZ_SECONDS:-20}
san_logs=encoder/build/san-logs
rm -rf "$san_logs" && mkdir -p "$san_logs"
ASAN_OPTIONS=log_path=$PWD/$san_logs/asan UBSAN_OPTIONS=log_path=$PWD/$san_logs/ubsan LSAN_OPTIONS=suppressions=$PWD/encoder/tests/lsan.supp:print_suppressions=0 \
  VIDBUS_ENCODE_HELPER=$PWD/encoder/build/san/vidbus-encode node scripts/run-tests.mjs dist/encoder
if compgen -G "$san_logs/*" >/dev/null; then cat "$san_logs"/*; echo "vidbus-encode: sanitizer reports above" >&2; exit 1; fi
# The Python package (pytest exits 5 when it collects nothing: that fails the run too).
(cd python && /usr/bin/python3 -m pytest -q -p no:cacheprovider tests)
npm run lint --silent
# The API reference: every public function, option and error code documented (warnings fail).
npm run docs --silent
