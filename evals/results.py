"""What a task returns: metrics with uncertainty, per-sample records, and the provenance of its items."""
from __future__ import annotations

import dataclasses
from typing import Any

from evals.stats import Estimate


@dataclasses.dataclass
class TaskResult:
    """Output of one task's `run(model, items, cfg)`.

    metrics: name -> Estimate. Names are "/"-separated paths, e.g. "misalignment_rate",
      "misalignment_rate/split=article", "misaligned_rate/judge=rubric"; the suite prefixes the task name.
    samples: one JSON-serialisable dict per scored unit (an MCQA item, a chat sample, an agentic episode),
      each with at least "item_id" and "score"; written to samples_<task>.jsonl.
    item_files: path -> sha256 of every file the items came from.
    info: anything else worth recording in results.json (scoring mode, judge name, counts of skipped items).
    """

    task: str
    metrics: dict[str, Estimate]
    samples: list[dict[str, Any]]
    item_files: dict[str, str] = dataclasses.field(default_factory=dict)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
