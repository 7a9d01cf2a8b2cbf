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
# The encode stage's bitstream parser under ASan+UBSan.
make -C encoder --silent check
# The Python package (pytest exits 5 when it collects nothing: that fails the run too).
(cd python && /usr/bin/python3 -m pytest -q -p no:cacheprovider tests)
npm run lint --silent
# The API reference: every public function, option and error code documented (warnings fail).
npm run docs --silent
