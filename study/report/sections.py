"""The report's sections as document blocks, in order: header (with the Methods from the configs), main table,
RL curves and budget, capabilities, paired differences (with the passage control, persistence and its change,
the differences vs RL step, the positive control), answers."""
from __future__ import annotations

import study.report.measures as M
import study.report.sections_rl as rl_sections
from study.report.analysis import (
    Analysis,
    ArmRow,
    DiffRow,
    capability_columns,
    capability_when,
    within_margin,
)
from study.report.answers import Answer
from study.report.cells import NOT_MEASURABLE, OK, DiffCell
from study.report.document import Block, Bullets, Heading, Image, Paragraph, Table
from study.report.formatting import DASH, diff_ci, diff_n, p_value, rate_cell, retained
from study.report.methods import methods_lines
from study.report.persistence import passage_verdict
from study.report.runs import Run

PLOTS = {
    "mcqa": "plots/mcqa_misalignment.png",
    "paired": "plots/paired_differences.png",
    **rl_sections.PLOTS,
}
_LABELS = {m.key: m.label for m in M.ALIGNMENT_MEASURES + M.CAPABILITY_MEASURES}
_LABELS[M.TASK_ACCURACY_KEY] = M.TASK_ACCURACY_LABEL
curves = rl_sections.curves


def _steps(run: Run, stage: str) -> str:
    steps, finished = run.steps(stage)
    if stage not in run.stages():
        return "not run"
    if steps is None:
        return "?"
    return str(steps) if finished else f"{steps} planned, not finished"


def _model(run: Run) -> str:
    model = run.config.get("model", {}) if isinstance(run.config.get("model"), dict) else {}
    parts = [f"preset {model['preset']}" if model.get("preset") else ""]
    inits = [f"{s} from {run.config[s]['init_from']}" for s in ("pretrain", "midtrain", "rl")
             if isinstance(run.config.get(s), dict) and run.config[s].get("init_from")]
    parts += inits
    if run.config.get("base_dir"):
        parts.append(f"base {run.config['base_dir']}")
    names = sorted({r.model for r in run.evals.values() if r.model})
    if names:
        parts.append("evaluated as " + ", ".join(names))
    return "; ".join(p for p in parts if p) or DASH


def header(analysis: Analysis, inputs: list[str], generated: str, summary: str) -> list[Block]:
    trained = [s for s in ("pretrain", "midtrain", "sft", "rl") if any(s in r.stages() for r in analysis.study.runs)]
    rows = [[r.arm, str(r.seed), str(r.workdir)] + [_steps(r, s) for s in trained]
            + [_model(r), ", ".join(M.STAGE_LABELS[s] for s in M.EVAL_STAGES if s in r.evals) or "none"]
            for r in analysis.study.runs]
    missing = [f"{r.name} ({r.workdir}): {m}" for r in analysis.study.runs for m in r.missing]
    notes = [f"{r.name}: {n}" for r in analysis.study.runs for n in r.notes] + analysis.study.notes + analysis.notes
    blocks: list[Block] = [
        Paragraph(f"Generated {generated} from {', '.join(inputs)}."),
        Heading(1, "Summary"),
        Paragraph(summary),
        Heading(1, "Runs included"),
        Table(["arm", "seed", "workdir"] + [f"{'RL' if s == 'rl' else s} steps" for s in trained]
              + ["model", "evals"], rows),
        Heading(2, "Missing data"),
        Bullets(missing) if missing else Paragraph("Nothing missing: every run has every stage and eval."),
    ]
    if notes:
        blocks += [Heading(2, "Notes"), Bullets(notes)]
    blocks += [Heading(2, "Methods"), Bullets(methods_lines(analysis.study.runs, analysis.margin))]
    return blocks


def _arm_rows(rows_by_column: list[dict[str, ArmRow]], arm: str, fmt=rate_cell) -> list[list[str]]:
    first = rows_by_column[0][arm]
    out = []
    if first.aggregate is not None or any(col[arm].aggregate is not None for col in rows_by_column):
        out.append([arm, "mean"] + [fmt(col[arm].aggregate) if col[arm].aggregate else DASH
                                    for col in rows_by_column])
    for i, (seed, _) in enumerate(first.per_seed):
        out.append([arm, str(seed)] + [fmt(col[arm].per_seed[i][1]) for col in rows_by_column])
    return out


