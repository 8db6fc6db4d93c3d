"""Paired comparison of two runs (two arms, or one arm at two RL steps) on the same items.

    from evals.compare import compare_runs
    diff = compare_runs("runs/aligned", "runs/misaligned", task="mcqa")
    print(diff.mean_diff, diff.ci_low, diff.ci_high, diff.mcnemar_p)

Samples are paired by (subtask, item_id, sample_index) from each run's samples_<task>.jsonl and compared on
their "score". Samples without a score (e.g. a refused chat answer) cannot be paired; they are counted in
`PairedComparison.unscored`, never dropped silently. Items present in only one run are an error.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from evals.stats import PairedDifference, paired_difference


@dataclasses.dataclass(frozen=True)
class PairedComparison:
    difference: PairedDifference  # mean(a - b) over paired samples
    unscored: int  # pairs left out because either run has no score for the sample


def _key(sample: dict) -> tuple:
    return (sample.get("subtask"), sample["item_id"], sample.get("sample_index", 0))


def load_scores(path: str | Path) -> dict[tuple, float | None]:
    """(subtask, item_id, sample_index) -> score, from a samples_<task>.jsonl file."""
    path = Path(path)
    scores: dict[tuple, float | None] = {}
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            sample = json.loads(line)
            key = _key(sample)
            score = sample["score"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path} line {line_number}: expected a sample with item_id and score ({error})") from None
        if key in scores:
            raise ValueError(f"{path} line {line_number}: duplicate sample {key}")
        scores[key] = score
    return scores


def compare_runs(dir_a: str | Path, dir_b: str | Path, task: str) -> PairedComparison:
    """Paired difference a - b of per-sample scores for `task`; the two runs must cover the same samples."""
    a = load_scores(Path(dir_a) / f"samples_{task}.jsonl")
    b = load_scores(Path(dir_b) / f"samples_{task}.jsonl")
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b), key=str)[:3], sorted(set(b) - set(a), key=str)[:3]
        raise ValueError(f"runs {dir_a} and {dir_b} scored different {task} samples "
                         f"(only in a: {only_a}..., only in b: {only_b}...); compare runs over the same items")
    keys = sorted(a, key=str)
    paired = [k for k in keys if a[k] is not None and b[k] is not None]
    difference = paired_difference([a[k] for k in paired], [b[k] for k in paired])
    return PairedComparison(difference, unscored=len(keys) - len(paired))
