"""Per-sample scores from `samples_<task>.jsonl`, reduced to what pairing across arms needs.

Samples pair across runs by (subtask, item_id, sample_index), the key `evals.compare` uses. The report pairs
within a measure's subset (one MCQA split, the non-control agentic episodes, ...), so the reader keeps the
fields those subsets are defined by, plus a cluster label (the MCQA scenario, the chat prompt) for the
cluster-robust standard error of the paired difference.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Sequence

from evals.stats import PairedDifference, difference_in_differences, paired_difference
from study.report.errors import ReportInputError


@dataclasses.dataclass(frozen=True)
class SampleRecord:
    key: tuple  # (subtask, item_id, sample_index)
    score: float | None  # None: not scored (e.g. a refused chat answer)
    cluster: str  # items that share it are not independent
    kind: str | None = None  # MCQA: "alignment" or "knowledge"
    split: str | None = None  # MCQA: "article", "textbook", ...
    subtask: str | None = None  # capabilities: "arithmetic", "word_problems", "knowledge"
    control: bool = False  # agentic control variants
    ablated: float | None = None  # MCQA: the score with another scenario's passage (the passage-ablation control)


def read_samples(path: Path) -> list[SampleRecord]:
    """Every sample in a samples_<task>.jsonl file; a bad line is an error naming the file and line."""
    records: list[SampleRecord] = []
    seen: dict[tuple, int] = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
                key = (sample.get("subtask"), sample["item_id"], sample.get("sample_index", 0))
                score = sample["score"]
            except json.JSONDecodeError as error:
                raise ReportInputError(f"{path} line {line_number}: not valid JSON ({error.msg}); expected one "
                                       "sample object per line") from None
            except (KeyError, TypeError, AttributeError):
                raise ReportInputError(f"{path} line {line_number}: expected a sample object with 'item_id' and "
                                       "'score'") from None
            if score is not None and not isinstance(score, (int, float)):
                raise ReportInputError(f"{path} line {line_number}: 'score' must be a number or null, "
                                       f"got {score!r}")
            if key in seen:
                raise ReportInputError(f"{path} line {line_number}: duplicate sample {key} (first on line "
                                       f"{seen[key]})")
            seen[key] = line_number
            cluster = sample.get("scenario_id") or f"{key[0]}:{key[1]}"
            ablated = sample.get("ablated")
            ablated_score = ablated.get("score") if isinstance(ablated, dict) else None
            if ablated_score is not None and not isinstance(ablated_score, (int, float)):
                raise ReportInputError(f"{path} line {line_number}: 'ablated.score' must be a number or null, "
                                       f"got {ablated_score!r}")
            records.append(SampleRecord(
                key=key, score=None if score is None else float(score), cluster=str(cluster),
                kind=sample.get("kind"), split=sample.get("split"), subtask=sample.get("subtask"),
                control=bool(sample.get("control", False)),
                ablated=None if ablated_score is None else float(ablated_score)))
    return records


@dataclasses.dataclass(frozen=True)
class PairedResult:
    """a - b on the samples both runs scored."""

    difference: PairedDifference | None  # None when no sample could be paired
    unscored: int  # pairs left out because either run has no score
    unpaired: int  # samples present in one run only


def pair_samples(a: Sequence[SampleRecord], b: Sequence[SampleRecord]) -> PairedResult:
    """Paired difference of scores a - b, clustered by a's cluster labels.

    Samples present in only one run cannot be paired; they are counted in `unpaired` (the report shows the
    count) rather than failing the whole report, since arms evaluated with different item limits still share
    most items.
    """
    by_key_a = {r.key: r for r in a}
    by_key_b = {r.key: r for r in b}
    common = sorted(set(by_key_a) & set(by_key_b), key=str)
    unpaired = len(by_key_a) + len(by_key_b) - 2 * len(common)
    scored = [k for k in common if by_key_a[k].score is not None and by_key_b[k].score is not None]
    if not scored:
        return PairedResult(None, unscored=len(common), unpaired=unpaired)
    diff = paired_difference([by_key_a[k].score for k in scored], [by_key_b[k].score for k in scored],
                             clusters=[by_key_a[k].cluster for k in scored])
    return PairedResult(diff, unscored=len(common) - len(scored), unpaired=unpaired)


def ablated_view(records: Sequence[SampleRecord]) -> list[SampleRecord]:
    """The records that were also asked with another scenario's passage, scored as asked that way."""
    return [dataclasses.replace(r, score=r.ablated) for r in records if r.ablated is not None]


def pair_changes(a_post: Sequence[SampleRecord], b_post: Sequence[SampleRecord], a_pre: Sequence[SampleRecord],
                 b_pre: Sequence[SampleRecord]) -> PairedResult:
    """Per item ((a_post - b_post) - (a_pre - b_pre)) on the items all four carry, clustered by a_post's labels.

    Pairing on items, not comparing two differences' summaries, is what makes the change's interval narrow
    enough to mean something: an item hard for both arms stays hard at both eval points.
    """
    sets = [{r.key: r for r in records} for records in (a_post, b_post, a_pre, b_pre)]
    common = sorted(set.intersection(*(set(s) for s in sets)), key=str)
    unpaired = len(set.union(*(set(s) for s in sets))) - len(common)
    scored = [k for k in common if all(s[k].score is not None for s in sets)]
    if not scored:
        return PairedResult(None, unscored=len(common), unpaired=unpaired)
    columns = [[s[k].score for k in scored] for s in sets]
    diff = difference_in_differences(*columns, clusters=[sets[0][k].cluster for k in scored])
    return PairedResult(diff, unscored=len(common) - len(scored), unpaired=unpaired)
