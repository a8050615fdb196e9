#!/usr/bin/env bash
# A grid on a real Slurm (scripts/test.sh runs this): a one-node cluster on this machine
# (scripts/slurm/local-cluster.sh), a small grid (6 short runs) as a job array of 3 tasks with
# its report job after it (scripts/slurm/submit.sh), one task requeued mid-run (killed and
# started again), then the merged report must equal the same grid swept on one machine: the
# same runs, the same numbers (the CPU is deterministic per seed), nothing missing.
# Fails with the reason when Slurm cannot start. Stops the daemons it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bin="$CARGO_TARGET_DIR/release/dml-lab"
[[ -x $bin ]] || { echo "slurm test: build the release binary first (cargo build --release)" >&2; exit 1; }
work="$(mktemp -d /tmp/dml-lab-slurm.XXXXXX)"
cluster="$work/cluster"
trap 'scripts/slurm/local-cluster.sh stop "$cluster" >/dev/null 2>&1 || true' EXIT
say() { echo "slurm test: $*"; }

cat >"$work/grid.json" <<'JSON'
{"name": "slurm-test",
 "base": {"dataset": "mnist", "model": "dml", "lsdim": 4, "epochs": 1, "steps_per_epoch": 40,
          "batch_size": 64},
 "groups": [{"pl": [1, 10], "seed": [0, 1, 2]}]}
JSON
flags="--probes knn"

start=$SECONDS
# shellcheck disable=SC2086
"$bin" sweep --grid "$work/grid.json" --out "$work/one" $flags >"$work/one.log" 2>&1
"$bin" report "$work/one"/*.json --out "$work/one/report" >/dev/null
say "one machine: $(ls "$work/one"/*.json | wc -l) runs in $((SECONDS - start)) s"

start=$SECONDS
eval "$(scripts/slurm/local-cluster.sh start "$cluster")"
say "cluster up in $((SECONDS - start)) s: $(sinfo -h -o '%N, %c CPUs, %T')"
out="$work/slurm"
start=$SECONDS
submitted=$(SWEEP_FLAGS="$flags" DML_LAB="$bin" scripts/slurm/submit.sh "$work/grid.json" 3 "$out" -- --cpus-per-task=1)
say "$submitted"
array=$(echo "$submitted" | sed -n 's/^array \([0-9]*\) .*/\1/p')
report=$(echo "$submitted" | sed -n 's/.*, report \([0-9]*\);.*/\1/p')

# Requeue task 1 once it is running and has begun its first run (killed mid-run, restarted).
victim="${array}_1"
for _ in $(seq 1 300); do
  state=$(squeue -h -j "$victim" -o '%T' 2>/dev/null || true)
  [[ $state == RUNNING ]] && grep -q "dml-lab sweep" "$out/slurm/sweep-${array}_1.out" 2>/dev/null && break
  sleep 0.2
done
sleep 1
scontrol requeue "$victim"
# Slurm holds a requeued job back for two minutes (its begin time); once it is pending again,
# let it start at once.
for _ in $(seq 1 100); do
  [[ $(squeue -h -j "$victim" -o '%T' 2>/dev/null) == PENDING ]] && break
  sleep 0.1
done
scontrol update jobid="$victim" StartTime=now
say "requeued $victim while $state"

for _ in $(seq 1 900); do
  squeue -h -j "$array,$report" 2>/dev/null | grep -q . || break
  sleep 1
done
if squeue -h -j "$array,$report" 2>/dev/null | grep -q .; then
  say "the jobs did not end in 15 min"; squeue; exit 1
fi
say "array and report ended in $((SECONDS - start)) s"

fail() { say "FAILED: $*"; tail -n 20 "$out"/slurm/*.out >&2 || true; exit 1; }
grep -q "restart 1" "$out/slurm/sweep-${array}_1.out" || fail "task 1 was not restarted"
[[ -f "$out/report/report.md" ]] || fail "no merged report"
[[ ! -s "$out/report/missing.txt" ]] || fail "runs missing: $(cat "$out/report/missing.txt")"
ls "$out"/*.partial >/dev/null 2>&1 && fail "a half-written run was left as .partial"
cmp -s "$work/one/report/report.csv" "$out/report/report.csv" ||
  fail "the merged report differs from the one-machine report: $(diff "$work/one/report/report.csv" "$out/report/report.csv")"
python3 - "$work/one" "$out" <<'PY' || fail "a run's numbers differ"
import json, pathlib, sys
one, slurm = (pathlib.Path(p) for p in sys.argv[1:])
names = sorted(p.name for p in one.glob("*.json"))
assert names == sorted(p.name for p in slurm.glob("*.json")), "different runs"
for n in names:
    a, b = (json.loads((d / n).read_text())["metrics"]["knn"] for d in (one, slurm))
    assert a == b, f"{n}: {a} != {b}"
print(f"slurm test: {len(names)} runs, the same kNN accuracy and AMI on one machine and on Slurm")
PY
# A run that never finished (a task cancelled for good) is listed by the report, which still
# merges the others.
cp -r "$out" "$work/partial"
rm -rf "$work/partial/report" "$work/partial/pl-10_seed-2.json"
GRID="$work/grid.json" OUT="$work/partial" SWEEP_FLAGS="$flags" DML_LAB="$bin" \
  scripts/slurm/report.sbatch >"$work/partial.log" 2>&1 || fail "the report failed on a missing run"
[[ $(cat "$work/partial/report/missing.txt") == pl-10_seed-2 ]] ||
  fail "missing.txt: $(cat "$work/partial/report/missing.txt")"
grep -q "^## Missing runs (1)" "$work/partial/report/report.md" || fail "report.md does not list the missing run"
say "passed"
