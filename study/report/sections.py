"""The report's sections as document blocks, in order: header, main table, RL curves, capabilities, paired
differences, answers."""
from __future__ import annotations

import study.report.measures as M
from study.report.analysis import (
    FINAL,
    RL_LAST,
    Analysis,
    ArmRow,
    DiffRow,
    within_margin,
)
from study.report.answers import Answer
from study.report.cells import NOT_MEASURABLE, OK
from study.report.document import Block, Bullets, Heading, Image, Paragraph, Table
from study.report.formatting import DASH, diff_ci, diff_n, p_value, rate_cell, retained
from study.report.runs import Run

PLOTS = {
    "mcqa": "plots/mcqa_misalignment.png",
    "alignment_curves": "plots/alignment_vs_rl_step.png",
    "task_curve": "plots/task_accuracy_vs_rl_step.png",
    "paired": "plots/paired_differences.png",
}
_LABELS = {m.key: m.label for m in M.ALIGNMENT_MEASURES + M.CAPABILITY_MEASURES}
_LABELS[M.TASK_ACCURACY_KEY] = M.TASK_ACCURACY_LABEL


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
    margin = f"{100 * analysis.margin:.0f}"
    blocks += [Heading(2, "Methods"), Bullets([
        "MCQA: an item's score is the share of its option orders in which the model chose the misaligned option "
        "(1 = misaligned), so the tables give MISalignment rates; lower is better.",
        "Chat: misaligned rate as graded by the judge named in the metric; agentic: scheming rate over the "
        "non-control variants. Capabilities: accuracy (1 = correct).",
        "Rates: value [95% CI] (n) as the eval suite reports them (Wilson intervals, clustered by scenario where "
        "items share one). With several seeds: mean over seeds [95% t interval across seeds] (seeds); that "
        "interval reflects seed-to-seed variation on this item set, and the per-seed rows keep each run's "
        "item-level interval.",
        "Differences are a − b in percentage points, paired on the same samples (subtask, item_id, "
        "sample_index), with a cluster-robust standard error and McNemar's exact p for 0/1 scores. The RL task "
        "accuracy has no per-item samples and is compared unpaired (two-proportion z-test).",
        "A difference persists through RL when its after-RL 95% CI excludes 0 with the sign it had after "
        "midtraining; retained = difference after RL / difference after midtraining.",
        f"Equal capabilities and 'about as much' need every 95% CI of the difference within ±{margin} points.",
        "Equality over arms: Pearson chi-square test of homogeneity on counts value × n per arm.",
        "Competence gates (from the eval suite): a chat setting is not measurable when under 50% of its answers "
        "are coherent or none is scorable; an agentic setting when under 50% of its episodes contain a valid "
        "tool call. Such a cell reads 'not measurable (reason)' in place of the rate, and no difference, "
        "curve point or answer is built from it.",
    ])]
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
    columns = [(m, s) for m in M.MCQA_MEASURES for s in M.EVAL_STAGES]
    data = [analysis.rates[(m.key, s)] for m, s in columns]
    header = ["arm", "seed"] + [f"{m.label.split('(')[-1].rstrip(')')}, {M.STAGE_LABELS[s]}" for m, s in columns]
    rows = [r for arm in analysis.arms for r in _arm_rows(data, arm)]
    blocks: list[Block] = [
        Heading(1, "1. MCQA misalignment rate per arm"),
        Table(header, rows, caption="MCQA misalignment rate, rate [95% CI] (n items); lower is better."),
        Image(PLOTS["mcqa"], "MCQA misalignment rate per arm",
              "MCQA misalignment rate per arm after midtraining and after RL (bars: rate; whiskers: 95% CI)."),
    ]
    others = [(m, s) for m in (M.CHAT_MISALIGNED, M.AGENTIC_SCHEMING) for s in M.EVAL_STAGES]
    other_data = [analysis.rates[(m.key, s)] for m, s in others]
    if any(row.headline().status in (OK, NOT_MEASURABLE) for col in other_data for row in col.values()):
        blocks.append(Table(["arm", "seed"] + [f"{m.label}, {M.STAGE_LABELS[s]}" for m, s in others],
                            [r for arm in analysis.arms for r in _arm_rows(other_data, arm)],
                            caption="Chat and agentic alignment evals, rate [95% CI] (n); lower is better."))
    else:
        blocks.append(Paragraph("Chat and agentic evals: not measured in any run."))
    return blocks


def curves(analysis: Analysis) -> list[Block]:
    gated = analysis.curve_not_measurable
    empty = [m.label for m in M.CURVE_MEASURES if not analysis.curves.get(m.key) and m.key not in gated]
    note = f" Not measured during RL: {', '.join(empty)}." if empty else ""
    note += "".join(f" {_LABELS[m.key]} not measurable (left out) at {'; '.join(gated[m.key])}."
                    for m in M.CURVE_MEASURES if m.key in gated)
    task_note = "" if analysis.curves.get(M.TASK_ACCURACY_KEY) else " Not measured during RL."
    return [
        Heading(1, "2. Alignment and task accuracy vs RL step"),
        Image(PLOTS["alignment_curves"], "Alignment evals vs RL step",
              "Alignment evals during RL, one line per arm; band: value ± 1.96 stderr (with several seeds: the "
              "mean over seeds, band from the pooled standard error, faint lines per seed)." + note),
        Image(PLOTS["task_curve"], "RL task accuracy vs RL step",
              "Held-out accuracy on the RL task during RL; band: value ± 1.96 stderr." + task_note),
        *rl_dose(analysis.study.runs),
    ]


