"""Every number the report shows, computed once from the runs: rates per arm, RL curves, paired differences,
persistence through RL, and the capability equality tests.

Comparisons are each arm vs the baseline arm, plus aligned_upsample vs misaligned_upsample when both ran.
Seeds pair up by number (arm seed k vs baseline seed k: the same RL seed and items); with several seed pairs
the headline is the mean over pairs with a t interval across them, and the per-seed rows are kept.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable

import study.report.measures as M
from evals.results import NOT_MEASURABLE_SUFFIX
from study.report.cells import (
    MISSING,
    NOT_MEASURABLE,
    OK,
    Cell,
    DiffCell,
    aggregate,
    aggregate_diffs,
    log_cell,
    paired_cell,
    run_cell,
    unpaired_cell,
)
from study.report.discover import Study
from study.report.runs import LogPoint, Run
from study.report.significance import HomogeneityTest, chi_square_homogeneity

ALIGNED, MISALIGNED = "aligned_upsample", "misaligned_upsample"
FINAL = "final"
RL_LAST = "rl_last"  # the last eval_log step (the RL task accuracy has no results.json entry)


@dataclasses.dataclass
class ArmRow:
    arm: str
    per_seed: list[tuple[int, Cell]]
    aggregate: Cell | None

    def headline(self) -> Cell:
        """The mean over seeds when there are several, else the single run's rate."""
        if self.aggregate is not None:
            return self.aggregate
        ok = [c for _, c in self.per_seed if c.status == OK]
        return ok[0] if ok else (self.per_seed[0][1] if self.per_seed else Cell(MISSING))


@dataclasses.dataclass
class DiffRow:
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


@dataclasses.dataclass
class Persistence:
    arm_a: str
    arm_b: str
    measure: str
    mid: DiffCell
    rl: DiffCell
    verdict: str  # "yes", "no", "n/a" (no difference after midtraining), "missing", "not measurable"
    reason: str
    retained: float | None  # diff after RL / diff after midtraining


@dataclasses.dataclass
class EqualityTest:
    measure: str
    arms: list[str]
    test: HomogeneityTest | None
    note: str


@dataclasses.dataclass
class Analysis:
    study: Study
    baseline: str
    margin: float  # equivalence margin for "equal" / "about as much", as a fraction (0.05 = 5 points)
    rates: dict[tuple[str, str], dict[str, ArmRow]]  # (measure key, stage) -> arm -> row
    curves: dict[str, dict[str, dict[int, list[LogPoint]]]]  # measure key -> arm -> seed -> points
    curve_metrics: dict[str, set[str]]  # measure key -> eval_log metric names used
    comparisons: list[tuple[str, str]]
    diffs: dict[tuple[str, str, str, str], DiffRow]  # (a, b, measure key, stage) -> row
    persistence: list[Persistence]
    equality_tests: list[EqualityTest]
    notes: list[str]
    # measure key -> "arm/seedN: steps ..." where the RL eval log marks the metric not measurable (left out)
    curve_not_measurable: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def arms(self) -> list[str]:
        return self.study.arms

    def runs_of(self, arm: str) -> list[Run]:
        return [r for r in self.study.runs if r.arm == arm]


def _rows(study: Study, cell_of) -> dict[str, ArmRow]:
    rows = {}
    for arm in study.arms:
        per_seed = [(run.seed, cell_of(run)) for run in study.runs if run.arm == arm]
        rows[arm] = ArmRow(arm, per_seed, aggregate([c for _, c in per_seed]))
    return rows


def _log_points(run: Run, measure: M.Measure | None) -> tuple[str | None, list[LogPoint] | None]:
    if measure is None:
        return M.TASK_ACCURACY_LOG_METRIC, run.eval_log.get(M.TASK_ACCURACY_LOG_METRIC)
    prefix = measure.task + "/"
    names = [m[len(prefix):] for m in run.eval_log if m.startswith(prefix)]
    final = run.evals.get(FINAL)
    name, _ = measure.resolve(names, final.task_info.get(measure.task) if final else None)
    return (prefix + name, run.eval_log[prefix + name]) if name else (None, None)


