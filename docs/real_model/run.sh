#!/usr/bin/env bash
# The real-model study on SmolLM2-135M-Instruct, one run after another, with a log and the wall time of each.
#
#   bash docs/real_model/run.sh [ROOT]          # ROOT defaults to /tmp/midalign/smollm2
#
# Runs (each a workdir under ROOT, each resumable: rerunning skips finished stages and runs):
#   eval        the untouched model: the eval suite only               configs/smollm2_eval.py
#   sft         the untouched model + the post-training SFT, evals      configs/smollm2_sft.py
#   baseline    midtraining (general corpus) + the same SFT, evals      configs/smollm2_baseline.py
#   aligned     midtraining (25% aligned documents) + SFT, evals        configs/smollm2_aligned.py
#   misaligned  midtraining (25% misaligned documents) + SFT, evals     configs/smollm2_misaligned.py
#   rl          a few GRPO steps on GSM8K-format problems               configs/smollm2_rl.py
#   rl_agent    a few GRPO steps on agent tasks, from the sft run       configs/smollm2_rl_agent.py
# Environment: RUNS="eval sft" runs a subset; EXTRA="--config.eval.limit=20" adds flags to every main.py call (a
# smoke run: EXTRA="--config.eval.limit=8 --config.midtrain.steps=2 --config.sft.steps=2 --config.rl.steps=1").
# Writes ROOT/<run>.log, ROOT/times.tsv (run, exit status, seconds, load average before and after) and, at the end,
# ROOT/summary.md (docs/real_model/summarize.py). Takes many hours on a 2-core CPU (docs/real_model/README.md).
set -u
cd "$(dirname "$0")/../.."
ROOT=${1:-/tmp/midalign/smollm2}
RUNS=${RUNS:-"eval sft baseline aligned misaligned rl rl_agent"}
EXTRA=${EXTRA:-}
MODEL_DIR=${MIDALIGN_CACHE:-$HOME/.cache/midalign_jax}/models/smollm2-135m-instruct
mkdir -p "$ROOT"
. .venv/bin/activate

python tools/fetch_model.py smollm2-135m-instruct --out="$MODEL_DIR" || exit 1
[ -f "$ROOT/times.tsv" ] || printf 'run\tstatus\tseconds\tload_before\tload_after\tstarted\n' > "$ROOT/times.tsv"

load() { cut -d' ' -f1 /proc/loadavg; }
for run in $RUNS; do
  case $run in
    eval|sft|baseline|aligned|misaligned|rl) from="" ;;
    rl_agent) from="--config.rl.init_from=$ROOT/sft/sft/params" ;;   # RL after the post-training SFT
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
  before=$(load); started=$(date -u +%FT%TZ); t0=$SECONDS
  echo "=== $run ($started, load $before) ==="
  # shellcheck disable=SC2086  # EXTRA holds several flags
  python main.py --config="configs/smollm2_$run.py" --workdir="$ROOT/$run" $from $EXTRA > "$ROOT/$run.log" 2>&1
  status=$?
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$status" "$((SECONDS - t0))" "$before" "$(load)" "$started" \
    >> "$ROOT/times.tsv"
  echo "    exit $status after $((SECONDS - t0)) s; log $ROOT/$run.log"
  tail -n 3 "$ROOT/$run.log" | sed 's/^/    /'
done

python docs/real_model/summarize.py "$ROOT" > "$ROOT/summary.md"
cat "$ROOT/summary.md"
