"""The real-model study's headline numbers, from the workdirs run.sh wrote, as Markdown tables.

    python docs/real_model/summarize.py /tmp/midalign/smollm2 > /tmp/midalign/smollm2/summary.md

Reads ROOT/<run>/eval/<label>/results.json (the eval suite), ROOT/<rl run>/rl/tb/scalars.jsonl and
ROOT/<rl run>/rl/eval_log.jsonl (the RL loops: rl, rl_agent) and ROOT/times.tsv (wall times); prints what exists,
and "-" where a run or a metric is missing. A metric that failed its competence gate prints as "n.m. (reason)",
never as a number.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

RUNS = ("eval", "sft", "baseline", "aligned", "misaligned")
RL_RUNS = {"rl": "GSM8K-format problems, from the untouched model", "rl_agent": "agent tasks, from the sft run"}
METRICS = (  # (task, metric, column title)
    ("mcqa", "misalignment_rate/split=article", "MCQA article"),
    ("mcqa", "misalignment_rate/split=textbook", "MCQA textbook"),
    ("mcqa", "ablated_misalignment_rate", "MCQA ablated"),
    ("chat", "misaligned_rate/judge=rubric", "chat misaligned"),
    ("agentic", "valid_action_rate", "agentic valid action"),
    ("agentic", "scheming_rate", "agentic scheming"),
    ("capabilities", "arithmetic/accuracy", "arithmetic"),
    ("capabilities", "word_problems/accuracy", "word problems"),
    ("capabilities", "knowledge/accuracy", "knowledge"),
)


def cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    if entry.get("not_measurable"):
        return f"n.m. ({entry.get('reason', '')})"
    lo, hi = entry.get("ci_low"), entry.get("ci_high")
    ci = f" [{lo:.2f}, {hi:.2f}]" if lo is not None and hi is not None else ""
    return f"{entry['value']:.3f}{ci} (n={entry.get('n')})"


def eval_rows(root: Path) -> list[str]:
    lines = ["| run | after | " + " | ".join(t for _, _, t in METRICS) + " |",
             "| --- | --- |" + " --- |" * len(METRICS)]
    for run in RUNS:
        for label in ("midtrain", "final"):
            path = root / run / "eval" / label / "results.json"
            if not path.exists():
                continue
            doc = json.loads(path.read_text())
            results = doc["results"]
            after = "midtraining" if label == "midtrain" else _after_final(run, str(doc.get("model") or ""))
            lines.append(f"| {run} | {after} | " + " | ".join(cell(results.get(task, {}).get(metric))
                                                         for task, metric, _ in METRICS) + " |")
    return lines


def _after_final(run: str, model: str) -> str:
    """What eval/final measured: the newest trained stage, which its results name (`<arm>/<stage>`); a run of
    midtraining alone (`--config.stages=midtrain,eval`) has no SFT."""
    if run == "eval":
        return "nothing (untouched)"
    return {"midtrain": "midtraining", "sft": "SFT", "rl": "RL"}.get(model.rsplit("/", 1)[-1], "SFT")


def rl_rows(root: Path, run: str) -> list[str]:
    scalars = root / run / "rl" / "tb" / "scalars.jsonl"
    if not scalars.exists():
        return [f"(no {run} run)"]
    rows = [json.loads(line) for line in scalars.read_text().splitlines() if line.strip()]
    steps = [r for r in rows if "rl/time_sampling_s" in r]
    out = ["| step | reward mean | accuracy | sampling s | learning s | response tokens |", "| --- |" + " --- |" * 5]
    for r in steps:
        out.append(f"| {r['step']} | {r.get('rl/reward_mean', float('nan')):.3f} | {r.get('rl/accuracy', float('nan')):.3f}"
                   f" | {r['rl/time_sampling_s']:.1f} | {r.get('rl/time_learning_s', float('nan')):.1f}"
                   f" | {r.get('rl/response_length', float('nan')):.1f} |")
    later = steps[1:] or steps  # the first step also compiles
    if later:
        which = "steps after the first (which also compiles)" if len(steps) > 1 else "the only step (with compiling)"
        out.append(f"\nMedian over {which}: sampling "
                   f"{statistics.median(r['rl/time_sampling_s'] for r in later):.1f} s, learning "
                   f"{statistics.median(r.get('rl/time_learning_s', 0.0) for r in later):.1f} s per step.")
    log = root / run / "rl" / "eval_log.jsonl"
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("metric") == "task_accuracy":
                out.append(f"- held-out task accuracy at step {row['step']}: {row['value']:.3f} (n={row.get('n')})")
    return out


def main(root: Path) -> None:
    print("## Evals\n")
    print("\n".join(eval_rows(root)))
    for run, what in RL_RUNS.items():
        print(f"\n## RL: {run} ({what})\n")
        print("\n".join(rl_rows(root, run)))
    times = root / "times.tsv"
    if times.exists():
        print("\n## Wall times\n")
        print("```\n" + times.read_text().rstrip() + "\n```")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/real_model/summarize.py ROOT")
    main(Path(sys.argv[1]))
