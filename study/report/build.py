"""Build the study report: find the runs, compute, plot, and write report.md, report.html and summary.json."""
from __future__ import annotations

import dataclasses
import datetime
import json
import math
from pathlib import Path
from typing import Sequence

import study.report.measures as M
import study.report.plots as plots
import study.report.sections as sections
from study.report.analysis import RL_LAST, Analysis, analyse
from study.report.answers import Answer, answer_all, summary_paragraph
from study.report.control import positive_control
from study.report.discover import discover
from study.report.document import to_html, to_markdown
from study.report.methods import budget_rows, heavy_everywhere, methods_lines
from study.report.persistence import passage_verdict

TITLE = "Alignment midtraining study report"


@dataclasses.dataclass
class Report:
    out: Path
    markdown: Path
    html: Path
    summary: Path
    plots: list[Path]
    analysis: Analysis
    answers: list[Answer]


def _json_safe(x):
    """NaN and infinities become null: summary.json stays strict JSON."""
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def summary_dict(analysis: Analysis, answers: list[Answer], inputs: list[str], generated: str) -> dict:
    """Every number in the tables, as flat rows (one per arm/seed/measure/stage) that load into a data frame."""
    rates = []
    for (key, stage), by_arm in analysis.rates.items():
        for arm, row in by_arm.items():
            if row.aggregate is not None:
                rates.append({"arm": arm, "seed": "mean", "measure": key, "stage": stage, **row.aggregate.to_dict()})
            rates += [{"arm": arm, "seed": seed, "measure": key, "stage": stage, **cell.to_dict()}
                      for seed, cell in row.per_seed]
    diffs = []
    for (a, b, key, stage), row in analysis.diffs.items():
        if row.aggregate is not None:
            diffs.append({"arm_a": a, "arm_b": b, "measure": key, "stage": stage, "seed": "mean",
                          **row.aggregate.to_dict()})
        diffs += [{"arm_a": a, "arm_b": b, "measure": key, "stage": stage, "seed": seed, **cell.to_dict()}
                  for seed, cell in row.per_seed]
    curves = [{"arm": arm, "seed": seed, "measure": key, "points": [dataclasses.asdict(p) for p in points]}
              for key, by_arm in analysis.curves.items() for arm, by_seed in by_arm.items()
              for seed, points in by_seed.items()]
    tests = [{"measure": t.measure, "arms": t.arms, "test": "chi-square homogeneity", "note": t.note,
              **(dataclasses.asdict(t.test) if t.test else {"statistic": None, "df": None, "p_value": None})}
             for t in analysis.equality_tests]
    cell = lambda c: c.to_dict() if c is not None else None  # noqa: E731
    persistence = [{"arm_a": p.arm_a, "arm_b": p.arm_b, "measure": p.measure, "verdict": p.verdict,
                    "reason": p.reason, "retained": p.retained, "diff_midtrain": p.mid.to_dict(),
                    "diff_rl": p.rl.to_dict(), "diff_sft": cell(p.sft),
                    "change_rl": cell(p.change.headline() if p.change else None),
                    "change_sft": cell(p.change_sft.headline() if p.change_sft else None)}
                   for p in analysis.persistence]
    budgets = budget_rows(analysis.study.runs)
    by_run = {(b["arm"], b["seed"]): b for b in budgets}
    runs = [{"arm": r.arm, "seed": r.seed, "workdir": str(r.workdir), "stages": r.stages(),
             "steps": {s: r.steps(s)[0] for s in ("midtrain", "sft", "rl")},
             "finished": {s: r.done.get(s) is not None for s in ("midtrain", "sft", "rl", "eval")},
             "evals": {s: {"model": e.model, "step": e.step} for s, e in r.evals.items()},
             "rl_eval_steps": sorted(r.step_evals), "rl_budget": r.budget(),
             "rl_kl_coef": by_run.get((r.arm, r.seed), {}).get("kl_coef"),
             "missing": r.missing, "notes": r.notes} for r in analysis.study.runs]
    changes = [{"arm_a": a, "arm_b": b, "measure": key, "from": pre, "to": post, "seed": seed, **c.to_dict()}
               for (a, b, key, pre, post), row in analysis.changes.items()
               for seed, c in ([("mean", row.aggregate)] if row.aggregate else []) + row.per_seed]
    passage = [{"arm_a": a, "arm_b": b, "measure": key, "stage": stage, "seed": seed, "what": what, **c.to_dict()}
               for (a, b, key, stage), control in analysis.passage.items()
               for what, row in (("ablated", control.ablated), ("with_minus_without", control.dependence))
               for seed, c in ([("mean", row.aggregate)] if row.aggregate else []) + row.per_seed]
    verdicts = [{"arm_a": a, "arm_b": b, "measure": key, "stage": stage,
                 "verdict": passage_verdict(analysis.diffs[(a, b, key, stage)].headline(), control)}
                for (a, b, key, stage), control in analysis.passage.items() if (a, b, key, stage) in analysis.diffs]
    dose = [{"arm_a": a, "arm_b": b, "measure": key, "step": row.step, "seed": seed, "source": source, **c.to_dict()}
            for (a, b, key), rows in analysis.dose.items() for row in rows
            for seed, c, source in ([("mean", row.aggregate, "mean over seeds")] if row.aggregate else [])
            + [(s, c, row.sources[s]) for s, c in row.per_seed]]
    control = positive_control(analysis)
    return _json_safe({
        "title": TITLE, "generated_utc": generated, "inputs": inputs, "baseline": analysis.baseline,
        "margin": analysis.margin, "arms": analysis.arms,
        "stages": {**M.STAGE_LABELS, RL_LAST: "last RL eval step"},
        "measures": {m.key: {"label": m.label, "task": m.task, "metric": m.pattern,
                             "lower_is_better": m.lower_is_better}
                     for m in M.ALIGNMENT_MEASURES + M.CAPABILITY_MEASURES}
                    | {M.TASK_ACCURACY_KEY: {"label": M.TASK_ACCURACY_LABEL, "task": "rl",
                                             "metric": M.TASK_ACCURACY_LOG_METRIC, "lower_is_better": False}},
        "runs": runs, "notes": analysis.study.notes + analysis.notes,
        "rates": rates, "differences": diffs, "persistence": persistence, "capability_tests": tests,
        "rl_curves": curves, "answers": [a.to_dict() for a in answers],
        "eval_points": analysis.stages, "diff_in_diff": changes, "passage_control": passage,
        "passage_verdicts": verdicts, "dose_response": dose, "rl_budget": budgets,
        "rl_budget_at_least_midtrain": heavy_everywhere(budgets),
        "positive_control": control.to_dict() if control is not None else None,
        "methods": methods_lines(analysis.study.runs, analysis.margin),
    })


