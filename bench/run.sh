#!/usr/bin/env bash
# Times dml-lab (release build: flex, the lab's CPU backend, with both cores and with one;
# ndarray for comparison) and the PyTorch reference on this machine, one after the other with
# the same models, batch and steps, at d = 10 and d = 4, and prints the ratio tables.
#   bench/run.sh [--steps N] [--models dml,dml-ae]      (extra flags go to every benchmark)
#   LSDIMS="10" bench/run.sh                            (embedding sizes; default "10 4")
# PyTorch: the python in $PYTHON (default: python3) must import torch and numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
PYTHON="${PYTHON:-python3}"
out="${BENCH_OUT:-$DML_LAB_CACHE/bench}"
mkdir -p "$out"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/dml-lab"
for d in ${LSDIMS:-10 4}; do
  "$PYTHON" bench/torch_bench.py --lsdim "$d" "$@" >"$out/pytorch-cpu-d$d.jsonl"
  "$bin" bench --backend flex --lsdim "$d" "$@" >"$out/flex-d$d.jsonl"
  RAYON_NUM_THREADS=1 "$bin" bench --backend flex --lsdim "$d" "$@" >"$out/flex-1thread-d$d.jsonl"
  "$bin" bench --backend ndarray --lsdim "$d" "$@" >"$out/ndarray-d$d.jsonl"
  echo
  echo "d = $d"
  "$PYTHON" bench/compare.py "$out/pytorch-cpu-d$d.jsonl" "$out/flex-d$d.jsonl" \
    "$out/flex-1thread-d$d.jsonl" "$out/ndarray-d$d.jsonl"
done
echo "(JSON lines in $out; $(nproc) cores, $("$PYTHON" -c 'import torch; print("torch", torch.__version__)'))"
