#!/usr/bin/env bash
# Fuzzes every parser of untrusted input with cargo-fuzz (libFuzzer, nightly Rust):
#   idx (MNIST files), npy, npz (OrganAMNIST archives), link (URL query strings + JSON configs).
# The kept corpus (fuzz/corpus/<target>) grows with what the fuzzer finds and is minimised
# (cargo fuzz cmin) after each full run; fuzz/seeds is
# regenerated from the code each time. tests/fuzz_corpus.rs replays fuzz/corpus on stable Rust.
#
# Usage: scripts/fuzz.sh [--runs N] [--smoke] [--record] [target...]
#   --runs N   executions per target (default 1000000, the issue's bar)
#   --smoke    a short run for CI: 20000 executions per target, the corpus left as it was
#   --record   write the results table into docs/robustness.md (between its fuzz markers)
# Limits per input: 10 s (a hang), 64 MB for any single allocation, 1 GB resident in all.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1000000 smoke=0 record=0 targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) shift; runs="$1" ;;
    --smoke) smoke=1; runs=20000 ;;
    --record) record=1 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ ${#targets[@]} -gt 0 ]] || targets=(idx npy npz link)
say() { printf '\033[1mfuzz:\033[0m %s\n' "$*"; }

if ! command -v c++ >/dev/null; then
  # libfuzzer-sys compiles libFuzzer (C++).
  if [[ $(id -u) == 0 ]]; then
    say "installing g++ (apt) for libFuzzer"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
  else
    echo "fuzz: a C++ compiler is missing; run: sudo apt-get install g++" >&2
    exit 1
  fi
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  say "installing the nightly toolchain (cargo-fuzz needs it for libFuzzer's instrumentation)"
  rustup toolchain install nightly --profile minimal
fi
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]]; then
  say "installing cargo-fuzz 0.13.2 (cargo install, ~1 min)"
  cargo install --locked cargo-fuzz --version 0.13.2
fi

cd fuzz
unset CARGO_TARGET_DIR # fuzz/target: instrumented builds must not mix with the main ones
cargo +nightly run --quiet --release --bin seed-corpus
mkdir -p logs
rows=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if [[ $smoke == 1 ]]; then
    # Read the kept corpus, write nothing back: a scratch folder takes the new inputs.
    scratch=$(mktemp -d)
    dirs=("$scratch" "corpus/$t" "seeds/$t")
  else
    dirs=("corpus/$t" "seeds/$t")
  fi
  say "$t: $runs executions"
  start=$(date +%s)
  # -O -a: optimised, with debug assertions and overflow checks (an overflow is a finding).
  if ! cargo +nightly fuzz run -O -a "$t" "${dirs[@]}" -- \
      -runs="$runs" -timeout=10 -malloc_limit_mb=64 -rss_limit_mb=1024 \
      -print_final_stats=1 >"logs/$t.log" 2>&1; then
    tail -n 40 "logs/$t.log"
    echo "fuzz: target $t failed (crash, hang or memory limit); the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  seconds=$(( $(date +%s) - start ))
  [[ $smoke == 1 ]] && rm -rf "$scratch"
  done_runs=$(grep -oE 'Done [0-9]+ runs' "logs/$t.log" | grep -oE '[0-9]+' | tail -1)
  peak=$(grep -oE 'stat::peak_rss_mb:[[:space:]]*[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "logs/$t.log" | tail -1 | grep -oE '[0-9]+')
  if [[ $smoke == 0 ]]; then
    # Keep only the inputs that add coverage (what goes into git).
    cargo +nightly fuzz cmin -O -a "$t" "corpus/$t" -- -rss_limit_mb=1024 -timeout=10 >"logs/cmin-$t.log" 2>&1
  fi
  files=$(find "corpus/$t" -type f | wc -l)
  rows+=("| \`$t\` | $done_runs | $seconds | 0 | $peak | $cov | $files |")
  say "$t: $done_runs runs in ${seconds}s, peak RSS ${peak} MB, coverage $cov, corpus $files files"
done

table=$(
  echo "| target | executions | seconds | crashes / hangs | peak RSS (MB) | coverage (edges) | corpus files (after cmin) |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"
if [[ $record == 1 ]]; then
  cd ..
  stamp="$(date -u +%F) on $(nproc) cores, \`scripts/fuzz.sh --runs $runs\`, $(rustc +nightly --version | cut -d' ' -f1-2)"
  python3 - "$table" "$stamp" <<'PY'
import sys, re
table, stamp = sys.argv[1], sys.argv[2]
path = "docs/robustness.md"
text = open(path).read()
block = f"<!-- fuzz:begin -->\n{stamp}:\n\n{table}\n<!-- fuzz:end -->"
new, n = re.subn(r"<!-- fuzz:begin -->.*?<!-- fuzz:end -->", lambda m: block, text, flags=re.S)
if n != 1:
    sys.exit("docs/robustness.md has no fuzz markers")
open(path, "w").write(new)
PY
  say "recorded in docs/robustness.md"
fi