def build_report(dirs: Sequence[str | Path], out: str | Path | None = None, baseline: str = "baseline",
                 margin: float = 0.05, now: datetime.datetime | None = None) -> Report:
    """Read the runs under `dirs` and write the report to `out` (default: <first dir>/report)."""
    if not dirs:
        raise ValueError("build_report: give at least one study folder or workdir")
    if not 0 < margin < 1:
        raise ValueError(f"build_report: margin is a fraction in (0, 1) (0.05 = 5 points), got {margin}")
    inputs = [str(d) for d in dirs]
    out = Path(out) if out is not None else Path(dirs[0]) / "report"
    generated = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")

    analysis = analyse(discover(list(dirs)), baseline=baseline, margin=margin)
    answers = answer_all(analysis)
    summary = summary_paragraph(analysis, answers)

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, draw in (("mcqa", plots.mcqa_bars), ("alignment_curves", plots.alignment_vs_step),
                      ("task_curve", plots.task_accuracy_vs_step), ("paired", plots.paired_forest),
                      ("dose", plots.difference_vs_step)):
        path = out / sections.PLOTS[key]
        draw(analysis, path)
        written.append(path)

    by_key = {a.key: a for a in answers}
    blocks = (sections.header(analysis, inputs, generated, summary) + sections.main_table(analysis)
              + sections.curves(analysis) + sections.capabilities(analysis, by_key["capabilities"])
              + sections.paired(analysis, by_key.get("positive_control")) + sections.answers(answers))
    md_path, html_path, summary_path = out / "report.md", out / "report.html", out / "summary.json"
    md_path.write_text(to_markdown(TITLE, blocks), encoding="utf-8")
    html_path.write_text(to_html(TITLE, blocks), encoding="utf-8")
    summary_path.write_text(json.dumps(summary_dict(analysis, answers, inputs, generated), indent=1,
                                       allow_nan=False) + "\n", encoding="utf-8")
    return Report(out, md_path, html_path, summary_path, written, analysis, answers)


def write_report(dirs: Sequence[str | Path], out: str | Path | None = None, baseline: str = "baseline",
                 margin: float = 0.05) -> Path:
    """build_report, returning the path of report.md (for scripts that only print where the report went)."""
    return build_report(dirs, out=out, baseline=baseline, margin=margin).markdown
