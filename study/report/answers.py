"""The study's questions, answered from the numbers with the numbers quoted.

Rules (stated in the report too):
- A difference exists when its 95% CI excludes 0. It persists through RL when the after-RL CI excludes 0 with
  the sign it had after midtraining.
- "About as much" (salience) and "equal" (capabilities) need the CI of the difference to lie within +/- the
  margin (default 5 points); a CI that excludes 0 is a "no"; anything else is inconclusive.
- A setting that failed its competence gate in a run ("not measurable": no valid agentic action, chat word
  salad) gives no difference and no verdict; the answer says it was not measurable instead.
"""
from __future__ import annotations

import dataclasses

import study.report.measures as M
from study.report.analysis import (
    ALIGNED,
    FINAL,
    MISALIGNED,
    RL_LAST,
    Analysis,
    within_margin,
)
from study.report.cells import NOT_MEASURABLE, OK, DiffCell
from study.report.formatting import diff_ci, p_value, retained

YES, NO, INCONCLUSIVE = "yes", "no", "inconclusive"
_LABELS = {m.key: m.label for m in M.ALIGNMENT_MEASURES + M.CAPABILITY_MEASURES}
_LABELS[M.TASK_ACCURACY_KEY] = M.TASK_ACCURACY_LABEL


@dataclasses.dataclass
class Answer:
    key: str
    question: str
    verdict: str
    text: str
    details: list[str]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _p_text(p: float | None) -> str:
    text = p_value(p)
    return text if text.startswith("<") else f"={text}"


def _pts(cell: DiffCell) -> str:
    return f"{diff_ci(cell)} pts"


def _not_measurable_notes(entries) -> list[str]:
    return [f"{p.arm_a} − {p.arm_b}, {_LABELS[p.measure]}: {p.reason}; left out"
            for p in entries if p.verdict == NOT_MEASURABLE]


def _persistence(analysis: Analysis) -> tuple[Answer, Answer]:
    entries = analysis.persistence
    candidates = [p for p in entries if p.verdict in (YES, NO)]
    described = [
        f"{p.arm_a} − {p.arm_b}, {_LABELS[p.measure]}: {_pts(p.mid)} after midtraining, {_pts(p.rl)} after RL "
        f"({retained(p.retained)} retained) — {'persists' if p.verdict == YES else p.reason}"
        for p in candidates] + _not_measurable_notes(entries)
    q1 = "Do the alignment differences made by midtraining persist through RL?"
    if entries and all(p.verdict in ("missing", NOT_MEASURABLE) for p in entries) \
            and any(p.verdict == NOT_MEASURABLE for p in entries):
        first = Answer("persistence", q1, INCONCLUSIVE,
                       "Every setting with paired differences was not measurable in some run (it failed its "
                       "competence gate), so there is no difference to carry through RL.", described)
    elif not entries or all(p.verdict == "missing" for p in entries):
        first = Answer("persistence", q1, INCONCLUSIVE,
                       "No paired difference with intervals both after midtraining and after RL (this needs a "
                       "baseline arm and both eval points).", [])
    elif not candidates:
        first = Answer("persistence", q1, INCONCLUSIVE,
                       "No arm differed from its comparison arm after midtraining (every 95% CI includes 0), so "
                       "there is no difference to carry through RL.", described)
    else:
        kept = [p for p in candidates if p.verdict == YES]
        verdict = YES if kept else NO
        text = (f"Of {len(candidates)} differences present after midtraining (95% CI excludes 0), {len(kept)} "
                f"persist after RL (CI still excludes 0, same sign).")
        first = Answer("persistence", q1, verdict, text, described)

    q2 = "In which settings (MCQA split, chat, agentic) do they persist?"
    details, persisting = [], []
    if not entries:
        return first, Answer("settings", q2, INCONCLUSIVE, "No paired differences to compare.", [])
    for measure in M.ALIGNMENT_MEASURES:
        rows = [p for p in entries if p.measure == measure.key]
        if not rows:
            details.append(f"{measure.label}: no paired difference (not measured, or missing in a run)")
            continue
        kept = [p for p in rows if p.verdict == YES]
        lost = [p for p in rows if p.verdict == NO]
        gated = [p for p in rows if p.verdict == NOT_MEASURABLE]
        if kept:
            persisting.append(measure.label)
        parts = [f"{p.arm_a} − {p.arm_b} {_pts(p.mid)} → {_pts(p.rl)}" for p in kept + lost]
        parts += [f"{p.arm_a} − {p.arm_b} {p.reason.removeprefix(NOT_MEASURABLE + ' ')}" for p in gated]
        status = ("persists" if kept and not lost else "persists for some comparisons" if kept
                  else "does not persist" if lost else NOT_MEASURABLE if gated else "no difference after midtraining")
        details.append(f"{measure.label}: {status}" + (f" ({'; '.join(parts)})" if parts else ""))
    unmeasurable = [m.label for m in M.ALIGNMENT_MEASURES
                    if any(p.measure == m.key and p.verdict == NOT_MEASURABLE for p in entries)]
    gated_note = f" Not measurable (left out): {', '.join(unmeasurable)}." if unmeasurable else ""
    if persisting:
        second = Answer("settings", q2, YES, f"Differences persist in: {', '.join(persisting)}.{gated_note}", details)
    elif candidates:
        second = Answer("settings", q2, NO, f"In none of the measured settings.{gated_note}", details)
    else:
        second = Answer("settings", q2, INCONCLUSIVE,
                        f"No measured setting had a difference after midtraining.{gated_note}", details)
    return first, second


