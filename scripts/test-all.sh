#!/usr/bin/env bash
# The one command that sets up a fresh machine and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test --silent
npm run lint --silent
# Examples are part of the contract: run each briefly.
node dist/examples/demo.js --seconds 3
