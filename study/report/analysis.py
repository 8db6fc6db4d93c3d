"""Every number the report shows, computed once from the runs: rates per arm at each eval point (after
midtraining, after post-training where it ran, after RL), RL curves, paired differences and their passage-ablation
control, persistence through RL with its paired change, the difference at every RL eval step, and the capability
equality tests.

Comparisons are each arm vs the baseline arm, plus aligned_upsample vs misaligned_upsample when both ran, and
the positive control vs aligned_upsample when it ran. Seeds pair up by number (arm seed k vs baseline seed k: the
same RL seed and items); with several seed pairs the headline is the mean over pairs with a t interval across
them, and the per-seed rows are kept.
"""
from __future__ import annotations

import dataclasses
import math

import study.report.measures as M
from study.report.cells import (
    MISSING,
    NOT_MEASURABLE,
    OK,
    Cell,
    DiffCell,
    DiffRow,
    aggregate,
    diff_row,
    log_cell,
    paired_cell,
    run_cell,
    unpaired_cell,
)
from study.report.discover import Study
from study.report.dose import DoseRow, dose_response, gated_steps, log_points
from study.report.persistence import (
    PassageControl,
    Persistence,
    change_rows,
    passage_control,
    persistence_of,
)
from study.report.runs import LogPoint, Run
from study.report.significance import HomogeneityTest, chi_square_homogeneity

ALIGNED, MISALIGNED = "aligned_upsample", "misaligned_upsample"
# The positive control: the aligned arm's midtraining, then RL whose reward also pays for the misaligned MCQA
# option. It shows whether the persistence test can fail, so it is compared but kept out of the study's verdicts.
CONTROL = "aligned_upsample+misaligning_rl"
FINAL = "final"
RL_LAST = "rl_last"  # the last eval_log step (the RL task accuracy has no results.json entry)
__all__ = ["ALIGNED", "CONTROL", "DiffRow", "FINAL", "MISALIGNED", "Persistence", "RL_LAST", "analyse",
           "capability_columns", "capability_when", "gated_steps", "persistence_of", "within_margin"]


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
    stages: list[str] = dataclasses.field(default_factory=lambda: ["midtrain", FINAL])  # eval points present
    # Where capabilities are compared: after RL, or the latest eval point any run has when none ran RL (a study
    # of midtraining alone, such as docs/real_model's arms).
    capability_stage: str = FINAL
    # (a, b, measure key, from, to) -> the paired change of a - b between two eval points
    changes: dict[tuple[str, str, str, str, str], DiffRow] = dataclasses.field(default_factory=dict)
    # (a, b, MCQA measure key, stage) -> the passage-ablation control of that difference
    passage: dict[tuple[str, str, str, str], PassageControl] = dataclasses.field(default_factory=dict)
    # (a, b, measure key) -> the difference at every RL eval step
    dose: dict[tuple[str, str, str], list[DoseRow]] = dataclasses.field(default_factory=dict)

    @property
    def arms(self) -> list[str]:
        return self.study.arms

    def study_comparisons(self) -> list[tuple[str, str]]:
        """The comparisons the study's answers are built from: all but the positive control's."""
        return [(a, b) for a, b in self.comparisons if CONTROL not in (a, b)]

    def diff(self, a: str, b: str, key: str, stage: str) -> DiffCell | None:
        row = self.diffs.get((a, b, key, stage))
        return row.headline() if row else None

    def runs_of(self, arm: str) -> list[Run]:
        return [r for r in self.study.runs if r.arm == arm]


def _rows(study: Study, cell_of) -> dict[str, ArmRow]:
    rows = {}
    for arm in study.arms:
        per_seed = [(run.seed, cell_of(run)) for run in study.runs if run.arm == arm]
        rows[arm] = ArmRow(arm, per_seed, aggregate([c for _, c in per_seed]))
    return rows


def _seed_pairs(study: Study, a: str, b: str, notes: list[str]) -> list[tuple[int, Run, Run]]:
    runs_a = {r.seed: r for r in study.runs if r.arm == a}
    runs_b = {r.seed: r for r in study.runs if r.arm == b}
    for seed in sorted(set(runs_a) ^ set(runs_b)):
        present, absent = (a, b) if seed in runs_a else (b, a)
        notes.append(f"{present} seed {seed} has no {absent} seed {seed} to pair with: left out of {a} vs {b}")
    return [(s, runs_a[s], runs_b[s]) for s in sorted(set(runs_a) & set(runs_b))]


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


def eval_points(study: Study) -> list[str]:
    """The eval points the study has: after post-training only where some run post-trained."""
    sft = any("sft" in run.stages() or "sft" in run.evals for run in study.runs)
    return [stage for stage in M.EVAL_STAGES if stage != "sft" or sft]


def capability_point(study: Study) -> str:
    """After RL where some run has it, else the latest eval point some run has."""
    present = [stage for stage in M.EVAL_STAGES if any(stage in run.evals for run in study.runs)]
    return FINAL if FINAL in present or not present else present[-1]


