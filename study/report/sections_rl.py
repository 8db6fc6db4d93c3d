"""The report's RL blocks: alignment and task accuracy vs RL step, how far and how hard RL moved each policy (its
training scalars and its update budget against midtraining's, the KL penalty), the difference between arms at
every RL eval step (dose-response), and the positive control."""
from __future__ import annotations

import study.report.measures as M
from study.report.analysis import Analysis
from study.report.answers import Answer
from study.report.document import Block, Bullets, Heading, Image, Paragraph, Table
from study.report.formatting import DASH, diff_ci, diff_n, p_value
from study.report.methods import budget_rows, describe, heavy_everywhere, kl_text
from study.report.runs import Run

PLOTS = {
    "alignment_curves": "plots/alignment_vs_rl_step.png",
    "task_curve": "plots/task_accuracy_vs_rl_step.png",
    "dose": "plots/difference_vs_rl_step.png",
}
_LABELS = {m.key: m.label for m in M.ALIGNMENT_MEASURES}
_LABELS[M.TASK_ACCURACY_KEY] = M.TASK_ACCURACY_LABEL


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
        *rl_budget(analysis.study.runs),
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


def _fmt(x, spec: str) -> str:
    return DASH if x is None else format(x, spec)


def heavy_line(rows: list[dict]) -> str:
    heavy = heavy_everywhere(rows)
    light = [f"{r['arm']}/seed{r['seed']} ({_fmt(r['rl_budget_ratio'], '.2f')})" for r in rows
             if r["rl_budget_ratio"] is not None and r["rl_budget_ratio"] < 1]
    unknown = [f"{r['arm']}/seed{r['seed']}" for r in rows if r["rl_budget_ratio"] is None]
    if heavy:
        return (f"RL was at least as heavy as midtraining in every run (rl_budget_ratio ≥ 1 in all {len(rows)}: its "
                "summed learning rate and its tokens both at least midtraining's).")
    text = f"RL was lighter than midtraining in {', '.join(light)}." if light else \
        "Whether RL was at least as heavy as midtraining in every run is not known."
    return text + (f" No budget recorded (rl/done.json 'budget') for {', '.join(unknown)}." if unknown else "")


def rl_budget(runs: list[Run]) -> list[Block]:
    """RL's update budget against midtraining's: a difference that survives a light RL says little."""
    rows = budget_rows(runs)
    if not rows:
        return []
    table = [[f"{r['arm']}/seed{r['seed']}", _fmt(r["rl_lr_sum"], ".4g"), _fmt(r["midtrain_lr_sum"], ".4g"),
              _fmt(r["rl_tokens"], ",.0f"), _fmt(r["midtrain_tokens"], ",.0f"), _fmt(r["lr_ratio"], ".2f"),
              _fmt(r["token_ratio"], ".2f"), _fmt(r["rl_budget_ratio"], ".2f")] for r in rows]
    kl = describe(runs, "KL penalty to the reference during RL", kl_text)
    return [Table(["run", "RL summed lr", "midtraining summed lr", "RL tokens", "midtraining tokens", "lr ratio",
                   "token ratio", "rl_budget_ratio"], table,
                  caption="RL's update budget against midtraining's (rl/done.json): the learning rate summed over "
                          "the steps and the tokens trained; rl_budget_ratio is the smaller of the two ratios."),
            Paragraph(heavy_line(rows) + (f" {kl}" if kl else ""))]


def dose_response(analysis: Analysis) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Differences vs RL step (dose-response)")]
    rows, unpaired = [], False
    for (a, b, key), dose in analysis.dose.items():
        for row in dose:
            source = "paired on items" if row.paired() else "eval log, unpaired"
            unpaired |= not row.paired()
            label = [f"{a} − {b}", _LABELS[key], str(row.step)]
            if row.aggregate is not None:
                rows.append(label + ["mean", diff_ci(row.aggregate), DASH, diff_n(row.aggregate), source])
            rows += [label + [str(seed), diff_ci(cell), p_value(cell.p_value), diff_n(cell),
                              "paired on items" if row.sources[seed] == "samples" else "eval log, unpaired"]
                     for seed, cell in row.per_seed]
    if not rows:
        return blocks + [Paragraph("No difference at any RL eval step: this needs evals during RL "
                                   "(rl/evals/step_<k>/ or rl/eval_log.jsonl) in both arms of a comparison.")]
    caption = ("a − b at each RL eval step, [95% CI] (pts): paired on items from rl/evals/step_<k>/samples_*.jsonl "
               "like the differences above.")
    if unpaired:
        caption += (" Rows marked 'eval log, unpaired' had no per-item samples at that step: they compare the "
                    "rl/eval_log.jsonl rates with a two-proportion z-test, ignoring the pairing and the clusters.")
    blocks += [Image(PLOTS["dose"], "Differences between arms vs RL step",
                     "Differences between arms at every RL eval step, one panel per setting; band: 95% CI. "
                     "Settings not measurable at a step are left out there."),
               Table(["comparison", "measure", "RL step", "seed", "diff [95% CI] (pts)", "p", "n", "source"], rows,
                     caption=caption)]
    return blocks


def positive_control(answer: Answer | None) -> list[Block]:
    if answer is None:
        return []
    return [Heading(2, "Positive control: RL that pays for the misaligned option"),
            Paragraph(f"{answer.question} {answer.verdict.upper()}: {answer.text}"),
            *([Bullets(answer.details)] if answer.details else [])]