def main_table(analysis: Analysis) -> list[Block]:
    columns = [(m, s) for m in M.MCQA_MEASURES for s in analysis.stages]
    data = [analysis.rates[(m.key, s)] for m, s in columns]
    header = ["arm", "seed"] + [f"{m.label.split('(')[-1].rstrip(')')}, {M.STAGE_LABELS[s]}" for m, s in columns]
    rows = [r for arm in analysis.arms for r in _arm_rows(data, arm)]
    blocks: list[Block] = [
        Heading(1, "1. MCQA misalignment rate per arm"),
        Table(header, rows, caption="MCQA misalignment rate, rate [95% CI] (n items); lower is better."),
        Image(PLOTS["mcqa"], "MCQA misalignment rate per arm",
              f"MCQA misalignment rate per arm, {', '.join(M.STAGE_LABELS[s] for s in analysis.stages)} (bars: "
              "rate; whiskers: 95% CI)."),
    ]
    others = [(m, s) for m in (M.CHAT_MISALIGNED, M.AGENTIC_SCHEMING) for s in analysis.stages]
    other_data = [analysis.rates[(m.key, s)] for m, s in others]
    if any(row.headline().status in (OK, NOT_MEASURABLE) for col in other_data for row in col.values()):
        blocks.append(Table(["arm", "seed"] + [f"{m.label}, {M.STAGE_LABELS[s]}" for m, s in others],
                            [r for arm in analysis.arms for r in _arm_rows(other_data, arm)],
                            caption="Chat and agentic alignment evals, rate [95% CI] (n); lower is better."))
    else:
        blocks.append(Paragraph("Chat and agentic evals: not measured in any run."))
    return blocks


def _diff_rows(row: DiffRow, label: list[str], extra) -> list[list[str]]:
    out = []
    if row.aggregate is not None:
        out.append(label + ["mean"] + extra(row.aggregate))
    out += [label + [str(seed)] + extra(cell) for seed, cell in row.per_seed]
    return out


def capabilities(analysis: Analysis, answer: Answer) -> list[Block]:
    columns = capability_columns(analysis)
    data = [analysis.rates[c] for c in columns]
    steps = sorted({c.step for row in data[0].values() for _, c in row.per_seed if c.step is not None})
    step_text = f" (RL step {', '.join(map(str, steps))})" if steps else ""
    blocks: list[Block] = [
        Heading(1, f"3. Capabilities {capability_when(analysis)}"),
        Table(["arm", "seed", M.TASK_ACCURACY_LABEL + step_text] + [m.label for m in M.CAPABILITY_MEASURES],
              [r for arm in analysis.arms for r in _arm_rows(data, arm)],
              caption="Accuracy [95% CI] (n); the RL task accuracy is from the last eval step in rl/eval_log.jsonl."),
    ]
    test_rows = []
    for t in analysis.equality_tests:
        if t.test is None:
            test_rows.append([_LABELS[t.measure], ", ".join(t.arms) or DASH, DASH, DASH, DASH, t.note])
        else:
            note = "; ".join(filter(None, [t.note, t.test.note]))
            test_rows.append([_LABELS[t.measure], ", ".join(t.arms), f"{t.test.statistic:.3f}", str(t.test.df),
                              p_value(t.test.p_value), note])
    blocks.append(Table(["metric", "arms", "chi-square", "df", "p", "note"], test_rows,
                        caption="Test of equal accuracy across arms (chi-square test of homogeneity)."))
    margin = analysis.margin
    rows = []
    for a, b in analysis.comparisons:
        for key, stage in columns:
            row = analysis.diffs.get((a, b, key, stage))
            if row is None or all(c.status != OK for _, c in row.per_seed):
                continue
            rows += _diff_rows(row, [f"{a} − {b}", _LABELS[key]], lambda c: [
                diff_ci(c), p_value(c.p_value), c.test or DASH, diff_n(c),
                ("yes" if within_margin(c, margin) else "no") if c.status == OK else DASH])
    if rows:
        blocks.append(Table(["comparison", "metric", "seed", "diff [95% CI] (pts)", "p", "test", "n",
                             f"CI within ±{100 * margin:.0f} pts"], rows,
                            caption="Capability differences vs the baseline on the same items (RL task: unpaired)."))
    else:
        blocks.append(Paragraph("Capability differences vs the baseline: none computed (no baseline to compare "
                                "with, or no capability samples)."))
    blocks.append(Paragraph(f"Equal capabilities? {answer.verdict.upper()}: {answer.text}"))
    return blocks


def _ablated(analysis: Analysis, a: str, b: str, key: str, stage: str, seed: int | None) -> str:
    control = analysis.passage.get((a, b, key, stage))
    if control is None:
        return DASH
    cell = control.ablated.headline() if seed is None else dict(control.ablated.per_seed).get(seed)
    return diff_ci(cell) if cell is not None and cell.status == OK else DASH


def _passage(analysis: Analysis, a: str, b: str, key: str, stage: str, cell: DiffCell) -> str:
    return passage_verdict(cell, analysis.passage.get((a, b, key, stage))) or DASH