def _salience_at(analysis: Analysis, measure: M.Measure, stage: str) -> tuple[str, str] | None:
    def cell(a: str, b: str) -> DiffCell | None:
        row = analysis.diffs.get((a, b, measure.key, stage))
        return row.headline() if row else None

    al, mis, direct = cell(ALIGNED, analysis.baseline), cell(MISALIGNED, analysis.baseline), cell(ALIGNED, MISALIGNED)
    gated = [c for c in (al, mis, direct) if c is not None and c.status == NOT_MEASURABLE]
    if gated:
        return NOT_MEASURABLE, f"not measurable ({gated[0].detail})"
    if any(c is None for c in (al, mis, direct)):
        return None
    margin = 100 * analysis.margin
    quoted = (f"aligned − baseline {_pts(al)}, misaligned − baseline {_pts(mis)}, aligned − misaligned "
              f"{_pts(direct)}")
    if direct.excludes_zero():  # the direct comparison decides on its own, whatever the others' spread
        more = "aligned" if direct.diff < 0 else "misaligned"
        return NO, f"{more} upsampling lowers misalignment more ({quoted})"
    if not all(c.has_ci() for c in (al, mis, direct)):
        return None  # a degenerate difference (no discordant pairs, zero variance) says nothing more
    lowers_al, lowers_mis = al.ci_high < 0, mis.ci_high < 0
    if lowers_al and lowers_mis and within_margin(direct, analysis.margin):
        return YES, f"both lower it and their difference lies within ±{margin:.0f} points ({quoted})"
    if lowers_al and lowers_mis:
        return INCONCLUSIVE, (f"both lower it, but the CI of their difference is wider than ±{margin:.0f} points "
                              f"({quoted})")
    if not lowers_al and not lowers_mis:
        return INCONCLUSIVE, f"neither arm lowers misalignment vs the baseline ({quoted})"
    which = "aligned" if lowers_al else "misaligned"
    return INCONCLUSIVE, f"only {which} upsampling lowers it detectably and the two do not differ detectably ({quoted})"


def _salience(analysis: Analysis) -> Answer:
    """Answered on the first alignment measure with data: after RL when that is conclusive, else after
    midtraining; the other measures and stages are listed."""
    question = ("Does misaligned upsampling lower misalignment about as much as aligned upsampling "
                "(a salience effect)?")
    details, headline = [], None
    for measure in M.ALIGNMENT_MEASURES:
        found = {stage: _salience_at(analysis, measure, stage) for stage in (FINAL, "midtrain")}
        for stage, result in found.items():
            if result is not None:
                verdict = "" if result[0] == NOT_MEASURABLE else f"{result[0]}: "
                details.append(f"{measure.label}, {M.STAGE_LABELS[stage]}: {verdict}{result[1]}")
        measured = {s: r for s, r in found.items() if r is not None and r[0] != NOT_MEASURABLE}
        if headline is None and measured:
            conclusive = [(s, r) for s, r in measured.items() if r[0] != INCONCLUSIVE]
            stage, result = conclusive[0] if conclusive else next(iter(measured.items()))
            headline = (measure, stage, result)
    if headline is None:
        return Answer("salience", question, INCONCLUSIVE,
                      f"This needs {analysis.baseline}, {ALIGNED} and {MISALIGNED} runs evaluated on the same "
                      "items.", details)
    measure, stage, (verdict, text) = headline
    return Answer("salience", question, verdict, f"On {measure.label}, {M.STAGE_LABELS[stage]}: {text}.", details)


