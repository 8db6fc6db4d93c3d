"""The numbers in the report's tables: one rate per run (or a mean over seeds), one difference per pair of runs.

A `Cell` is a rate with its 95% interval read from results.json (or from rl/eval_log.jsonl); several seeds of
one arm become a mean with a t interval across seeds. A `DiffCell` is a difference a - b between two arms:
paired on the same samples (McNemar's exact p for 0/1 scores) where per-sample scores exist, otherwise an
unpaired two-proportion comparison. Absent data is a status, never an exception: "missing" (the stage or file
is not there yet), "not measured" (the run ran, without this metric) or "not measurable" (results.json marks
the metric as failing its competence gate, e.g. the agent took no valid action: its value is no measurement,
so no mean, difference or verdict is built from it; `detail` holds the reason).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from evals.stats import Z95, two_proportion_test, wilson_interval
from study.report.measures import Measure
from study.report.runs import LogPoint, Run
from study.report.samples import pair_samples
from study.report.significance import seed_interval

OK, MISSING, NOT_MEASURED, NOT_MEASURABLE = "ok", "missing", "not measured", "not measurable"


def _clean(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


@dataclasses.dataclass
class Cell:
    """A rate for one run, or the mean over seeds (n_seeds set)."""

    status: str = OK
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None  # items or samples behind one run's rate
    stderr: float | None = None
    method: str = ""
    n_seeds: int | None = None
    step: int | None = None  # the RL step a logged value comes from
    detail: str = ""  # why it is missing

    def to_dict(self) -> dict:
        return {k: _clean(v) for k, v in dataclasses.asdict(self).items()}


@dataclasses.dataclass
class DiffCell:
    """a - b between two runs (or the mean over seed pairs, n_seeds set)."""

    status: str = OK
    diff: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None  # pairs (paired) or items of a (unpaired)
    stderr: float | None = None
    p_value: float | None = None
    test: str = ""  # "sign-flip exact (G=36)", "two-proportion z", "t over seeds", ""
    only_a: int | None = None
    only_b: int | None = None
    unscored: int = 0
    unpaired: int = 0
    n_seeds: int | None = None
    detail: str = ""
    degenerate: str | None = None  # "no discordant pairs" / "zero variance": no interval, never "equal"

    def to_dict(self) -> dict:
        return {k: _clean(v) for k, v in dataclasses.asdict(self).items()}

    def has_ci(self) -> bool:
        return self.status == OK and self.degenerate is None and self.ci_low is not None \
            and self.ci_high is not None and not math.isnan(self.ci_low) and not math.isnan(self.ci_high)

    def excludes_zero(self) -> bool:
        return self.has_ci() and (self.ci_low > 0 or self.ci_high < 0)


def run_cell(run: Run, measure: Measure, stage: str) -> Cell:
    """The measure's rate in `run` at eval point `stage`, as results.json reports it."""
    result = run.evals.get(stage)
    if result is None:
        return Cell(MISSING, detail=f"no eval/{stage}/results.json")
    metrics = result.metrics.get(measure.task)
    if not metrics:
        return Cell(NOT_MEASURED, detail=f"task {measure.task} not in results.json")
    name, _ = measure.resolve(metrics, result.task_info.get(measure.task))
    est = metrics[name] if name is not None else {}
    if est.get("not_measurable"):  # before the value: a gated rate over no samples has none
        return Cell(NOT_MEASURABLE, n=est.get("n"), detail=str(est.get("reason") or "competence gate failed"))
    legacy = measure.legacy_gate(metrics) if name is not None else None
    if legacy:
        return Cell(NOT_MEASURABLE, n=est.get("n"), detail=legacy)
    if est.get("value") is None:
        return Cell(NOT_MEASURED, detail=f"no {measure.pattern} in results.json")
    return Cell(OK, est["value"], est.get("ci_low"), est.get("ci_high"), est.get("n"), est.get("stderr"),
                est.get("method", ""))


def log_cell(points: Sequence[LogPoint] | None) -> Cell:
    """The last logged point of an eval_log metric, with a Wilson interval on value * n (a binary accuracy)."""
    if not points:
        return Cell(NOT_MEASURED, detail="not in rl/eval_log.jsonl")
    last = points[-1]
    if last.n:
        low, high = wilson_interval(last.value * last.n, last.n)
        method = "wilson"
    elif last.stderr is not None:
        low, high = last.value - Z95 * last.stderr, last.value + Z95 * last.stderr
        method = "normal"
    else:
        low = high = None
        method = ""
    return Cell(OK, last.value, low, high, last.n, last.stderr, method, step=last.step)


