"""Dose-response: the difference between two arms at every RL eval step.

At each step the eval suite ran on the policy (rl/evals/step_<k>/), the difference a - b is paired on items
from the step's samples, exactly as after midtraining and after RL. A step whose samples are absent in either run
falls back to the rl/eval_log.jsonl values, compared unpaired (two-proportion z-test on value * n), and the row
says so. A setting marked not measurable at a step (results.json or the eval log's /not_measurable line) is left
out at that step, with a note.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from evals.results import NOT_MEASURABLE_SUFFIX
from study.report.cells import NOT_MEASURABLE, OK, DiffCell, aggregate_diffs, log_cell, paired_cell, unpaired_cell
from study.report.measures import TASK_ACCURACY_LOG_METRIC, Measure, step_label
from study.report.runs import LogPoint, Run

SAMPLES, EVAL_LOG = "samples", "eval_log"
FINAL = "final"


@dataclasses.dataclass
class DoseRow:
    step: int
    per_seed: list[tuple[int, DiffCell]]
    sources: dict[int, str]  # seed -> SAMPLES (paired on items) or EVAL_LOG (unpaired)
    aggregate: DiffCell | None

    def headline(self) -> DiffCell:
        return self.aggregate if self.aggregate is not None else self.per_seed[0][1]

    def paired(self) -> bool:
        return all(source == SAMPLES for source in self.sources.values())


def log_points(run: Run, measure: Measure | None) -> tuple[str | None, list[LogPoint] | None]:
    """(eval_log metric name, its points) of `measure` in `run` (None: the RL task's held-out accuracy)."""
    if measure is None:
        return TASK_ACCURACY_LOG_METRIC, run.eval_log.get(TASK_ACCURACY_LOG_METRIC)
    prefix = measure.task + "/"
    names = [m[len(prefix):] for m in run.eval_log if m.startswith(prefix)]
    final = run.evals.get(FINAL)
    name, _ = measure.resolve(names, final.task_info.get(measure.task) if final else None)
    return (prefix + name, run.eval_log[prefix + name]) if name else (None, None)


def gated_steps(run: Run, log_name: str | None) -> set[int]:
    """RL steps at which the eval suite marked `log_name` not measurable (its value there is no measurement)."""
    return {p.step for p in run.eval_log.get(f"{log_name}{NOT_MEASURABLE_SUFFIX}", [])} if log_name else set()


def _has_samples(run: Run, step: int, task: str) -> bool:
    return step in run.step_evals and run.samples(step_label(step), task) is not None


def _seed_cells(run_a: Run, run_b: Run, measure: Measure) -> dict[int, tuple[DiffCell, str]]:
    """step -> (difference, source) for one seed pair."""
    logged = []
    for run in (run_a, run_b):
        name, points = log_points(run, measure)
        logged.append(({p.step: p for p in points or []}, gated_steps(run, name)))
    (log_a, gated_a), (log_b, gated_b) = logged
    steps = (set(run_a.step_evals) & set(run_b.step_evals)) | ((set(log_a) | gated_a) & (set(log_b) | gated_b))
    out = {}
    for step in sorted(steps):
        if _has_samples(run_a, step, measure.task) and _has_samples(run_b, step, measure.task):
            out[step] = (paired_cell(run_a, run_b, measure, step_label(step)), SAMPLES)
        elif step in gated_a | gated_b:
            gated = [r.name for r, g in ((run_a, gated_a), (run_b, gated_b)) if step in g]
            out[step] = (DiffCell(NOT_MEASURABLE, detail=f"{', '.join(gated)}: marked in rl/eval_log.jsonl"), EVAL_LOG)
        elif step in log_a and step in log_b:
            out[step] = (unpaired_cell(log_cell([log_a[step]]), log_cell([log_b[step]])), EVAL_LOG)
    return out


def dose_response(measure: Measure, pairs: Sequence[tuple[int, Run, Run]]) -> tuple[list[DoseRow], list[str]]:
    """The rows of a - b at every RL eval step with a measured difference, and notes on steps left out."""
    by_seed = {seed: _seed_cells(ra, rb, measure) for seed, ra, rb in pairs}
    rows, notes = [], []
    for step in sorted({s for cells in by_seed.values() for s in cells}):
        found = [(seed, cells[step]) for seed, cells in by_seed.items() if step in cells]
        gated = [f"seed {seed}: {cell.detail}" for seed, (cell, _) in found if cell.status == NOT_MEASURABLE]
        if gated:  # a mean over the seeds that passed the gate would be a selected sample
            notes.append(f"{measure.label}: not measurable at RL step {step} ({'; '.join(gated)}); left out")
            continue
        ok = [(seed, cell, source) for seed, (cell, source) in found if cell.status == OK]
        if ok:
            rows.append(DoseRow(step, [(seed, cell) for seed, cell, _ in ok], {seed: src for seed, _, src in ok},
                                aggregate_diffs([cell for _, cell, _ in ok])))
    return rows, notes