def capability_cells(analysis: Analysis, *, at_floor: bool = False) -> list[tuple[str, str, DiffCell]]:
    """(arm, measure key, difference vs baseline) for every capability comparison with a value: those above
    the floor (chance + FLOOR_MARGIN) in either arm, or with `at_floor` those where both arms are at it, whose
    equality means nothing."""
    out = []
    chance = {m.key: m.chance for m in M.CAPABILITY_MEASURES}
    for a, b in analysis.comparisons:
        if b != analysis.baseline:
            continue
        for key, stage in [(M.TASK_ACCURACY_KEY, RL_LAST)] + [(m.key, FINAL) for m in M.CAPABILITY_MEASURES]:
            row = analysis.diffs.get((a, b, key, stage))
            if row is None or row.headline().status != OK:
                continue
            rates = analysis.rates.get((key, stage), {})
            values = [rates[arm].headline().value for arm in (a, b) if arm in rates]
            floor = chance.get(key, 0.0) + M.FLOOR_MARGIN
            low = bool(values) and all(v is not None and v <= floor for v in values)
            if low == at_floor:
                out.append((a, key, row.headline()))
    return out


def _capabilities(analysis: Analysis) -> Answer:
    question = "Are capabilities equal across arms after RL?"
    margin = 100 * analysis.margin
    cells = capability_cells(analysis)
    details = [f"{arm} − {analysis.baseline}, {_LABELS[key]}: {_pts(c)}"
               + ("" if c.has_ci() else " (no interval)") for arm, key, c in cells]
    for test in analysis.equality_tests:
        if test.test is not None:
            details.append(f"chi-square homogeneity over {len(test.arms)} arms, {_LABELS[test.measure]}: "
                           f"χ²={test.test.statistic:.2f}, df={test.test.df}, p{_p_text(test.test.p_value)}")
    floor = capability_cells(analysis, at_floor=True)
    details += [f"{arm} − {analysis.baseline}, {_LABELS[key]}: {_pts(c)}: at floor (within "
                f"{100 * M.FLOOR_MARGIN:.0f} points of chance), uninformative" for arm, key, c in floor]
    if not cells:
        why = ("every measure is at floor (within 10 points of chance), where equality means nothing"
               if floor else "No capability difference vs the baseline could be computed.")
        return Answer("capabilities", question, INCONCLUSIVE, why, details)
    outside = [(arm, key, c) for arm, key, c in cells if c.excludes_zero() and abs(c.diff) > analysis.margin]
    wide = [(arm, key, c) for arm, key, c in cells if not within_margin(c, analysis.margin)]
    if outside:
        listed = "; ".join(f"{arm}, {_LABELS[key]}: {_pts(c)}" for arm, key, c in outside)
        return Answer("capabilities", question, NO,
                      f"Some differences exceed ±{margin:.0f} points with a CI that excludes 0 ({listed}).",
                      details)
    if not wide:
        return Answer("capabilities", question, YES,
                      f"All {len(cells)} differences vs the baseline have a 95% CI within ±{margin:.0f} "
                      "points.", details)
    listed = "; ".join(f"{arm}, {_LABELS[key]}: {_pts(c)}" for arm, key, c in wide)
    return Answer("capabilities", question, INCONCLUSIVE,
                  f"{len(wide)} of {len(cells)} differences have a CI reaching beyond "
                  f"±{margin:.0f} points ({listed}).", details)


def answer_all(analysis: Analysis) -> list[Answer]:
    return [*_persistence(analysis), _salience(analysis), _capabilities(analysis)]


def summary_paragraph(analysis: Analysis, answers: list[Answer]) -> str:
    runs = analysis.study.runs
    seeds = sorted({r.seed for r in runs})
    head = (f"{len(runs)} run(s): arms {', '.join(analysis.arms)}; seed(s) {', '.join(map(str, seeds))}. "
            f"Comparisons are paired on the same items against {analysis.baseline}. ")
    return head + " ".join(f"{a.question} {a.verdict.capitalize()}: {a.text}" for a in answers)