def aggregate(cells: Sequence[Cell]) -> Cell | None:
    """Mean over seeds with a t interval across seeds; None unless at least two seeds have a value. Not
    measurable when any seed is: a mean over the seeds that passed the gate would be a selected sample."""
    gated = [c for c in cells if c.status == NOT_MEASURABLE]
    if gated and len(cells) > 1:
        return Cell(NOT_MEASURABLE, detail=f"{len(gated)} of {len(cells)} seeds: {gated[0].detail}")
    values = [c.value for c in cells if c.status == OK and c.value is not None]
    if len(values) < 2:
        return None
    si = seed_interval(values)
    # A rate lies in [0, 1]; with few seeds the t interval easily reaches past either end.
    low, high = max(0.0, si.ci_low), min(1.0, si.ci_high)
    return Cell(OK, si.mean, low, high, None, si.stderr, "t over seeds (clipped to [0, 1])", n_seeds=si.n_seeds)


def gated_diff(cells: Sequence[tuple[Run, Cell]]) -> DiffCell | None:
    """A not-measurable difference when either side is not measurable, naming which and why."""
    gated = [f"{run.name}: {cell.detail}" for run, cell in cells if cell.status == NOT_MEASURABLE]
    return DiffCell(NOT_MEASURABLE, detail="; ".join(gated)) if gated else None


def paired_cell(run_a: Run, run_b: Run, measure: Measure, stage: str) -> DiffCell:
    """Paired difference a - b of the measure's per-sample scores at eval point `stage`."""
    gated = gated_diff([(run_a, run_cell(run_a, measure, stage)), (run_b, run_cell(run_b, measure, stage))])
    if gated is not None:
        return gated
    samples_a, samples_b = run_a.samples(stage, measure.task), run_b.samples(stage, measure.task)
    absent = [r.name for r, s in ((run_a, samples_a), (run_b, samples_b)) if s is None]
    if absent:
        return DiffCell(MISSING, detail=f"no eval/{stage}/samples_{measure.task}.jsonl for {', '.join(absent)}")
    a = [s for s in samples_a if measure.sample_filter(s)]
    b = [s for s in samples_b if measure.sample_filter(s)]
    if not a and not b:
        return DiffCell(NOT_MEASURED, detail=f"no {measure.key} samples")
    result = pair_samples(a, b)
    if result.difference is None:
        return DiffCell(MISSING, unscored=result.unscored, unpaired=result.unpaired,
                        detail="no sample scored in both runs")
    d = result.difference
    # The sign-flip test over clusters (over items when there are none, where it equals McNemar's exact test).
    return DiffCell(OK, d.mean_diff, _clean(d.ci_low), _clean(d.ci_high), d.n, _clean(d.stderr), d.p_value,
                    d.p_method, d.only_a, d.only_b, result.unscored, result.unpaired, degenerate=d.degenerate)


def unpaired_cell(a: Cell, b: Cell) -> DiffCell:
    """a - b for two binary rates without per-item scores: the two-proportion z-test on value * n."""
    if NOT_MEASURABLE in (a.status, b.status):
        return DiffCell(NOT_MEASURABLE, detail=a.detail if a.status == NOT_MEASURABLE else b.detail)
    if a.status != OK or b.status != OK:
        return DiffCell(MISSING if MISSING in (a.status, b.status) else NOT_MEASURED,
                        detail=a.detail or b.detail)
    if not a.n or not b.n:
        return DiffCell(MISSING, detail="no sample size logged")
    test = two_proportion_test(round(a.value * a.n), a.n, round(b.value * b.n), b.n)
    return DiffCell(OK, test.diff, test.ci_low, test.ci_high, a.n, test.stderr, test.p_value, "two-proportion z")


def aggregate_diffs(cells: Sequence[DiffCell]) -> DiffCell | None:
    """Mean difference over seed pairs with a t interval across them; None unless two pairs have one. Not
    measurable when any pair is."""
    gated = [c for c in cells if c.status == NOT_MEASURABLE]
    if gated and len(cells) > 1:
        return DiffCell(NOT_MEASURABLE, detail=f"{len(gated)} of {len(cells)} seed pairs: {gated[0].detail}")
    values = [c.diff for c in cells if c.status == OK and c.diff is not None]
    if len(values) < 2:
        return None
    si = seed_interval(values)
    return DiffCell(OK, si.mean, si.ci_low, si.ci_high, None, si.stderr, None, "t over seeds",
                    n_seeds=si.n_seeds)
