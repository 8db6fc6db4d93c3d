"""The report's figures (matplotlib, Agg backend: no display needed).

Each function writes one PNG and returns nothing; panels without data say so instead of staying blank.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

import study.report.measures as M  # noqa: E402
from evals.stats import Z95  # noqa: E402
from study.report.analysis import Analysis  # noqa: E402
from study.report.cells import OK  # noqa: E402
from study.report.runs import LogPoint  # noqa: E402

ARM_COLOURS = {"baseline": "#4d4d4d", "filtered": "#1f77b4", "aligned_upsample": "#2ca02c",
               "misaligned_upsample": "#d62728", "conditional": "#9467bd",
               "aligned_upsample+misaligning_rl": "#e6a100"}
_EXTRA_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
STAGE_COLOURS = {"midtrain": "#9ecae1", "sft": "#6baed6", "final": "#08519c"}


def arm_colour(analysis: Analysis, arm: str) -> str:
    if arm in ARM_COLOURS:
        return ARM_COLOURS[arm]
    others = [a for a in analysis.arms if a not in ARM_COLOURS]
    return _EXTRA_COLOURS[others.index(arm) % len(_EXTRA_COLOURS)]


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def _legend(ax) -> None:
    """One legend entry per label (bars and markers are drawn one at a time, each labelled)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    if unique:
        ax.legend(list(unique.values()), list(unique.keys()), fontsize=8)


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def mcqa_bars(analysis: Analysis, path: Path) -> None:
    """Grouped bars: MCQA misalignment per arm at each eval point, with 95% CI whiskers."""
    fig, axes = plt.subplots(1, len(M.MCQA_MEASURES), figsize=(5.5 * len(M.MCQA_MEASURES), 4), squeeze=False)
    width = 0.8 / len(analysis.stages)
    offsets = [(i - (len(analysis.stages) - 1) / 2) * width for i in range(len(analysis.stages))]
    for ax, measure in zip(axes[0], M.MCQA_MEASURES):
        for offset, stage in zip(offsets, analysis.stages):
            rows = analysis.rates[(measure.key, stage)]
            for i, arm in enumerate(analysis.arms):
                cell = rows[arm].headline()
                if cell.status != OK:
                    ax.text(i + offset, 0.01, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
                    continue
                err = None
                if cell.ci_low is not None and cell.ci_high is not None and not math.isnan(cell.ci_low):
                    err = [[max(0.0, cell.value - cell.ci_low)], [max(0.0, cell.ci_high - cell.value)]]
                ax.bar(i + offset, cell.value, width, yerr=err, capsize=3, color=STAGE_COLOURS[stage],
                       label=M.STAGE_LABELS[stage], edgecolor="black", linewidth=0.5)
        ax.set_xticks(range(len(analysis.arms)), analysis.arms, rotation=20, ha="right")
        ax.set_xlim(-0.7, len(analysis.arms) - 0.3)
        ax.set_ylim(0, 1)
        ax.set_ylabel("misalignment rate")
        ax.set_title(measure.label)
        _legend(ax)
    _save(fig, path)


def _mean_curve(by_seed: dict[int, list[LogPoint]]) -> tuple[list[int], list[float], list[float]]:
    """Mean over seeds at the steps every seed logged, and the half-width 1.96 * sqrt(sum se^2) / k."""
    steps = sorted(set.intersection(*({p.step for p in pts} for pts in by_seed.values())))
    k = len(by_seed)
    means, halves = [], []
    for step in steps:
        points = [next(p for p in pts if p.step == step) for pts in by_seed.values()]
        means.append(sum(p.value for p in points) / k)
        ses = [p.stderr for p in points]
        halves.append(Z95 * math.sqrt(sum(s * s for s in ses)) / k if all(s is not None for s in ses) else math.nan)
    return steps, means, halves


def _curve_panel(ax, analysis: Analysis, key: str, title: str, ylabel: str) -> None:
    ax.set_title(title, fontsize=10)
    curves = analysis.curves.get(key, {})
    if not curves:
        gated = key in analysis.curve_not_measurable
        _no_data(ax, "not measurable during RL\n(competence gate failed at every step)" if gated
                 else "not measured during RL\n(no such metric in rl/eval_log.jsonl)")
        return
    for arm in analysis.arms:
        by_seed = curves.get(arm)
        if not by_seed:
            continue
        colour = arm_colour(analysis, arm)
        if len(by_seed) > 1:
            for points in by_seed.values():
                ax.plot([p.step for p in points], [p.value for p in points], color=colour, alpha=0.3, linewidth=0.8)
        steps, means, halves = _mean_curve(by_seed)
        label = arm + (f" (mean of {len(by_seed)} seeds)" if len(by_seed) > 1 else "")
        ax.plot(steps, means, marker="o", markersize=3, color=colour, label=label)
        low = [m - h for m, h in zip(means, halves)]
        high = [m + h for m, h in zip(means, halves)]
        ax.fill_between(steps, low, high, color=colour, alpha=0.15, linewidth=0)
    ax.set_xlabel("RL step")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)