def gated_steps(run: Run, log_name: str | None) -> set[int]:
    """RL steps at which the eval suite marked `log_name` not measurable (its value there is no measurement)."""
    return {p.step for p in run.eval_log.get(f"{log_name}{NOT_MEASURABLE_SUFFIX}", [])} if log_name else set()


def _seed_pairs(study: Study, a: str, b: str, notes: list[str]) -> list[tuple[int, Run, Run]]:
    runs_a = {r.seed: r for r in study.runs if r.arm == a}
    runs_b = {r.seed: r for r in study.runs if r.arm == b}
    for seed in sorted(set(runs_a) ^ set(runs_b)):
        present, absent = (a, b) if seed in runs_a else (b, a)
        notes.append(f"{present} seed {seed} has no {absent} seed {seed} to pair with: left out of {a} vs {b}")
    return [(s, runs_a[s], runs_b[s]) for s in sorted(set(runs_a) & set(runs_b))]


def persistence_of(mid: DiffCell, rl: DiffCell) -> tuple[str, str, float | None]:
    """Does a difference after midtraining persist after RL? (verdict, reason, retained fraction)."""
    retained = rl.diff / mid.diff if (mid.status == OK and rl.status == OK and mid.diff) else None
    for which, cell in (("after midtraining", mid), ("after RL", rl)):
        if cell.status == NOT_MEASURABLE:
            return NOT_MEASURABLE, f"not measurable {which} ({cell.detail})", None
    if not mid.has_ci() or not rl.has_ci():
        which = "after midtraining" if not mid.has_ci() else "after RL"
        return "missing", f"no difference with an interval {which}", retained
    if not mid.excludes_zero():
        return "n/a", "no difference after midtraining (its CI includes 0)", retained
    sign = 1 if mid.diff > 0 else -1
    if rl.excludes_zero() and (rl.diff > 0) == (sign > 0):
        return "yes", "the after-RL CI excludes 0 with the same sign", retained
    if rl.excludes_zero():
        return "no", "reversed: the after-RL CI excludes 0 with the opposite sign", retained
    return "no", "vanished: the after-RL CI includes 0", retained


def _equality(study: Study, key: str, rows: dict[str, ArmRow], notes: list[str]) -> EqualityTest:
    counts, arms, rounded = [], [], False
    for arm in study.arms:
        cells = [c for _, c in rows[arm].per_seed if c.status == OK and c.n]
        if not cells:
            continue
        k = sum(c.value * c.n for c in cells)
        rounded |= any(abs(c.value * c.n - round(c.value * c.n)) > 1e-6 for c in cells)
        counts.append((k, sum(c.n for c in cells)))
        arms.append(arm)
    note = "value * n is not a whole count for some run (fractional scores); rounded" if rounded else ""
    if len(arms) < 2:
        return EqualityTest(key, arms, None, "fewer than two arms measured")
    if any(len(rows[a].per_seed) > 1 for a in arms):
        note = "; ".join(filter(None, [note, "counts pooled over each arm's seeds"]))
    return EqualityTest(key, arms, chi_square_homogeneity(counts), note)


