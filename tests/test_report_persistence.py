"""The report on the study as a real test: three eval points, persistence as a paired change with its interval,
the difference at every RL eval step, RL's budget, the positive control, the passage control, answers that
name the arm and split behind them, and Methods written from the configs.

Workdirs are synthetic (tests/test_report_workdirs.py); expected numbers are computed by hand here.
"""
from __future__ import annotations

import json
import math

import pytest
from test_report_workdirs import ones, write_workdir

from evals.stats import difference_in_differences
from study.report import build_report

CONTROL = "aligned_upsample+misaligning_rl"
T3 = 3.182446305284263  # Student's t, 3 degrees of freedom (4 clusters)
T19 = 2.093024054408263
T1 = 12.706204736174707


def scores(text: str) -> list[float]:
    return [float(c) for c in text.replace(" ", "")]


# 12 items in 4 scenarios (item i in scenario i % 4).
A_MID, B_MID = scores("0000 0000 0000"), scores("1110 1100 1000")
A_FIN, B_FIN = scores("0100 0001 0000"), scores("1100 1000 0010")


def by_key(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def test_change_of_a_difference_is_paired_on_items_clustered_with_a_t_interval(tmp_path):
    for seed, (a_fin, b_fin) in ((0, (A_FIN, B_FIN)), (1, (A_MID, B_MID))):  # seed 1: no change at all
        write_workdir(tmp_path, "baseline", seed, mcqa={"midtrain": {"article": B_MID}, "final": {"article": b_fin}},
                      clusters=4)
        write_workdir(tmp_path, "aligned_upsample", seed,
                      mcqa={"midtrain": {"article": A_MID}, "final": {"article": a_fin}}, clusters=4)
    # By hand: per item ((a - b) after RL) - ((a - b) after midtraining).
    d = [(af - bf) - (am - bm) for af, bf, am, bm in zip(A_FIN, B_FIN, A_MID, B_MID)]
    assert d == scores("0110 0101 10") + [-1.0, 0.0]
    mean = sum(d) / 12  # 1/3
    sums = [sum(d[i] for i in range(c, 12, 4)) for c in range(4)]  # [1, 2, 0, 1]
    se = math.sqrt(4 / 3 * sum((s - 3 * mean) ** 2 for s in sums) / 12**2)
    flips = [sum(x * (1 - 2 * ((code >> k) & 1)) for k, x in enumerate(s for s in sums if s))
             for code in range(8)]
    p = sum(abs(f) >= abs(sum(sums)) - 1e-9 for f in flips) / 8
    assert sums == [1, 2, 0, 1] and p == 0.25

    direct = difference_in_differences(A_FIN, B_FIN, A_MID, B_MID, clusters=[i % 4 for i in range(12)])
    assert direct.mean_diff == pytest.approx(mean) and direct.stderr == pytest.approx(se)
    assert direct.ci_low == pytest.approx(mean - T3 * se) and direct.ci_high == pytest.approx(mean + T3 * se)
    assert direct.p_value == pytest.approx(p) and direct.clusters == 4 and direct.degenerate is None
    assert difference_in_differences(A_MID, B_MID, A_MID, B_MID).degenerate == "zero variance"

    report = build_report([tmp_path], out=tmp_path / "out")
    summary = json.loads(report.summary.read_text())
    rows = by_key(summary["diff_in_diff"], arm_a="aligned_upsample", measure="mcqa_article", to="final")
    seed0 = by_key(rows, seed=0)[0]
    assert seed0["from"] == "midtrain" and seed0["n"] == 12
    assert seed0["diff"] == pytest.approx(mean) and seed0["stderr"] == pytest.approx(se)
    assert seed0["ci_low"] == pytest.approx(mean - T3 * se) and seed0["p_value"] == pytest.approx(0.25)
    assert by_key(rows, seed=1)[0]["diff"] == 0.0
    # Two seed pairs: the mean over pairs with a t interval across them (1 df); the per-seed rows are kept.
    pooled = by_key(rows, seed="mean")[0]
    half = T1 * math.sqrt(((mean / 2) ** 2 * 2) / 1) / math.sqrt(2)
    assert pooled["diff"] == pytest.approx(mean / 2) and pooled["n_seeds"] == 2
    assert pooled["ci_low"] == pytest.approx(mean / 2 - half) and pooled["ci_high"] == pytest.approx(mean / 2 + half)
    entry = next(p for p in summary["persistence"] if p["arm_a"] == "aligned_upsample" and
                 p["measure"] == "mcqa_article")
    assert entry["change_rl"]["diff"] == pytest.approx(mean / 2)
    md = report.markdown.read_text()
    assert "| aligned_upsample − baseline | MCQA misalignment rate (article split) | 0 | " in md
    assert f"{100 * mean:+.1f} [{100 * (mean - T3 * se):+.1f}, {100 * (mean + T3 * se):+.1f}] | 0.250 |" in md


def test_three_eval_points_with_post_training_and_two_without(tmp_path):
    stages = {"midtrain": ones(40), "sft": ones(60), "final": ones(80)}
    for arm, k in (("baseline", None), ("aligned_upsample", 1)):
        write_workdir(tmp_path / "sft", arm, mcqa={s: {"article": ones(100) if k is None else v}
                                                   for s, v in stages.items()})
        write_workdir(tmp_path / "plain", arm, mcqa={s: {"article": ones(100) if k is None else v}
                                                     for s, v in stages.items() if s != "sft"})
    with_sft = build_report([tmp_path / "sft"], out=tmp_path / "sft_out")
    summary = json.loads(with_sft.summary.read_text())
    assert summary["eval_points"] == ["midtrain", "sft", "final"]
    diffs = {r["stage"]: r["diff"] for r in by_key(summary["differences"], arm_a="aligned_upsample",
                                                     measure="mcqa_article")}
    assert diffs == pytest.approx({"midtrain": -0.3, "sft": -0.2, "final": -0.1})
    md = with_sft.markdown.read_text()
    assert "| article split, after midtraining | article split, after post-training | article split, after RL |" in md
    assert "| after post-training | 0 | -20.0 [" in md  # the paired-difference row at the middle point
    assert "change after post-training − after midtraining [95% CI] (pts)" in md
    change = by_key(summary["diff_in_diff"], arm_a="aligned_upsample", measure="mcqa_article", to="sft")[0]
    assert change["diff"] == pytest.approx(0.1)
    assert summary["persistence"][0]["diff_sft"]["diff"] == pytest.approx(-0.2)

    plain = build_report([tmp_path / "plain"], out=tmp_path / "plain_out")
    assert json.loads(plain.summary.read_text())["eval_points"] == ["midtrain", "final"]
    text = plain.markdown.read_text()
    assert "after post-training" not in text and "no eval after post-training" not in text
    assert "| article split, after midtraining | article split, after RL |" in text


def test_difference_at_every_rl_step_from_the_step_folders_with_an_eval_log_fallback(tmp_path):
    base = write_workdir(tmp_path, "baseline", mcqa={"final": {"article": ones(10, 20)}},
                         rl_steps={0: {"article": ones(10, 20)}, 10: {"article": ones(10, 20)},
                                   20: {"article": ones(10, 20)}, 30: {"article": ones(10, 20)}})
    aligned = write_workdir(tmp_path, "aligned_upsample", mcqa={"final": {"article": ones(4, 20)}},
                            rl_steps={0: {"article": ones(10, 20)}, 10: {"article": ones(6, 20)},
                                      20: {"article": ones(4, 20)}, 30: {"article": ones(4, 20)}})
    # Step 30: the aligned arm's setting failed its gate there; it is left out at that step.
    gated = aligned / "rl" / "evals" / "step_30" / "results.json"
    doc = json.loads(gated.read_text())
    doc["results"]["mcqa"]["misalignment_rate/split=article"].update(not_measurable=True, reason="test gate")
    gated.write_text(json.dumps(doc))
    # The misaligned arm logged its rates during RL but kept no per-step samples: compared unpaired.
    misaligned = write_workdir(tmp_path, "misaligned_upsample", mcqa={"final": {"article": ones(16, 20)}})
    (misaligned / "rl").mkdir(exist_ok=True)
    for workdir, value in ((base, 0.5), (misaligned, 0.8)):
        (workdir / "rl" / "eval_log.jsonl").write_text("".join(json.dumps(
            {"step": s, "metric": "mcqa/misalignment_rate/split=article", "value": value, "stderr": 0.1, "n": 20})
            + "\n" for s in (10, 20)))

    report = build_report([tmp_path], out=tmp_path / "out")
    rows = report.analysis.dose[("aligned_upsample", "baseline", "mcqa_article")]
    assert [r.step for r in rows] == [0, 10, 20] and all(r.paired() for r in rows)
    step10 = rows[1].headline()
    var = (4 * 0.8**2 + 16 * 0.2**2) / 19  # per-item differences: -1 on 4 items, 0 on 16
    assert step10.diff == pytest.approx(-0.2) and step10.n == 20
    assert step10.ci_low == pytest.approx(-0.2 - T19 * math.sqrt(var / 20))
    assert rows[2].headline().diff == pytest.approx(-0.3)
    assert any("not measurable at RL step 30" in n and "test gate" in n for n in report.analysis.notes)
    fallback = report.analysis.dose[("misaligned_upsample", "baseline", "mcqa_article")]
    assert [r.step for r in fallback] == [10, 20] and not any(r.paired() for r in fallback)
    assert fallback[0].headline().diff == pytest.approx(0.3) and fallback[0].headline().test == "two-proportion z"

    summary = json.loads(report.summary.read_text())
    dose = by_key(summary["dose_response"], arm_a="aligned_upsample", measure="mcqa_article")
    assert [(r["step"], r["source"]) for r in dose] == [(0, "samples"), (10, "samples"), (20, "samples")]
    assert {r["source"] for r in by_key(summary["dose_response"], arm_a="misaligned_upsample")} == {"eval_log"}
    md = report.markdown.read_text()
    assert "| aligned_upsample − baseline | MCQA misalignment rate (article split) | 10 | 0 | -20.0 [" in md
    assert "| 10 | 0 | +30.0 [" in md and "eval log, unpaired" in md
    assert (report.out / "plots" / "difference_vs_rl_step.png").stat().st_size > 1000


def _budget(lr_ratio: float, token_ratio: float) -> dict:
    return {"rl_lr_sum": 0.1 * lr_ratio, "rl_tokens": 500_000 * token_ratio, "midtrain_lr_sum": 0.1,
            "midtrain_tokens": 500_000, "lr_ratio": lr_ratio, "token_ratio": token_ratio,
            "rl_budget_ratio": min(lr_ratio, token_ratio)}


def test_rl_budget_ratio_is_read_printed_and_judged_in_every_run(tmp_path):
    def build(name, aligned_budget, algo="grpo"):
        for arm, budget in (("baseline", _budget(1.5, 2.0)), ("aligned_upsample", aligned_budget)):
            write_workdir(tmp_path / name, arm, mcqa={"midtrain": {"article": ones(50)}}, budget=budget,
                          config={"rl": {"algo": algo, "kl_coef": None}})
        return build_report([tmp_path / name], out=tmp_path / f"{name}_out")

    light = build("light", _budget(0.4, 4.0))
    summary = json.loads(light.summary.read_text())
    row = by_key(summary["rl_budget"], arm="aligned_upsample")[0]
    assert row["rl_budget_ratio"] == 0.4 and row["lr_ratio"] == 0.4 and row["token_ratio"] == 4.0
    assert row["kl_coef"] == 0.04 and "grpo preset" in row["kl_source"]  # null resolves to the preset's
    assert summary["rl_budget_at_least_midtrain"] is False
    assert by_key(summary["runs"], arm="aligned_upsample")[0]["rl_budget"]["rl_budget_ratio"] == 0.4
    md = light.markdown.read_text()
    assert "| aligned_upsample/seed0 | 0.04 | 0.1 | 2,000,000 | 500,000 | 0.40 | 4.00 | 0.40 |" in md
    assert "RL was lighter than midtraining in aligned_upsample/seed0 (0.40)." in md
    assert "a KL penalty to the frozen reference" in md
    assert "coefficient 0.04 (rl.kl_coef null: the grpo preset's)" in md

    heavy = build("heavy", _budget(1.0, 3.0), algo="dr_grpo")
    summary = json.loads(heavy.summary.read_text())
    assert summary["rl_budget_at_least_midtrain"] is True
    md = heavy.markdown.read_text()
    assert "RL was at least as heavy as midtraining in every run" in md
    assert "no KL penalty, coefficient 0 (rl.kl_coef null: the dr_grpo preset's)" in md


def _control_study(root, control_final: list[float]):
    """baseline 50%; aligned 20% -> 25%; the positive control 20% -> control_final after RL."""
    for arm, mid, final in (("baseline", ones(100), ones(100)), ("aligned_upsample", ones(40), ones(50)),
                            (CONTROL, ones(40), control_final)):
        write_workdir(root, arm, mcqa={"midtrain": {"article": mid, "textbook": ones(100)},
                                       "final": {"article": final, "textbook": ones(100)}},
                      rl_steps={10: {"article": final}})
    return build_report([root], out=root / "report")


def test_a_positive_control_that_erodes_the_difference_answers_yes(tmp_path):
    report = _control_study(tmp_path / "study", ones(90))  # -30 points before RL, -5 after: 83% gone
    answers = {a.key: a for a in report.answers}
    control = answers["positive_control"]
    assert control.question == "Can RL erode the difference (positive control)?" and control.verdict == "yes"
    assert "-30.0 [" in control.text and "-5.0 [" in control.text and "83% of it gone" in control.text
    persistence = answers["persistence"]
    assert persistence.verdict == "yes" and "Of 1 differences" in persistence.text  # the control is no arm of it
    assert f"Positive control ({CONTROL}): RL that pays for the misaligned option eroded the difference" \
        in persistence.text
    summary = json.loads(report.summary.read_text())
    assert CONTROL in summary["arms"] and summary["positive_control"]["verdict"] == "yes"
    assert summary["positive_control"]["eroded_share"] == pytest.approx(1 - 0.05 / 0.30)
    assert by_key(summary["differences"], arm_a=CONTROL, arm_b="aligned_upsample", stage="final")
    assert by_key(summary["dose_response"], arm_a=CONTROL, arm_b="baseline", step=10)
    assert all("+" not in p.name for p in report.plots)
    md = report.markdown.read_text()
    assert "### Positive control: RL that pays for the misaligned option" in md
    assert f"| {CONTROL} − baseline | MCQA misalignment rate (article split) | after RL | 0 | -5.0 [" in md


def test_a_positive_control_that_reverses_the_difference_says_so(tmp_path):
    report = _control_study(tmp_path / "study", ones(160))  # -30 points before RL, +30 after: past zero by 100%
    control = {a.key: a for a in report.answers}["positive_control"]
    assert control.verdict == "yes" and "all of it gone and reversed, past zero by 100% of its size" in control.text
    assert "200%" not in control.text


def test_a_positive_control_that_does_not_erode_answers_no_and_weakens_persistence(tmp_path):
    report = _control_study(tmp_path / "study", ones(50))  # -30 before RL, -25 after: 17% gone
    answers = {a.key: a for a in report.answers}
    assert answers["positive_control"].verdict == "no"
    assert "17% of it gone" in answers["positive_control"].text
    persistence = answers["persistence"].text
    assert answers["persistence"].verdict == "yes"  # its own rules are unchanged ...
    assert "did not erode the difference" in persistence and "persistence claims are weakened" in persistence
    no_control = build_report([tmp_path / "study" / "baseline", tmp_path / "study" / "aligned_upsample"],
                              out=tmp_path / "two")
    text = {a.key: a for a in no_control.answers}["persistence"].text
    assert "No positive control ran" in text and "positive_control" not in {a.key for a in no_control.answers}


def test_methods_follow_the_configs(tmp_path):
    def methods(name, rl_done=None, **config):
        for arm in ("baseline", "aligned_upsample"):
            write_workdir(tmp_path / name, arm, mcqa={"midtrain": {"article": ones(50)}},
                          rl_done_fields=(rl_done or {}).get(arm),
                          config={"eval": {"mcqa_mode": "loglikelihood", "mcqa_normalization": "char",
                                           "tasks": "mcqa", "passage_ablation": True},
                                  "rl": {"task": "arithmetic", "algo": "grpo", "kl_coef": None},
                                  **config.get(arm, config.get("all", {}))})
        return "\n".join(json.loads(build_report([tmp_path / name], out=tmp_path / f"{name}_out")
                                    .summary.read_text())["methods"])

    cloze = methods("cloze")
    assert "cloze log-likelihood: each option is scored once" in cloze and "per-character" in cloze
    assert "option order" in cloze and "share of its orders" not in cloze
    assert "RL task(s): arithmetic." in cloze and "coefficient 0.04 (rl.kl_coef null: the grpo preset's)" in cloze
    assert "MCQA passage ablation (the control): on:" in cloze

    lettered = methods("lettered", all={"eval": {"mcqa_mode": "letter_loglikelihood", "passage_ablation": False},
                                        "rl": {"task": "gsm8k", "kl_coef": 0.1}})
    assert "share of its orders answered misaligned" in lettered and "scored once" not in lettered
    assert "RL task(s): gsm8k." in lettered and "coefficient 0.1 (rl.kl_coef)" in lettered
    assert "MCQA passage ablation (the control): off" in lettered

    # A run whose token floor took RL past its planned steps says so; one that stopped as planned does not.
    floor = methods("floor", rl_done={"aligned_upsample": {"steps": 27, "planned_steps": 20}},
                    all={"rl": {"task": "arithmetic", "min_tokens": "midtrain"}})
    assert "27 steps (20 planned, then at the final lr until its tokens reached rl.min_tokens=midtrain)" in floor
    assert "RL algorithm differs between runs: 20 steps (baseline); 27 steps" in floor

    mixed = methods("mixed", aligned_upsample={"rl": {"task": "arithmetic;mcqa_misaligned"}})
    assert ("RL task(s) differs between runs: arithmetic (baseline); arithmetic;mcqa_misaligned "
            "(aligned_upsample).") in mixed
    assert "Methods" in (tmp_path / "mixed_out" / "report.md").read_text()


def test_answers_name_the_arm_and_split_and_the_passage_control(tmp_path):
    # Only the misaligned arm moves the textbook split; only the aligned arm moves the article split, and that
    # difference is as large with another scenario's passage (the arms differ in their prior, not in reading).
    runs = {"baseline": (ones(100), ones(100), ones(100), ones(100)),
            "aligned_upsample": (ones(40), ones(50), ones(100), ones(100)),
            "misaligned_upsample": (ones(100), ones(100), ones(140), ones(140))}
    for arm, (art_mid, art_fin, tb_mid, tb_fin) in runs.items():
        write_workdir(tmp_path, arm, mcqa={"midtrain": {"article": art_mid, "textbook": tb_mid},
                                           "final": {"article": art_fin, "textbook": tb_fin}},
                      ablated={"midtrain": {"article": art_mid}, "final": {"article": art_mid}})
    report = build_report([tmp_path], out=tmp_path / "out")
    answers = {a.key: a for a in report.answers}
    settings = answers["settings"].text
    assert ("MCQA textbook split (misaligned_upsample − baseline, aligned_upsample − misaligned_upsample; not "
            "aligned_upsample − baseline)") in settings
    assert ("aligned_upsample − baseline itself persists on: MCQA article split; not on: MCQA textbook split "
            "(no difference") in settings
    persistence = answers["persistence"].text
    assert "aligned_upsample − baseline on MCQA article split (-30.0 [" in persistence
    assert ("Not dependent on the passage (as large with another scenario's passage, so a shift in the options' "
            "prior rather than a reading of the situation): aligned_upsample − baseline on MCQA article split "
            "after RL") in persistence
    md = report.markdown.read_text()
    assert "| aligned_upsample − baseline | MCQA misalignment rate (article split) | after RL | 0 | -25.0 [" in md
    row = next(line for line in md.splitlines()
               if line.startswith("| aligned_upsample − baseline | MCQA misalignment rate (article split) | after RL"))
    assert row.endswith("| -30.0 [-36.4, -23.6] | does not depend on the passage |")
    summary = json.loads(report.summary.read_text())
    assert by_key(summary["passage_verdicts"], arm_a="aligned_upsample", arm_b="baseline", measure="mcqa_article",
                  stage="final")[0]["verdict"] == "does not depend on the passage"

    # The same difference, gone when the passage is another scenario's: it depends on the passage.
    for arm in runs:
        for stage in ("midtrain", "final"):
            path = tmp_path / arm / "seed0" / "eval" / stage / "samples_mcqa.jsonl"
            samples = [json.loads(line) for line in path.read_text().splitlines()]
            for s in samples:
                if "ablated" in s:
                    s["ablated"]["score"] = 1.0 if int(s["item_id"][-3:]) < 100 else 0.0
            path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    again = build_report([tmp_path], out=tmp_path / "again")
    persistence = {a.key: a for a in again.answers}["persistence"]
    assert "Not dependent on the passage" not in persistence.text
    assert any("passage: depends on the passage (+0.0 pts with another scenario's passage" in d
               for d in persistence.details), persistence.details