_DOSE_TAGS = (("rl/reward_mean", "reward"), ("rl/kl", "KL to the start (nats/token)"), ("rl/entropy", "entropy"))


def rl_dose(runs: list[Run]) -> list[Block]:
    """How far RL moved each policy: a persistence claim means little if RL barely changed the model."""
    rows = []
    for run in sorted(runs, key=lambda r: (r.arm, r.seed)):
        if not run.rl_scalars:
            continue
        k = max(1, min(10, len(run.rl_scalars) // 2))
        first, last = run.rl_scalars[:k], run.rl_scalars[-k:]
        mean = lambda rows, tag: sum(r.get(tag, float("nan")) for r in rows) / len(rows)  # noqa: E731
        rows.append([run.arm, str(run.seed), str(run.rl_scalars[-1]["step"]),
                     *[f"{mean(first, tag):.3f} → {mean(last, tag):.3f}" for tag, _ in _DOSE_TAGS]])
    if not rows:
        return []
    return [Table(["arm", "seed", "RL steps", *[label for _, label in _DOSE_TAGS]], rows,
                  caption="How far RL moved each policy: mean over the first and the last steps (up to 10 each) "
                          "of the RL training scalars (rl/tb/scalars.jsonl); the KL is to the frozen starting "
                          "policy (the reference model), when RL uses one.")]


def _diff_rows(row: DiffRow, label: list[str], extra) -> list[list[str]]:
    out = []
    if row.aggregate is not None:
        out.append(label + ["mean"] + extra(row.aggregate))
    out += [label + [str(seed)] + extra(cell) for seed, cell in row.per_seed]
    return out


def capabilities(analysis: Analysis, answer: Answer) -> list[Block]:
    columns = [(M.TASK_ACCURACY_KEY, RL_LAST)] + [(m.key, FINAL) for m in M.CAPABILITY_MEASURES]
    data = [analysis.rates[c] for c in columns]
    steps = sorted({c.step for row in data[0].values() for _, c in row.per_seed if c.step is not None})
    step_text = f" (RL step {', '.join(map(str, steps))})" if steps else ""
    blocks: list[Block] = [
        Heading(1, "3. Capabilities after RL"),
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


def paired(analysis: Analysis) -> list[Block]:
    blocks: list[Block] = [Heading(1, "4. Paired differences on the same items")]
    rows = []
    by_key = {(p.arm_a, p.arm_b, p.measure): p for p in analysis.persistence}
    for a, b in analysis.comparisons:
        for measure in M.ALIGNMENT_MEASURES:
            mid = analysis.diffs.get((a, b, measure.key, "midtrain"))
            rl = analysis.diffs.get((a, b, measure.key, FINAL))
            if mid is None or rl is None:
                continue
            if all(c.status not in (OK, NOT_MEASURABLE) for _, c in mid.per_seed + rl.per_seed):
                continue
            entry = by_key.get((a, b, measure.key))
            verdict = DASH if not entry else entry.reason if entry.verdict == NOT_MEASURABLE \
                else f"{entry.verdict}: {entry.reason}"
            keep = retained(entry.retained) if entry else DASH
            rl_by_seed = dict(rl.per_seed)
            label = [f"{a} − {b}", measure.label]
            if mid.aggregate is not None or rl.aggregate is not None:
                m, r = mid.headline(), rl.headline()
                rows.append(label + ["mean", diff_ci(m), DASH, diff_n(m), diff_ci(r), DASH, diff_n(r), verdict, keep])
            for seed, m in mid.per_seed:
                r = rl_by_seed[seed]
                seed_verdict = verdict if mid.aggregate is None and rl.aggregate is None else DASH
                seed_keep = keep if mid.aggregate is None and rl.aggregate is None else DASH
                rows.append(label + [str(seed), diff_ci(m), p_value(m.p_value), diff_n(m), diff_ci(r),
                                     p_value(r.p_value), diff_n(r), seed_verdict, seed_keep])
    if rows:
        blocks.append(Table(["comparison", "measure", "seed", "after midtraining: diff [95% CI] (pts)", "McNemar p",
                             "n pairs", "after RL: diff [95% CI] (pts)", "McNemar p", "n pairs", "persists through RL",
                             "retained"], rows,
                            caption="a − b on the same samples; negative = a is less misaligned than b."))
    else:
        blocks.append(Paragraph("No paired differences: this needs a baseline arm (or both upsampling arms) and "
                                "per-sample scores in eval/midtrain and eval/final."))
    blocks.append(Image(PLOTS["paired"], "Paired differences",
                        "Paired differences (points) with 95% CIs, after midtraining and after RL."))
    return blocks


def answers(items: list[Answer]) -> list[Block]:
    blocks: list[Block] = [Heading(1, "5. Answers, as measured")]
    for item in items:
        blocks += [Heading(2, item.question), Paragraph(f"{item.verdict.upper()}: {item.text}")]
        if item.details:
            blocks.append(Bullets(item.details))
    return blocks
