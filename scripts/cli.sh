#!/usr/bin/env bash
# Sets up (if needed) and runs the CLI, e.g.:
#   scripts/cli.sh train --dataset mnist --model dml --pl 10 --lsdim 10 --epochs 3 --seed 0 --json run.json
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-browser >&2
source scripts/env.sh
# The release profile: the tests build the same one, so burn is compiled once.
exec cargo run --release --quiet --bin dml-lab -- "$@"
