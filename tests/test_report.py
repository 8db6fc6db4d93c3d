"""The study report (tools/report.py, study.report) on small synthetic workdirs with known numbers.

Workdirs are written the way main.py and the eval suite write them: results.json values come from
`evals.stats.rate` over the per-sample scores, so tables can be checked against the files and paired
differences against a hand computation.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import sys
from pathlib import Path

import pytest

from evals.stats import rate
from study.report import ReportInputError, build_report, significance
from study.report.significance import (
    chi2_sf_closed_form,
    chi_square_homogeneity,
    t_quantile_975,
    t_quantile_975_table,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import report as report_cli  # noqa: E402
from test_report_workdirs import ones, write_workdir  # noqa: E402

EXAMPLE = Path(__file__).parent / "data" / "report" / "example_workdir"


def study(root: Path, aligned_final: list[float], misaligned: tuple[list[float], list[float]] | None = None,
          aligned_caps: list[float] | None = None, seeds=(0,)) -> Path:
    """baseline 50% misaligned; aligned_upsample 20% after midtraining and `aligned_final` after RL;
    misaligned_upsample (after midtraining, after RL) when given."""
    same_caps = ones(60, 100)
    task = [(0, 0.5, 5000), (20, 0.6, 5000)]
    for seed in seeds:
        write_workdir(root, "baseline", seed, {"midtrain": {"article": ones(100), "textbook": ones(100)},
                                               "final": {"article": ones(100), "textbook": ones(100)}},
                      {"final": {"arithmetic": same_caps}}, task)
        write_workdir(root, "aligned_upsample", seed,
                      {"midtrain": {"article": ones(40), "textbook": ones(100)},
                       "final": {"article": aligned_final, "textbook": ones(100)}},
                      {"final": {"arithmetic": aligned_caps or same_caps}}, task)
        if misaligned is not None:
            write_workdir(root, "misaligned_upsample", seed,
                          {"midtrain": {"article": misaligned[0], "textbook": ones(100)},
                           "final": {"article": misaligned[1], "textbook": ones(100)}},
                          {"final": {"arithmetic": ones(60, 100, start=1)}}, task)  # the same rate, other items
    return root


def answers(report) -> dict[str, str]:
    return {a.key: a.verdict for a in report.answers}


def rates(summary: dict, measure: str, stage: str) -> dict:
    return {(r["arm"], r["seed"]): r for r in summary["rates"] if r["measure"] == measure and r["stage"] == stage}


def test_every_table_and_plot_is_in_markdown_and_html_and_main_table_matches_results(tmp_path):
    root = study(tmp_path / "study", aligned_final=ones(50), misaligned=(ones(40, start=2), ones(50, start=2)))
    (root / "study.json").write_text(json.dumps({"arms": ["baseline", "aligned_upsample", "misaligned_upsample"],
                                                 "seeds": [0]}))
    assert report_cli.main([str(root)]) == 0
    out = root / "report"
    markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    plots = sorted(p.relative_to(out).as_posix() for p in (out / "plots").glob("*.png"))
    assert len(plots) == 5
    for plot in plots:
        assert f"]({plot})" in markdown and f'src="{plot}"' in page
        assert (out / plot).stat().st_size > 1000
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.M)
    for heading in ["Runs included", "Methods", "1. MCQA misalignment rate per arm", "3. Capabilities after RL",
                    "4. Paired differences on the same items", "Persistence through RL",
                    "Differences vs RL step (dose-response)", "5. Answers, as measured"]:
        assert heading in headings and f">{heading}</h" in page
    assert markdown.count("\n|---") == page.count("<table>") >= 5

    summary = json.loads((out / "summary.json").read_text())
    for stage in ("midtrain", "final"):
        table = rates(summary, "mcqa_article", stage)
        for arm in ("baseline", "aligned_upsample", "misaligned_upsample"):
            expected = json.loads((root / arm / "seed0" / "eval" / stage / "results.json").read_text())
            estimate = expected["results"]["mcqa"]["misalignment_rate/split=article"]
            cell = table[(arm, 0)]
            for field in ("value", "ci_low", "ci_high", "n"):
                assert cell[field] == estimate[field]
            text = (f"{100 * estimate['value']:.1f}% [{100 * estimate['ci_low']:.1f}, "
                    f"{100 * estimate['ci_high']:.1f}] ({estimate['n']})")
            assert text in markdown and text in page


def test_paired_difference_and_mcnemar_equal_a_hand_computation(tmp_path):
    a = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]  # aligned_upsample, after midtraining
    b = [1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0]  # baseline
    write_workdir(tmp_path, "baseline", mcqa={"midtrain": {"article": [float(x) for x in b]}})
    write_workdir(tmp_path, "aligned_upsample", mcqa={"midtrain": {"article": [float(x) for x in a]}})
    report = build_report([tmp_path], out=tmp_path / "out")
    summary = json.loads(report.summary.read_text())
    row = next(r for r in summary["differences"] if r["arm_a"] == "aligned_upsample" and
               r["measure"] == "mcqa_article" and r["stage"] == "midtrain")
    d = [x - y for x, y in zip(a, b)]
    n = len(d)
    mean = sum(d) / n
    se = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1) / n)
    only_a, only_b = 2, 5  # a=1,b=0 on items 1 and 10; a=0,b=1 on items 2, 3, 4, 5, 9
    p = min(1.0, 2 * sum(math.comb(7, i) for i in range(0, 3)) / 2 ** 7)  # exact binomial, 7 discordant pairs
    assert row["n"] == n and row["only_a"] == only_a and row["only_b"] == only_b
    assert row["diff"] == pytest.approx(-3 / 12)
    assert row["diff"] == pytest.approx(mean)
    t11 = 2.200985160082949  # Student's t, 11 degrees of freedom
    assert row["ci_low"] == pytest.approx(mean - t11 * se, abs=1e-6)
    assert row["ci_high"] == pytest.approx(mean + t11 * se, abs=1e-6)
    # Unclustered items: the sign-flip test over items is McNemar's exact test.
    assert row["p_value"] == pytest.approx(p) == pytest.approx(0.453125)
    assert "-25.0 [" in report.markdown.read_text()


def test_chi_square_matches_textbook_values(monkeypatch):
    # Critical values at p = 0.05 from the chi-square table.
    for x, df in [(3.841, 1), (5.991, 2), (7.815, 3), (9.488, 4), (18.307, 10)]:
        assert chi2_sf_closed_form(x, df) == pytest.approx(0.05, abs=2e-4)
    # 2x2 table [[20, 30], [30, 20]]: chi-square 4.0 (df 1), p = P(|Z| > 2) = 0.0455.
    test = chi_square_homogeneity([(20, 50), (30, 50)])
    assert test.statistic == pytest.approx(4.0) and test.df == 1
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(2.0))) == pytest.approx(0.0455, abs=1e-4)
    # t quantiles, table and (if installed) scipy, against textbook values.
    for df, t in [(1, 12.706), (2, 4.303), (10, 2.228), (30, 2.042), (120, 1.980)]:
        assert t_quantile_975_table(df) == pytest.approx(t, abs=1e-3)
        assert t_quantile_975(df) == pytest.approx(t, abs=1e-3)
    # Without scipy the report falls back to the closed form and the table.
    monkeypatch.setattr(significance, "_scipy_stats", lambda: None)
    assert significance.chi2_sf(4.0, 1) == pytest.approx(0.0455, abs=1e-4)
    assert significance.t_quantile_975(4) == pytest.approx(2.776, abs=1e-3)
    monkeypatch.undo()
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 5, 9):
        for x in (0.5, 3.0, 12.0, 40.0):
            assert chi2_sf_closed_form(x, df) == pytest.approx(float(scipy_stats.chi2.sf(x, df)), rel=1e-10)


def test_capability_chi_square_in_report_matches_hand_computation(tmp_path):
    # arithmetic 60/100, 50/100, 40/100: pooled 0.5, expected 50 each, chi-square = 4 * 100/50 = 8 on 2 df,
    # and for 2 df the survival function is exp(-x/2).
    for arm, k in (("baseline", 60), ("aligned_upsample", 50), ("misaligned_upsample", 40)):
        write_workdir(tmp_path, arm, caps={"final": {"arithmetic": ones(k, 100)}})
    report = build_report([tmp_path], out=tmp_path / "out")
    summary = json.loads(report.summary.read_text())
    test = next(t for t in summary["capability_tests"] if t["measure"] == "arithmetic")
    assert test["statistic"] == pytest.approx(8.0) and test["df"] == 2
    assert test["p_value"] == pytest.approx(math.exp(-4.0))
    assert answers(report)["capabilities"] == "no"  # -20 points on the same items


def test_persistence_and_answers_flip_with_the_data(tmp_path):
    # misaligned_upsample: the aligned arm's rates on shifted items (kept), or the baseline's (lost).
    # Capabilities "equal" needs a real interval: the aligned arm's arithmetic differs from the baseline on 4 of
    # 100 items, 2 each way (identical scores would be a degenerate comparison, never evidence of equality).
    kept = build_report([study(tmp_path / "kept", aligned_final=ones(50), aligned_caps=ones(60, 100, start=2),
                               misaligned=(ones(40, start=2), ones(50, start=2)))], out=tmp_path / "kept_out")
    lost = build_report([study(tmp_path / "lost", aligned_final=ones(98), misaligned=(ones(100), ones(100)),
                               aligned_caps=ones(30, 100))], out=tmp_path / "lost_out")

    def entry(report):
        return next(p for p in report.analysis.persistence
                    if (p.arm_a, p.arm_b, p.measure) == ("aligned_upsample", "baseline", "mcqa_article"))

    assert entry(kept).verdict == "yes" and entry(kept).retained == pytest.approx(0.25 / 0.30)
    assert entry(lost).verdict == "no" and "vanished" in entry(lost).reason
    assert answers(kept)["persistence"] == "yes" and answers(lost)["persistence"] == "no"
    # Salience: misaligned upsampling as low as aligned (within 5 points) vs no lower than the baseline.
    assert answers(kept)["salience"] == "yes" and answers(lost)["salience"] == "no"
    # Capabilities: the same rates on partly other items (intervals within 5 points) vs 30 points lower.
    assert answers(kept)["capabilities"] == "yes" and answers(lost)["capabilities"] == "no"
    assert "vanished: the after-RL CI includes 0" in lost.markdown.read_text()
    lost_answers = lost.markdown.read_text().split("5. Answers")[1]
    assert "NO: Of 2 differences present after midtraining (95% CI excludes 0), 0 persist" in lost_answers


def test_several_seeds_give_a_mean_with_a_t_interval_and_per_seed_rows(tmp_path):
    for seed, k in ((0, 40), (1, 60)):
        write_workdir(tmp_path, "baseline", seed, mcqa={"midtrain": {"article": ones(k)}})
    report = build_report([tmp_path], out=tmp_path / "out")
    summary = json.loads(report.summary.read_text())
    table = rates(summary, "mcqa_article", "midtrain")
    mean = table[("baseline", "mean")]
    assert mean["value"] == pytest.approx(0.25) and mean["n_seeds"] == 2
    se = 0.05  # sd of (0.2, 0.3) is 0.0707; / sqrt(2)
    assert mean["ci_high"] == pytest.approx(0.25 + 12.706 * se, abs=1e-3)
    assert mean["ci_low"] == 0.0  # 0.25 - 12.706 * se, clipped to the range of a rate
    assert {("baseline", 0), ("baseline", 1)} <= set(table)
    text = report.markdown.read_text()
    assert "| baseline | mean | 25.0% [" in text and "(2 seeds)" in text and "| baseline | 1 | 30.0%" in text


def test_incomplete_workdir_is_reported_and_the_rest_still_written(tmp_path):
    write_workdir(tmp_path, "baseline", mcqa={"midtrain": {"article": ones(100)}, "final": {"article": ones(90)}})
    write_workdir(tmp_path, "aligned_upsample", mcqa={"midtrain": {"article": ones(40)}}, rl_done=False)
    (tmp_path / "study.json").write_text(json.dumps({"arms": ["baseline", "aligned_upsample"], "seeds": [0, 1]}))
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"arm": "baseline", "seed": 0, "stages": "pretrain"}))
    report = build_report([tmp_path], out=tmp_path / "out")
    text = report.markdown.read_text()
    assert "aligned_upsample/seed0" in text and "no eval after RL (eval/final/results.json)" in text
    assert "stage rl not finished (no rl/done.json)" in text
    assert "missing run: arm aligned_upsample seed 1" in text and "left out" in text and str(base) in text
    table = rates(json.loads(report.summary.read_text()), "mcqa_article", "final")
    assert table[("aligned_upsample", 0)]["status"] == "missing"
    assert table[("baseline", 0)]["value"] == pytest.approx(0.45)
    assert "| aligned_upsample | 0 | 20.0% [" in text and "| missing |" in text
    entry = next(p for p in report.analysis.persistence if p.measure == "mcqa_article")
    assert entry.verdict == "missing"
    assert all(p.exists() for p in report.plots) and report.html.exists()


def test_malformed_results_json_names_the_file(tmp_path, capsys):
    workdir = write_workdir(tmp_path, "baseline", mcqa={"midtrain": {"article": ones(10, 20)}})
    bad = workdir / "eval" / "midtrain" / "results.json"
    bad.write_text('{"results": {"mcqa": ')
    with pytest.raises(ReportInputError, match=re.escape(str(bad))):
        build_report([tmp_path], out=tmp_path / "out")
    assert report_cli.main([str(tmp_path)]) == 2
    assert str(bad) in capsys.readouterr().err
    bad.write_text(json.dumps({"results": {"mcqa": {"misalignment_rate/split=article": {"n": 3}}}}))
    with pytest.raises(ReportInputError, match=r"results\['mcqa'\]\['misalignment_rate/split=article'\].*'value'"):
        build_report([tmp_path], out=tmp_path / "out")


def test_example_workdir_fixture(tmp_path):
    """A real single-arm workdir (weights removed, metrics and samples trimmed)."""
    report = build_report([EXAMPLE], out=tmp_path / "out")
    summary = json.loads(report.summary.read_text())
    results = json.loads((EXAMPLE / "eval" / "final" / "results.json").read_text())["results"]
    for split in ("article", "textbook"):
        cell = rates(summary, f"mcqa_{split}", "final")[("aligned_upsample", 0)]
        assert cell["value"] == results["mcqa"][f"misalignment_rate/split={split}"]["value"]
    # MCQA `score` is the misaligned share: its mean over the article items is the reported misalignment rate.
    samples = [json.loads(line) for line in (EXAMPLE / "eval" / "final" / "samples_mcqa.jsonl").open()]
    article = [s["score"] for s in samples if s["split"] == "article"]
    assert sum(article) / len(article) == pytest.approx(results["mcqa"]["misalignment_rate/split=article"]["value"])
    assert all(s["score"] + s["aligned_score"] == 1.0 for s in samples)
    task = rates(summary, "task_accuracy", "rl_last")[("aligned_upsample", 0)]
    logged = [json.loads(line) for line in (EXAMPLE / "rl" / "eval_log.jsonl").open()]
    last = max((e for e in logged if e["metric"] == "task_accuracy"), key=lambda e: e["step"])
    assert task["step"] == last["step"] == 60 and task["value"] == last["value"] and task["n"] == last["n"]
    assert {a.verdict for a in report.answers} == {"inconclusive"}  # one arm: nothing to compare
    assert "no baseline arm 'baseline'" in report.markdown.read_text()

    # The same workdir twice, once relabelled as the baseline: identical scores, so every paired difference is 0.
    twin = tmp_path / "twin"
    shutil.copytree(EXAMPLE, twin)
    config = json.loads((twin / "config.json").read_text())
    (twin / "config.json").write_text(json.dumps({**config, "arm": "baseline"}))
    paired = build_report([EXAMPLE, twin], out=tmp_path / "paired")
    row = paired.analysis.diffs[("aligned_upsample", "baseline", "mcqa_article", "final")].headline()
    assert row.diff == 0.0 and row.n == 300 and row.p_value == 1.0
    assert row.degenerate == "no discordant pairs" and not row.has_ci()  # identical runs: nothing was tested


def test_eval_log_and_samples_readers_report_bad_lines_repeats_and_unpaired(tmp_path):
    from study.report.runs import read_eval_log
    from study.report.samples import SampleRecord, pair_samples, read_samples

    log = tmp_path / "eval_log.jsonl"
    entry = {"step": 0, "metric": "task_accuracy", "value": 0.25, "stderr": 0.1, "n": 20}
    log.write_text("".join(json.dumps({**entry, **x}) + "\n" for x in ({}, {"step": 10}, {"value": 0.5})))
    points, repeated = read_eval_log(log)
    assert repeated == 1 and [(p.step, p.value) for p in points["task_accuracy"]] == [(0, 0.5), (10, 0.25)]
    log.write_text(json.dumps(entry) + "\n" + '{"step": "ten", "metric": "x", "value": 1}\n')
    with pytest.raises(ReportInputError, match=re.escape(f"{log} line 2")):
        read_eval_log(log)

    samples = tmp_path / "samples_chat.jsonl"
    samples.write_text('{"item_id": "p1", "sample_index": 0, "score": 1.0}\n{"item_id": "p1", "score": 0.0}\n')
    with pytest.raises(ReportInputError, match=re.escape(f"{samples} line 2: duplicate sample")):
        read_samples(samples)

    def rec(item, score):
        return SampleRecord((None, item, 0), score, item)

    # p3 is refused in b (unscored); p4 exists only in a (unpaired): both counted, neither paired.
    result = pair_samples([rec("p1", 1.0), rec("p2", 0.0), rec("p3", 1.0), rec("p4", 1.0)],
                          [rec("p1", 0.0), rec("p2", 0.0), rec("p3", None)])
    assert result.unscored == 1 and result.unpaired == 1
    assert result.difference.n == 2 and result.difference.mean_diff == pytest.approx(0.5)


def test_two_workdirs_for_one_arm_and_seed_is_an_error(tmp_path):
    write_workdir(tmp_path / "a", "baseline", mcqa={"midtrain": {"article": ones(5, 10)}})
    write_workdir(tmp_path / "b", "baseline", mcqa={"midtrain": {"article": ones(5, 10)}})
    with pytest.raises(ReportInputError, match="two workdirs for arm 'baseline' seed 0"):
        build_report([tmp_path / "a", tmp_path / "b"], out=tmp_path / "out")


def test_write_report_on_a_study_folder_leaves_out_the_shared_base(tmp_path):
    from study.report import write_report
    write_workdir(tmp_path, "baseline", mcqa={"midtrain": {"article": ones(5, 10)}})
    base = tmp_path / "base"
    base.mkdir()  # run_study.py's shared base: same arm and seed as baseline/seed0, pretrain only
    (base / "config.json").write_text(json.dumps({"arm": "baseline", "seed": 0, "stages": "pretrain"}))
    path = write_report([tmp_path], tmp_path / "report")
    assert path == tmp_path / "report" / "report.md" and "left out" in path.read_text()


def test_rl_dose_table_from_the_rl_scalars(tmp_path):
    w = tmp_path / "w"
    shutil.copytree(EXAMPLE, w)
    (w / "rl" / "tb").mkdir()
    rows = [{"step": s, "rl/reward_mean": 0.1 * (s > 10), "rl/kl": 0.01 * s, "rl/entropy": 2.0} for s in range(1, 21)]
    rows.insert(3, {"step": 4, "eval/task_accuracy": 0.5})  # eval rows carry no rl/* tags: not RL steps
    rows.append({"step": 20, "rl/reward_mean": 0.3, "rl/kl": 0.4, "rl/entropy": 1.0})  # a resumed step: last wins
    (w / "rl" / "tb" / "scalars.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    md = build_report([w], out=tmp_path / "out").markdown.read_text()
    # first 10 steps: reward 0, KL mean 0.055; last 10 (11..20, step 20 replaced): reward 0.12, KL 0.175
    assert "| aligned_upsample | 0 | 20 | 0.000 → 0.120 | 0.055 → 0.175 | 2.000 → 1.900 |" in md


def test_capability_equality_is_never_claimed_at_floor(tmp_path):
    """Arithmetic at 5% in both arms (floor: chance 0 + 10 points) is listed as uninformative and left out of the
    equality verdict; a drop from 60% to 5% is not at floor and is a difference."""
    both_low = study(tmp_path / "low", aligned_final=ones(50), aligned_caps=ones(5, 100, start=2))
    for folder in (p for p in (both_low / "baseline" / "seed0" / "eval").glob("*") if p.is_dir()):
        results = folder / "results.json"
        doc = json.loads(results.read_text())
        if "capabilities" in doc["results"]:
            doc["results"]["capabilities"]["arithmetic/accuracy"] = rate(ones(5, 100)).to_dict()
            results.write_text(json.dumps(doc))
            (folder / "samples_capabilities.jsonl").write_text("".join(
                json.dumps({"subtask": "arithmetic", "item_id": f"arithmetic-{i:03d}", "score": s}) + "\n"
                for i, s in enumerate(ones(5, 100))))
    low = next(a for a in build_report([both_low], out=tmp_path / "low_out").answers if a.key == "capabilities")
    assert any("Arithmetic" in d and "at floor" in d for d in low.details), low.details
    assert "All 1 differences" in low.text  # only the RL task accuracy (50-60%) informs the verdict
    drop = study(tmp_path / "drop", aligned_final=ones(50), aligned_caps=ones(5, 100))
    answer = next(a for a in build_report([drop], out=tmp_path / "drop_out").answers if a.key == "capabilities")
    assert answer.verdict == "no" and not any("at floor" in d for d in answer.details)


def test_a_run_whose_arm_differs_from_its_config_name_is_found_by_its_workdir(tmp_path):
    # tools/run_study.py lists configs/misaligning_rl_control.py as "misaligning_rl_control"; the run records the
    # arm "aligned_upsample+misaligning_rl". Found by workdir, it is not also reported missing; seed 1 is.
    write_workdir(tmp_path, "baseline", mcqa={"final": {"article": ones(10)}})
    control = write_workdir(tmp_path, "misaligning_rl_control", mcqa={"final": {"article": ones(10)}},
                            config={"arm": "aligned_upsample+misaligning_rl"})
    runs = {"misaligning_rl_control/seed0": {"arm": "misaligning_rl_control", "seed": 0, "workdir": str(control)}}
    (tmp_path / "study.json").write_text(json.dumps(
        {"arms": ["baseline", "misaligning_rl_control"], "seeds": [0, 1], "runs": runs}))
    text = build_report([tmp_path], out=tmp_path / "out").markdown.read_text()
    assert "| aligned_upsample+misaligning_rl | 0 |" in text
    assert "missing run: arm misaligning_rl_control seed 0" not in text
    assert "missing run: arm misaligning_rl_control seed 1" in text and "missing run: arm baseline seed 1" in text


def test_seed_pairs_with_the_same_difference_get_no_interval_and_no_verdict():
    # Two seeds that both gave +0.3 points (it happened on the bundled world) are not a certain +0.3: a zero-width
    # interval would exclude 0 and count as a difference.
    from study.report.cells import OK, DiffCell, aggregate_diffs

    same = aggregate_diffs([DiffCell(OK, 0.003, -0.1, 0.1, 300), DiffCell(OK, 0.003, -0.08, 0.09, 300)])
    assert same.diff == pytest.approx(0.003) and same.degenerate == "zero variance across seeds"
    assert not same.has_ci() and not same.excludes_zero()
    spread = aggregate_diffs([DiffCell(OK, d, d - 0.1, d + 0.1, 300) for d in (0.10, 0.11, 0.12)])  # t(2): ±0.025
    assert spread.degenerate is None and spread.has_ci() and spread.excludes_zero()


def test_a_study_without_rl_compares_capabilities_at_its_last_eval_point(tmp_path):
    """Midtraining then the eval (docs/real_model's arms): eval/final holds the midtrained model, so the
    capability table, its paired differences and the equality answer are after midtraining, and say so."""
    for arm, correct in (("baseline", 60), ("aligned_upsample", 30)):
        w = write_workdir(tmp_path / "s", arm, mcqa={"final": {"article": ones(50)}},
                          caps={"final": {"arithmetic": ones(correct, 100)}}, rl_done=False,
                          config={"stages": "midtrain,eval"})
        results = w / "eval" / "final" / "results.json"
        results.write_text(results.read_text().replace(f"{arm}/rl", f"{arm}/midtrain"))
    report = build_report([tmp_path / "s"], out=tmp_path / "out")
    md = report.markdown.read_text()
    assert "## 3. Capabilities after midtraining (no RL ran)" in md and "Capabilities after RL" not in md
    assert "| aligned_upsample | 0 | not measured | 30.0% [" in md
    summary = json.loads(report.summary.read_text())
    (row,) = [r for r in summary["differences"] if r["measure"] == "arithmetic" and r["seed"] == 0]
    assert row["stage"] == "midtrain" and row["diff"] == pytest.approx(-0.3)
    answer = next(a for a in report.answers if a.key == "capabilities")
    assert answer.question == "Are capabilities equal across arms after midtraining (no RL ran)?"
    assert answer.verdict == "no"
