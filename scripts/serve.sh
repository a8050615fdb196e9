#!/usr/bin/env bash
# Sets up (if needed), builds and serves the lab at http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-browser
source scripts/env.sh
exec trunk serve "$@"
