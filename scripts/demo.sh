#!/usr/bin/env bash
# The main job on a fresh machine: set up, then run the demo until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/examples/demo.js "$@"
