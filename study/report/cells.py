"""The numbers in the report's tables: one rate per run (or a mean over seeds), one difference per pair of runs.

A `Cell` is a rate with its 95% interval read from results.json (or from rl/eval_log.jsonl); several seeds of
one arm become a mean with a t interval across seeds. A `DiffCell` is a difference a - b between two arms:
paired on the same samples (clustered t interval, cluster sign-flip p) where per-sample scores exist, otherwise
an unpaired two-proportion comparison; or the paired change of such a difference between two eval points, or
with vs without the item's own passage (the passage-ablation control). Absent data is a status, never an
exception: "missing" (the stage or file is not there yet), "not measured" (the run ran, without this metric) or
"not measurable" (results.json marks the metric as failing its competence gate, e.g. the agent took no valid
action: its value is no measurement, so no mean, difference or verdict is built from it; `detail` holds the
reason).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from evals.stats import Z95, two_proportion_test, wilson_interval
from study.report.measures import Measure
from study.report.runs import LogPoint, Run
from study.report.samples import PairedResult, SampleRecord, ablated_view, pair_changes, pair_samples
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


@dataclasses.dataclass
class DiffRow:
    """One comparison a - b of one measure at one eval point (or one change between two): per seed pair, and the
    mean over pairs when there are several."""

    arm_a: str
    arm_b: str
    measure: str
    stage: str
    per_seed: list[tuple[int, DiffCell]]
    aggregate: DiffCell | None

    def headline(self) -> DiffCell:
        if self.aggregate is not None:
            return self.aggregate
        ok = [c for _, c in self.per_seed if c.status == OK]
        return ok[0] if ok else (self.per_seed[0][1] if self.per_seed else DiffCell(MISSING))


def diff_row(a: str, b: str, measure_key: str, stage: str, per_seed: Sequence[tuple[int, DiffCell]]) -> DiffRow:
    return DiffRow(a, b, measure_key, stage, list(per_seed), aggregate_diffs([c for _, c in per_seed]))


def run_cell(run: Run, measure: Measure, stage: str) -> Cell:
    """The measure's rate in `run` at eval point `stage`, as results.json reports it."""
    result = run.result(stage)
    if result is None:
        return Cell(MISSING, detail=f"no {run.folder_of(stage)}/results.json")
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
    if max(values) == min(values):   # no spread across seeds is no interval (see aggregate_diffs)
        return Cell(OK, si.mean, None, None, None, si.stderr, "t over seeds (zero variance across seeds: no "
                    "interval)", n_seeds=si.n_seeds)
    # A rate lies in [0, 1]; with few seeds the t interval easily reaches past either end.
    low, high = max(0.0, si.ci_low), min(1.0, si.ci_high)
    return Cell(OK, si.mean, low, high, None, si.stderr, "t over seeds (clipped to [0, 1])", n_seeds=si.n_seeds)


def gated_diff(cells: Sequence[tuple[Run, Cell]]) -> DiffCell | None:
    """A not-measurable difference when either side is not measurable, naming which and why."""
    gated = dict.fromkeys(f"{run.name}: {cell.detail}" for run, cell in cells if cell.status == NOT_MEASURABLE)
    return DiffCell(NOT_MEASURABLE, detail="; ".join(gated)) if gated else None


def _measured_samples(pairs: Sequence[tuple[Run, str]], measure: Measure, ablated: bool
                      ) -> tuple[list[list[SampleRecord]] | None, DiffCell | None]:
    """The measure's samples of each (run, stage), or the cell that says why there are none."""
    gated = gated_diff([(run, run_cell(run, measure, stage)) for run, stage in pairs])
    if gated is not None:
        return None, gated
    found = [(run, stage, run.samples(stage, measure.task)) for run, stage in pairs]
    absent = sorted({f"{run.folder_of(stage)}/samples_{measure.task}.jsonl for {run.name}"
                     for run, stage, s in found if s is None})
    if absent:
        return None, DiffCell(MISSING, detail=f"no {'; '.join(absent)}")
    out = [[s for s in samples if measure.sample_filter(s)] for _, _, samples in found]
    if ablated:
        out = [ablated_view(records) for records in out]
    if not any(out):
        what = "passage-ablated " if ablated else ""
        return None, DiffCell(NOT_MEASURED, detail=f"no {what}{measure.key} samples")
    return out, None


def _cell_of(result: PairedResult, unscored: str = "no sample scored in every run and eval point") -> DiffCell:
    if result.difference is None:
        return DiffCell(MISSING, unscored=result.unscored, unpaired=result.unpaired, detail=unscored)
    d = result.difference
    # The sign-flip test over clusters (over items when there are none, where it equals McNemar's exact test).
    return DiffCell(OK, d.mean_diff, _clean(d.ci_low), _clean(d.ci_high), d.n, _clean(d.stderr), d.p_value,
                    d.p_method, d.only_a, d.only_b, result.unscored, result.unpaired, degenerate=d.degenerate)


def change_cell(run_a: Run, run_b: Run, measure: Measure, pre: str, post: str) -> DiffCell:
    """How a - b changed from eval point `pre` to `post`: per item ((a_post - b_post) - (a_pre - b_pre))."""
    samples, why = _measured_samples([(run_a, post), (run_b, post), (run_a, pre), (run_b, pre)], measure, False)
    return why if samples is None else _cell_of(pair_changes(*samples))


def passage_dependence_cell(run_a: Run, run_b: Run, measure: Measure, stage: str) -> DiffCell:
    """How much of a - b needs the item's own passage: per item ((a - b) - (a_ablated - b_ablated))."""
    samples, why = _measured_samples([(run_a, stage), (run_b, stage)], measure, False)
    if samples is None:
        return why
    ablated = [ablated_view(records) for records in samples]
    if not all(ablated):
        return DiffCell(NOT_MEASURED, detail="no passage-ablated samples (eval.passage_ablation off?)")
    return _cell_of(pair_changes(samples[0], samples[1], *ablated))


def paired_cell(run_a: Run, run_b: Run, measure: Measure, stage: str, ablated: bool = False) -> DiffCell:
    """Paired difference a - b of the measure's per-sample scores at eval point `stage` (with `ablated`: of the
    scores with another scenario's passage, the passage-ablation control)."""
    samples, why = _measured_samples([(run_a, stage), (run_b, stage)], measure, ablated)
    if samples is None:
        return why
    return _cell_of(pair_samples(*samples), "no sample scored in both runs")


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
    # Every pair giving the same difference is chance at two or three seeds (two seeds both at +0.3 points
    # happened), not certainty: a zero-width interval would "exclude 0" and count as a difference.
    same = max(values) == min(values)
    return DiffCell(OK, si.mean, si.ci_low, si.ci_high, None, si.stderr, None, "t over seeds",
                    n_seeds=si.n_seeds, degenerate="zero variance across seeds" if same else None)