def alignment_vs_step(analysis: Analysis, path: Path) -> None:
    """One panel per eval family (MCQA article, chat, agentic), a line per arm with a 95% band."""
    fig, axes = plt.subplots(1, len(M.CURVE_MEASURES), figsize=(5 * len(M.CURVE_MEASURES), 4), squeeze=False)
    for ax, measure in zip(axes[0], M.CURVE_MEASURES):
        _curve_panel(ax, analysis, measure.key, measure.label, "rate")
    _save(fig, path)


def task_accuracy_vs_step(analysis: Analysis, path: Path) -> None:
    fig, axes = plt.subplots(1, 1, figsize=(6, 4), squeeze=False)
    _curve_panel(axes[0][0], analysis, M.TASK_ACCURACY_KEY, M.TASK_ACCURACY_LABEL, "accuracy")
    _save(fig, path)


def paired_forest(analysis: Analysis, path: Path) -> None:
    """Paired differences (points) with 95% CIs at each eval point, one row per comparison."""
    rows = [p for p in analysis.persistence if p.mid.status == OK or p.rl.status == OK]
    labels = {m.key: m.label for m in M.ALIGNMENT_MEASURES}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * max(1, len(rows))))
    if not rows:
        _no_data(ax, "no paired differences (needs a baseline arm and per-sample scores)")
        _save(fig, path)
        return
    for i, entry in enumerate(rows):
        y = len(rows) - 1 - i
        cells = [("midtrain", entry.mid)] + ([("sft", entry.sft)] if entry.sft is not None else []) \
            + [("final", entry.rl)]
        for k, (stage, cell) in enumerate(cells):
            offset = 0.12 - 0.24 * k / max(1, len(cells) - 1)
            if cell.status != OK:
                continue
            xerr = None
            if cell.has_ci():
                xerr = [[100 * (cell.diff - cell.ci_low)], [100 * (cell.ci_high - cell.diff)]]
            ax.errorbar(100 * cell.diff, y + offset, xerr=xerr, fmt="o", color=STAGE_COLOURS[stage], capsize=3,
                        label=M.STAGE_LABELS[stage])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{p.arm_a} − {p.arm_b}: {labels[p.measure]}" for p in reversed(rows)], fontsize=8)
    ax.set_xlabel("difference (percentage points)")
    _legend(ax)
    _save(fig, path)


def difference_vs_step(analysis: Analysis, path: Path) -> None:
    """One panel per setting: every comparison's difference a - b at each RL eval step, with its 95% band.
    Hollow markers: steps compared from the eval log, unpaired (no per-item samples there)."""
    measures = M.ALIGNMENT_MEASURES
    fig, axes = plt.subplots(1, len(measures), figsize=(4.6 * len(measures), 4), squeeze=False)
    for ax, measure in zip(axes[0], measures):
        ax.set_title(measure.label, fontsize=9)
        drawn = False
        for (a, b, key), rows in analysis.dose.items():
            if key != measure.key:
                continue
            steps = [r.step for r in rows]
            cells = [r.headline() for r in rows]
            colour = arm_colour(analysis, a)
            style = "-" if b == analysis.baseline else "--"
            ax.plot(steps, [100 * c.diff for c in cells], style, color=colour, label=f"{a} − {b}", linewidth=1.2)
            for row, cell in zip(rows, cells):
                ax.plot(row.step, 100 * cell.diff, "o", color=colour, markersize=4,
                        markerfacecolor=colour if row.paired() else "white")
            low = [100 * c.ci_low if c.has_ci() else math.nan for c in cells]
            high = [100 * c.ci_high if c.has_ci() else math.nan for c in cells]
            ax.fill_between(steps, low, high, color=colour, alpha=0.15, linewidth=0)
            drawn = True
        if not drawn:
            _no_data(ax, "no difference at any RL step\n(not measured, or not measurable)")
            continue
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel("RL step")
        ax.set_ylabel("difference (percentage points)")
        ax.legend(fontsize=6)
    _save(fig, path)