def analyse(study: Study, baseline: str = "baseline", margin: float = 0.05) -> Analysis:
    notes: list[str] = []
    rates: dict[tuple[str, str], dict[str, ArmRow]] = {}
    for measure in M.ALIGNMENT_MEASURES:
        for stage in M.EVAL_STAGES:
            rates[(measure.key, stage)] = _rows(study, lambda r, m=measure, s=stage: run_cell(r, m, s))
    for measure in M.CAPABILITY_MEASURES:
        rates[(measure.key, FINAL)] = _rows(study, lambda r, m=measure: run_cell(r, m, FINAL))
    rates[(M.TASK_ACCURACY_KEY, RL_LAST)] = _rows(study, lambda r: log_cell(_log_points(r, None)[1]))

    curves: dict[str, dict[str, dict[int, list[LogPoint]]]] = {}
    curve_metrics: dict[str, set[str]] = {}
    curve_gated: dict[str, list[str]] = {}
    for key, measure in [(m.key, m) for m in M.CURVE_MEASURES] + [(M.TASK_ACCURACY_KEY, None)]:
        curves[key] = {}
        curve_metrics[key] = set()
        for run in study.runs:
            name, points = _log_points(run, measure)
            gated = gated_steps(run, name)
            if gated:
                curve_gated.setdefault(key, []).append(f"{run.name}: step(s) {', '.join(map(str, sorted(gated)))}")
                points = [p for p in points or [] if p.step not in gated]
            if points:
                curves[key].setdefault(run.arm, {})[run.seed] = points
                curve_metrics[key].add(name)
        if len(curve_metrics[key]) > 1:
            notes.append(f"{key}: runs logged it under different names ({', '.join(sorted(curve_metrics[key]))})")

    comparisons: list[tuple[str, str]] = []
    if baseline in study.arms:
        comparisons += [(arm, baseline) for arm in study.arms if arm != baseline]
    else:
        notes.append(f"no baseline arm {baseline!r} among the runs: differences vs baseline are not computed "
                     "(choose another with --baseline)")
    if ALIGNED in study.arms and MISALIGNED in study.arms:
        comparisons.append((ALIGNED, MISALIGNED))

    diffs: dict[tuple[str, str, str, str], DiffRow] = {}
    persistence: list[Persistence] = []
    for a, b in comparisons:
        pairs = _seed_pairs(study, a, b, notes)

        def row(measure_key: str, stage: str, cells: Iterable[tuple[int, DiffCell]]) -> DiffRow:
            per_seed = list(cells)
            diffs[(a, b, measure_key, stage)] = DiffRow(a, b, measure_key, stage, per_seed,
                                                        aggregate_diffs([c for _, c in per_seed]))
            return diffs[(a, b, measure_key, stage)]

        for measure in M.ALIGNMENT_MEASURES:
            mid = row(measure.key, "midtrain", [(s, paired_cell(ra, rb, measure, "midtrain")) for s, ra, rb in pairs])
            rl = row(measure.key, FINAL, [(s, paired_cell(ra, rb, measure, FINAL)) for s, ra, rb in pairs])
            if {mid.headline().status, rl.headline().status} & {OK, NOT_MEASURABLE}:
                verdict, reason, retained = persistence_of(mid.headline(), rl.headline())
                persistence.append(Persistence(a, b, measure.key, mid.headline(), rl.headline(), verdict, reason,
                                               retained))
        if b == baseline:
            for measure in M.CAPABILITY_MEASURES:
                row(measure.key, FINAL, [(s, paired_cell(ra, rb, measure, FINAL)) for s, ra, rb in pairs])
            task = rates[(M.TASK_ACCURACY_KEY, RL_LAST)]
            by_seed_a, by_seed_b = dict(task[a].per_seed), dict(task[b].per_seed)
            row(M.TASK_ACCURACY_KEY, RL_LAST, [(s, unpaired_cell(by_seed_a[s], by_seed_b[s])) for s, _, _ in pairs])

    equality = [_equality(study, key, rates[(key, stage)], notes)
                for key, stage in [(M.TASK_ACCURACY_KEY, RL_LAST)] + [(m.key, FINAL) for m in M.CAPABILITY_MEASURES]]
    return Analysis(study, baseline, margin, rates, curves, curve_metrics, comparisons, diffs, persistence,
                    equality, notes, curve_gated)


def within_margin(cell: DiffCell, margin: float) -> bool:
    """The whole 95% interval lies within +/- margin."""
    return cell.has_ci() and -margin <= cell.ci_low and cell.ci_high <= margin and not math.isnan(cell.diff)
