#!/usr/bin/env bash
# Submits a grid as a Slurm job array of TASKS tasks and its report job after it:
#   scripts/slurm/submit.sh GRID TASKS [OUT] [-- sbatch options…]
#   SEEDS=0,1,2 scripts/slurm/submit.sh paper-table3 8 runs/paper-table3 -- --partition=cpu
# Each task runs one shard of the grid (sweep.sbatch); the report job (report.sbatch) starts
# when every task has ended, whether or not each succeeded, and lists missing runs. Prints the
# two job ids. DML_LAB (the binary) defaults to the release build of this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
grid="${1:?GRID}" tasks="${2:?TASKS}" out="${3:-runs/$(basename "${1%.json}")}"
shift $(( $# < 3 ? $# : 3 ))
[[ "${1:-}" == -- ]] && shift
source scripts/env.sh
export GRID="$grid" OUT="$out" SEEDS="${SEEDS:-}" SWEEP_FLAGS="${SWEEP_FLAGS:-}"
export DML_LAB="${DML_LAB:-$CARGO_TARGET_DIR/release/dml-lab}"
[[ -x $DML_LAB ]] || { echo "submit: no binary at $DML_LAB (cargo build --release)" >&2; exit 1; }
mkdir -p "$out/slurm"
array=$(sbatch --parsable --array="0-$((tasks - 1))" --export=ALL \
  --output="$out/slurm/sweep-%A_%a.out" "$@" scripts/slurm/sweep.sbatch)
report=$(sbatch --parsable --dependency="afterany:$array" --export=ALL \
  --output="$out/slurm/report-%j.out" "$@" scripts/slurm/report.sbatch)
echo "array $array ($tasks tasks), report $report; results in $out/, report in $out/report/"
