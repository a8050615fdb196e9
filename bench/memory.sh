#!/usr/bin/env bash
# Time per step and peak memory per image size and model, natively (release build, flex on
# every core): for each MedMNIST+ size a synthetic npz of 1000 training and 200 test images
# (`make-npz --size`), then one short run of every model with its defaults; prints a Markdown
# table with the run's estimate (pipeline::memory) beside its measured peak resident memory.
#   bench/memory.sh                          (sizes 28 64 128 224, every model, MLP encoder)
#   SIZES="224" MODELS="dml metric-vae" ENCODER=conv STEPS=5 bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="${BENCH_OUT:-$DML_LAB_CACHE/bench/memory}"
mkdir -p "$out"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/dml-lab"
sizes="${SIZES:-28 64 128 224}"
models="${MODELS:-dml dml-ae dml-unit-prior dml-gmm-prior metric-vae ae vae}"
encoder="${ENCODER:-mlp}"
steps="${STEPS:-10}"
rows="$out/rows.tsv"
: >"$rows"
for size in $sizes; do
  npz="$out/organ$size.npz"
  [ -f "$npz" ] || "$bin" make-npz --out "$npz" --train 1000 --val 0 --test 200 --size "$size" 2>/dev/null
  for model in $models; do
    log="$out/$size-$model-$encoder.log"
    json="$out/$size-$model-$encoder.json"
    if "$bin" train --dataset organamnist --data "$npz" --model "$model" --encoder "$encoder" \
      --epochs 1 --steps-per-epoch "$steps" --probes knn --json "$json" >"$log" 2>&1; then
      printf '%s\t%s\t%s\t%s\n' "$size" "$model" "$json" "$log" >>"$rows"
    else
      printf '%s\t%s\t-\t%s\n' "$size" "$model" "$log" >>"$rows"
    fi
  done
done
python3 - "$rows" "$encoder" <<'EOF'
import json, re, sys
rows, encoder = sys.argv[1], sys.argv[2]
print(f"| image | model | encoder | s / step | estimated | peak (resident) | estimate ÷ peak |")
print("|---|---|---|---|---|---|---|")
for line in open(rows):
    size, model, js, log = line.rstrip("\n").split("\t")
    text = open(log).read()
    if js == "-":
        last = text.strip().splitlines()[-1] if text.strip() else "failed"
        print(f"| {size}×{size} | {model} | {encoder} | – | – | – | {last[:160]} |")
        continue
    step = json.load(open(js))["timings"]["seconds_per_step"]
    m = re.search(r"peak memory \(resident\): (\d+) MiB \(estimated before the run: (\d+) MiB\)", text)
    peak, est = int(m.group(1)), int(m.group(2))
    print(f"| {size}×{size} | {model} | {encoder} | {step:.3f} | {est} MiB | {peak} MiB | {est / peak:.2f} |")
EOF
echo "($(nproc) cores; 1000 train / 200 test synthetic images, 1 epoch of $steps steps, kNN probe; logs in $out)"
