#!/usr/bin/env bash
# Every benchmark in sequence, with the settings bench/README.md quotes; each prints its table and `speedup:` line,
# and a summary of all the `speedup:` lines comes last. Run it on a quiet machine (nothing else running: any
# line marked "(loaded machine)" is not a figure to quote). Before each benchmark it waits for the load average
# to fall below SETTLE_BELOW (default 0.6; at most SETTLE_MAX = 300 s). About 35-45 minutes on a 2-core CPU.
#
#   bash bench/run_all.sh                 # everything
#   bash bench/run_all.sh train sample    # only the named groups: train, kernels, sample, mcqa, rl, data
#   OUT=/tmp/bench-logs bash bench/run_all.sh   # where each benchmark's full output is kept
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-$(mktemp -d /tmp/midalign-bench-XXXXXX)}
mkdir -p "$OUT"
GROUPS_WANTED=${*:-train kernels sample mcqa rl data}
SETTLE_BELOW=${SETTLE_BELOW:-0.6}
SETTLE_MAX=${SETTLE_MAX:-300}
FAILED=0

settle() {  # wait (at most SETTLE_MAX s) for the 1-minute load average to fall below SETTLE_BELOW: the previous
  # benchmark's own load decays with a one-minute time constant, and a start above 1.0 marks a run "(loaded machine)"
  local waited=0
  while awk -v l="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)" -v t="$SETTLE_BELOW" 'BEGIN {exit !(l >= t)}'; do
    [ "$waited" -ge "$SETTLE_MAX" ] && { echo "load average still $(cut -d' ' -f1 /proc/loadavg) after ${waited} s"; return; }
    sleep 10; waited=$((waited + 10))
  done
  [ "$waited" -gt 0 ] && echo "(waited ${waited} s for the load average to fall below $SETTLE_BELOW)"
}

run() {  # run NAME ARGS...: one benchmark; stdout (table, speedup line) shown and kept, stderr kept in the log
  local name=$1; shift
  settle
  echo; echo "=== $name: $PY $*"
  if ! "$PY" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; then
    echo "FAILED (exit $?): see $OUT/$name.err"; tail -5 "$OUT/$name.err"; FAILED=1
  fi
  cat "$OUT/$name.out"
}
want() { [[ " $GROUPS_WANTED " == *" $1 "* ]]; }

echo "bench/run_all.sh: logs in $OUT; load average now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
if want train; then
  run train_f32_tiny_small  bench/train_throughput.py --preset tiny,small
  run train_f32_135m        bench/train_throughput.py --preset smollm2-135m --steps 3 --warmup 1
  run train_bf16            bench/train_throughput.py --preset small,smollm2-135m --dtype bfloat16 --steps 3 --warmup 1
fi
if want kernels; then
  run kernels               bench/cpu_kernels.py
fi
if want sample; then
  run sample_tiny           bench/sample_throughput.py --preset tiny --rounds 5
  run sample_135m           bench/sample_throughput.py --preset smollm2-135m --rounds 3
fi
if want mcqa; then
  run mcqa_tiny             bench/mcqa_throughput.py --rounds 5
  run mcqa_135m             bench/mcqa_throughput.py --preset smollm2-135m --items 64 --batch 16 --rounds 3
fi
if want rl; then
  run rl_tiny               bench/rl_throughput.py --tokenizer world --steps 6
fi
if want data; then
  run data                  bench/data_throughput.py --runs 3 --batches 10 --seq_len 128
fi

echo; echo "=== summary (ratios from lines marked '(loaded machine)' are not figures)"
for f in "$OUT"/*.out; do
  [ -e "$f" ] || continue
  printf '%-24s %s\n' "$(basename "$f" .out)" "$(grep '^speedup:' "$f" | tail -1)"
done
grep -h '^target not met' "$OUT"/*.out 2>/dev/null || true
exit $FAILED