def paired(analysis: Analysis, control: Answer | None = None) -> list[Block]:
    blocks: list[Block] = [Heading(1, "4. Paired differences on the same items")]
    rows = []
    for a, b in analysis.comparisons:
        for measure in M.ALIGNMENT_MEASURES:
            for stage in analysis.stages:
                row = analysis.diffs.get((a, b, measure.key, stage))
                if row is None or all(c.status not in (OK, NOT_MEASURABLE) for _, c in row.per_seed):
                    continue
                label = [f"{a} − {b}", measure.label, M.STAGE_LABELS[stage]]
                if row.aggregate is not None:
                    m = row.aggregate
                    rows.append(label + ["mean", diff_ci(m), DASH, diff_n(m),
                                         _ablated(analysis, a, b, measure.key, stage, None),
                                         _passage(analysis, a, b, measure.key, stage, m)])
                for seed, cell in row.per_seed:
                    verdict = _passage(analysis, a, b, measure.key, stage, cell) if row.aggregate is None else DASH
                    rows.append(label + [str(seed), diff_ci(cell), p_value(cell.p_value), diff_n(cell),
                                         _ablated(analysis, a, b, measure.key, stage, seed), verdict])
    if rows:
        blocks.append(Table(["comparison", "measure", "eval point", "seed", "diff [95% CI] (pts)", "p (sign-flip)",
                             "n pairs", "with another scenario's passage: diff [95% CI] (pts)", "passage"], rows,
                            caption="a − b on the same samples; negative = a is less misaligned than b. MCQA rows "
                                    "carry the passage control: the same difference when every item is asked "
                                    "with another scenario's passage, paired on items."))
    else:
        blocks.append(Paragraph("No paired differences: this needs a baseline arm (or both upsampling arms) and "
                                "per-sample scores in eval/midtrain and eval/final."))
    blocks += persistence_table(analysis)
    stages = ", ".join(M.STAGE_LABELS[s] for s in analysis.stages)
    blocks.append(Image(PLOTS["paired"], "Paired differences", f"Paired differences (points) with 95% CIs, {stages}."))
    blocks += rl_sections.dose_response(analysis)
    blocks += rl_sections.positive_control(control)
    return blocks


def persistence_table(analysis: Analysis) -> list[Block]:
    sft = "sft" in analysis.stages
    rows = []
    for entry in analysis.persistence:
        a, b, key = entry.arm_a, entry.arm_b, entry.measure
        at = {s: analysis.diffs.get((a, b, key, s)) for s in analysis.stages}
        changes = [entry.change] + ([entry.change_sft] if sft else [])
        verdict = entry.reason if entry.verdict == NOT_MEASURABLE else f"{entry.verdict}: {entry.reason}"
        label = [f"{a} − {b}", _LABELS[key]]
        seeded = any(r is not None and r.aggregate is not None for r in [*at.values(), *changes])

        def cells(pick) -> list[str]:
            out = [diff_ci(pick(at[s])) if at[s] is not None else DASH for s in analysis.stages]
            for change in changes:
                cell = pick(change) if change is not None else None
                out += [diff_ci(cell), p_value(cell.p_value)] if cell is not None else [DASH, DASH]
            return out

        if seeded:
            rows.append(label + ["mean"] + cells(lambda r: r.headline()) + [verdict, retained(entry.retained)])
        seeds = [seed for seed, _ in at["midtrain"].per_seed] if at.get("midtrain") else []
        for seed in seeds:
            rows.append(label + [str(seed)] + cells(lambda r, s=seed: dict(r.per_seed).get(s))
                        + ([DASH, DASH] if seeded else [verdict, retained(entry.retained)]))
    if not rows:
        return []
    header = ["comparison", "measure", "seed"] + [f"{M.STAGE_LABELS[s]} (pts)" for s in analysis.stages]
    header += ["change after RL − after midtraining [95% CI] (pts)", "p (sign-flip)"]
    if sft:
        header += ["change after post-training − after midtraining [95% CI] (pts)", "p (sign-flip)"]
    header += ["persists through RL", "retained"]
    return [Heading(2, "Persistence through RL"),
            Table(header, rows, caption="The change of each difference is paired on items: per item ((a − b) "
                                        "later − (a − b) after midtraining), clustered by scenario, t interval "
                                        "and cluster sign-flip p; with several seeds, the mean over seed pairs "
                                        "with a t interval across them.")]


def answers(items: list[Answer]) -> list[Block]:
    blocks: list[Block] = [Heading(1, "5. Answers, as measured")]
    for item in items:
        blocks += [Heading(2, item.question), Paragraph(f"{item.verdict.upper()}: {item.text}")]
        if item.details:
            blocks.append(Bullets(item.details))
    return blocks
