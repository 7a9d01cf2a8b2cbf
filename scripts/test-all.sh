#!/usr/bin/env bash
# The one command that sets up a fresh machine and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
npm test --silent
npm run lint --silent
# The API reference: every public function, option and error code documented (warnings fail).
npm run docs --silent
