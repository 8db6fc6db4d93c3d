"""What a task returns: metrics with uncertainty, per-sample records, the provenance of its items, and which
of its metrics are not measurable.

A metric is not measurable when the model failed the task's competence gate (it took no valid action, or
wrote word salad): its value would read as 0% and mean nothing. The task still computes the number (it
stays in results.json beside the mark, for debugging), but results.json marks it
`{"not_measurable": true, "reason": "valid actions 0/20"}`, the CLI table and the study report print
"not measurable (valid actions 0/20)" in its place, and the metric log gets a `<metric>/not_measurable` line
at that step so curves leave the point out.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from evals.stats import Estimate

# A setting is measurable when at least this share of its units shows the competence it needs.
MIN_COMPETENT_SHARE = 0.5
NOT_MEASURABLE_SUFFIX = "/not_measurable"


@dataclasses.dataclass
class TaskResult:
    """Output of one task's `run(model, items, cfg)`.

    metrics: name -> Estimate. Names are "/"-separated paths, e.g. "misalignment_rate",
      "misalignment_rate/split=article", "misaligned_rate/judge=rubric"; the suite prefixes the task name.
    samples: one JSON-serialisable dict per scored unit (an MCQA item, a chat sample, an agentic episode),
      each with at least "item_id" and "score"; written to samples_<task>.jsonl.
    item_files: path -> sha256 of every file the items came from.
    info: anything else worth recording in results.json (scoring mode, judge name, counts of skipped items).
    not_measurable: metric name -> why it is not measurable (e.g. "valid actions 0/20"); a subset of metrics.
    """

    task: str
    metrics: dict[str, Estimate]
    samples: list[dict[str, Any]]
    item_files: dict[str, str] = dataclasses.field(default_factory=dict)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    not_measurable: dict[str, str] = dataclasses.field(default_factory=dict)


def competence_gate(what: str, competent: int, total: int, share: float = MIN_COMPETENT_SHARE) -> str | None:
    """None when at least `share` of `total` units were competent, else the reason, e.g. "valid actions 3/20"."""
    if total > 0 and competent >= share * total:
        return None
    return f"{what} {competent}/{total}"


def mark_not_measurable(results: dict, task_results: list[TaskResult]) -> dict:
    """Mark the gated metrics in a results.json document (in place; also returned)."""
    for result in task_results:
        metrics = results["results"].get(result.task, {})
        for name, reason in result.not_measurable.items():
            if name in metrics:
                metrics[name].update({"not_measurable": True, "reason": reason})
    return results


def not_measurable_metrics(task_results: list[TaskResult]) -> list[tuple[str, str, int]]:
    """(metric log name "<task>/<metric>/not_measurable", reason, n) for every gated metric."""
    return [(f"{r.task}/{name}{NOT_MEASURABLE_SUFFIX}", reason, r.metrics[name].n if name in r.metrics else 0)
            for r in task_results for name, reason in r.not_measurable.items()]
