#!/usr/bin/env bash
# Instructions per statement on the path of bench/statement-path.ts (issue #16): node runs under
# callgrind with instrumentation off (and --single-threaded, so JIT tier-up does not depend on
# background threads); after the warm-up it is switched on for N statements only.
#   N=2000 WARMUP=3000 [NAMED=0] bash packages/orm/bench/statement-path-callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
script=${SCRIPT:-packages/orm/bench/statement-path.ts}
dir=$(mktemp -d)
export N=${N:-2000} WARMUP=${WARMUP:-3000} MODE=callgrind
export READY_FILE=$dir/ready GO_FILE=$dir/go DONE_FILE=$dir/done END_FILE=$dir/end
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/cg.%p" \
  node --single-threaded --expose-gc --conditions=@rws/source --import tsx \
  "$script" >"$dir/log" 2>&1 &
pid=$!
until [ -e "$dir/ready" ]; do sleep 1; done
callgrind_control -i on "$pid" >/dev/null
touch "$dir/go"
until [ -e "$dir/done" ]; do sleep 1; done
callgrind_control -i off "$pid" >/dev/null
callgrind_control -d "$pid" >/dev/null
touch "$dir/end"
wait "$pid" || true
total=0
for f in "$dir"/cg.*; do
  t=$(grep -m1 '^totals:' "$f" | awk '{print $2}')
  total=$((total + ${t:-0}))
done
echo "instructions per statement: $((total / N)) (N=$N, $dir)"