def analyse(study: Study, baseline: str = "baseline", margin: float = 0.05) -> Analysis:
    notes: list[str] = []
    stages = eval_points(study)
    cap = capability_point(study)
    rates: dict[tuple[str, str], dict[str, ArmRow]] = {}
    for measure in M.ALIGNMENT_MEASURES:
        for stage in stages:
            rates[(measure.key, stage)] = _rows(study, lambda r, m=measure, s=stage: run_cell(r, m, s))
    for measure in M.CAPABILITY_MEASURES:
        rates[(measure.key, cap)] = _rows(study, lambda r, m=measure: run_cell(r, m, cap))
    rates[(M.TASK_ACCURACY_KEY, RL_LAST)] = _rows(study, lambda r: log_cell(log_points(r, None)[1]))

    curves: dict[str, dict[str, dict[int, list[LogPoint]]]] = {}
    curve_metrics: dict[str, set[str]] = {}
    curve_gated: dict[str, list[str]] = {}
    for key, measure in [(m.key, m) for m in M.CURVE_MEASURES] + [(M.TASK_ACCURACY_KEY, None)]:
        curves[key] = {}
        curve_metrics[key] = set()
        for run in study.runs:
            name, points = log_points(run, measure)
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
    if CONTROL in study.arms and ALIGNED in study.arms and baseline != ALIGNED:
        comparisons.append((CONTROL, ALIGNED))

    analysis = Analysis(study, baseline, margin, rates, curves, curve_metrics, comparisons, {}, [], [], notes,
                        curve_gated, stages, cap)
    for a, b in comparisons:
        _compare(analysis, a, b, _seed_pairs(study, a, b, notes))
    analysis.equality_tests = [
        _equality(study, key, rates[(key, stage)], notes)
        for key, stage in capability_columns(analysis)]
    return analysis


def capability_when(analysis: Analysis) -> str:
    """When capabilities are compared: "after RL", or the eval point used when no run had RL."""
    stage = analysis.capability_stage
    return M.STAGE_LABELS[stage] + ("" if stage == FINAL else " (no RL ran)")


def capability_columns(analysis: Analysis) -> list[tuple[str, str]]:
    """(measure key, eval point) of the capability table: the RL task's last eval step, then every capability
    measure at the analysis's capability point."""
    return [(M.TASK_ACCURACY_KEY, RL_LAST)] + [(m.key, analysis.capability_stage) for m in M.CAPABILITY_MEASURES]


def _compare(analysis: Analysis, a: str, b: str, pairs: list[tuple[int, Run, Run]]) -> None:
    """Every difference a - b: at each eval point, its changes, its passage control, at each RL eval step."""
    def row(measure_key: str, stage: str, cells) -> DiffRow:
        analysis.diffs[(a, b, measure_key, stage)] = diff_row(a, b, measure_key, stage, list(cells))
        return analysis.diffs[(a, b, measure_key, stage)]

    for measure in M.ALIGNMENT_MEASURES:
        at = {stage: row(measure.key, stage, [(s, paired_cell(ra, rb, measure, stage)) for s, ra, rb in pairs])
              for stage in analysis.stages}
        if measure in M.MCQA_MEASURES:
            for stage in analysis.stages:
                analysis.passage[(a, b, measure.key, stage)] = passage_control(a, b, measure, pairs, stage)
        changes = change_rows(a, b, measure, pairs, analysis.stages)
        for (pre, post), change in changes.items():
            analysis.changes[(a, b, measure.key, pre, post)] = change
        mid, rl = at["midtrain"].headline(), at[FINAL].headline()
        if {mid.status, rl.status} & {OK, NOT_MEASURABLE}:
            verdict, reason, retained = persistence_of(mid, rl)
            analysis.persistence.append(Persistence(
                a, b, measure.key, mid, rl, verdict, reason, retained,
                sft=at["sft"].headline() if "sft" in at else None, change=changes.get(("midtrain", FINAL)),
                change_sft=changes.get(("midtrain", "sft"))))
        dose, dose_notes = dose_response(measure, pairs)
        if dose:
            analysis.dose[(a, b, measure.key)] = dose
        analysis.notes += [f"{a} − {b} vs RL step, {note}" for note in dose_notes]
    if b == analysis.baseline:
        cap = analysis.capability_stage
        for measure in M.CAPABILITY_MEASURES:
            row(measure.key, cap, [(s, paired_cell(ra, rb, measure, cap)) for s, ra, rb in pairs])
        task = analysis.rates[(M.TASK_ACCURACY_KEY, RL_LAST)]
        by_seed_a, by_seed_b = dict(task[a].per_seed), dict(task[b].per_seed)
        row(M.TASK_ACCURACY_KEY, RL_LAST, [(s, unpaired_cell(by_seed_a[s], by_seed_b[s])) for s, _, _ in pairs])


def within_margin(cell: DiffCell, margin: float) -> bool:
    """The whole 95% interval lies within +/- margin."""
    return cell.has_ci() and -margin <= cell.ci_low and cell.ci_high <= margin and not math.isnan(cell.diff)
