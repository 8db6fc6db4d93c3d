"""Persistence as a quantity, and the passage-ablation control beside every MCQA difference.

A difference a - b after midtraining "persists" by the verdict's rule (its after-RL CI excludes 0 with the same
sign); how much it changed is a number of its own: per item ((a_final - b_final) - (a_mid - b_mid)), paired on the
items both arms answered at both eval points, clustered by scenario template, with a t interval (G - 1 df) and
the cluster sign-flip p-value (evals.stats.difference_in_differences). With several seed pairs the headline is
the mean over pairs with a t interval across them; the per-seed rows are kept. Where post-training ran, the
change from after midtraining to after post-training is computed the same way.

The passage control asks every MCQA item a second time with another scenario's passage. The arm difference on
those ablated scores, and the per-item change ((a - b) - (a_ablated - b_ablated)), say whether a difference
needs the model to read the situation or is a shift in its prior over the options.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from study.report.cells import (
    NOT_MEASURABLE,
    OK,
    DiffCell,
    DiffRow,
    change_cell,
    diff_row,
    paired_cell,
    passage_dependence_cell,
)
from study.report.measures import Measure
from study.report.runs import Run

# (from, to) eval points whose change is computed when both are present.
CHANGES = (("midtrain", "final"), ("midtrain", "sft"))
DEPENDS, INDEPENDENT = "depends on the passage", "does not depend on the passage"
PARTLY = "depends partly on the passage"


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
    sft: DiffCell | None = None  # the difference after post-training, where it ran
    change: DiffRow | None = None  # (a - b) after RL minus (a - b) after midtraining, paired on items
    change_sft: DiffRow | None = None  # (a - b) after post-training minus after midtraining


@dataclasses.dataclass
class PassageControl:
    """The passage-ablation control of one MCQA difference at one eval point."""

    ablated: DiffRow  # a - b with another scenario's passage, paired on items
    dependence: DiffRow  # (a - b) - (a - b with another passage), paired on items


def change_stage(pre: str, post: str) -> str:
    return f"{pre}->{post}"


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


def change_rows(a: str, b: str, measure: Measure, pairs: Sequence[tuple[int, Run, Run]],
                stages: Sequence[str]) -> dict[tuple[str, str], DiffRow]:
    """The paired change of a - b between each pair of eval points in CHANGES that the study has."""
    return {(pre, post): diff_row(a, b, measure.key, change_stage(pre, post),
                                  [(s, change_cell(ra, rb, measure, pre, post)) for s, ra, rb in pairs])
            for pre, post in CHANGES if pre in stages and post in stages}


def passage_control(a: str, b: str, measure: Measure, pairs: Sequence[tuple[int, Run, Run]],
                    stage: str) -> PassageControl:
    return PassageControl(
        diff_row(a, b, measure.key, stage, [(s, paired_cell(ra, rb, measure, stage, ablated=True))
                                            for s, ra, rb in pairs]),
        diff_row(a, b, measure.key, stage, [(s, passage_dependence_cell(ra, rb, measure, stage))
                                            for s, ra, rb in pairs]))


def passage_verdict(diff: DiffCell, control: PassageControl | None) -> str | None:
    """Whether a difference (CI excluding 0) needs the item's own passage; None when there is nothing to say.

    Independent: the difference is still there, with the same sign, when another scenario's passage is shown,
    and the per-item change with vs without the passage does not shrink it detectably. Dependent: without the
    passage the difference is gone and the change says the passage carried it.
    """
    if control is None or not diff.excludes_zero():
        return None
    ablated, dependence = control.ablated.headline(), control.dependence.headline()
    if ablated.status != OK:
        return None
    sign = 1 if diff.diff > 0 else -1
    kept = ablated.excludes_zero() and ablated.diff * sign > 0
    shrank = dependence.excludes_zero() and dependence.diff * sign > 0
    if dependence.has_ci():
        return INDEPENDENT if kept and not shrank else DEPENDS if shrank and not kept else PARTLY
    return INDEPENDENT if kept and abs(ablated.diff) >= abs(diff.diff) else DEPENDS if not kept else PARTLY
