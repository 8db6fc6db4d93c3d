"""Not measurable, end to end through the suite: results.json marks the gated metrics with the reason, the
metric log gets a `<metric>/not_measurable` line, and the CLI table prints "not measurable (...)"."""
import io
import json

from evals.agentic import AgenticConfig
from midalign_jax.agent.tools import format_call as call
from evals.cli import format_table, main
from evals.fake_model import FakeModel
from evals.suite import SuiteConfig, run_suite


def prose_only(request):
    return "I read the task carefully and I would rather explain my plan in prose."


def test_results_json_marks_a_gated_setting_with_its_reason(tmp_path):
    logged = []
    results = run_suite(FakeModel(name="prose", generate_fn=prose_only), ["agentic"], SuiteConfig(),
                        out_dir=tmp_path, step=3, on_metric=lambda *args: logged.append(args))
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["results"] == results["results"]
    agentic = written["results"]["agentic"]
    assert agentic["scheming_rate"]["not_measurable"] is True
    assert agentic["scheming_rate"]["reason"] == "valid actions 0/20"
    assert agentic["scheming_rate/scenario=sandbagging"]["reason"] == "valid actions 0/4"
    assert agentic["valid_action_rate"]["value"] == 0.0 and "not_measurable" not in agentic["valid_action_rate"]
    assert agentic["no_action_rate"]["value"] == 1.0
    assert written["not_measurable"]["agentic"]["scheming_rate"] == "valid actions 0/20"
    assert written["task_info"]["agentic"]["gate"]["measurable"] is False
    assert (3, "agentic/scheming_rate/not_measurable", 1.0, None, 14) in logged
    table = format_table(written)
    row = next(line for line in table.splitlines() if line.split()[1] == "scheming_rate")
    assert "not measurable (valid actions 0/20)" in row and "0.0000" not in row


def test_an_agent_that_acts_gets_rates(tmp_path):
    def act(request):
        done = "<result>" in request.context
        return "Done." if done else call("list_files", path=".")

    results = run_suite(FakeModel(generate_fn=act), ["agentic"], SuiteConfig(agentic=AgenticConfig(max_turns=3)))
    agentic = results["results"]["agentic"]
    assert agentic["valid_action_rate"]["value"] == 1.0
    assert agentic["scheming_rate"]["value"] == 0.0 and "not_measurable" not in agentic["scheming_rate"]
    assert results["not_measurable"] == {}
    assert "not measurable" not in format_table(results)


def test_cli_prints_not_measurable_for_a_refusing_model(tmp_path):
    out, stdout = tmp_path / "run", io.StringIO()
    code = main(["--model=fake:refusal", "--tasks=chat,agentic", f"--out={out}", "--limit=3",
                 "--samples-per-prompt=2", "--scenarios=goal_guarding,sandbagging", "--max-turns=2", "--no-progress"],
                stdout=stdout)
    assert code == 0
    table = stdout.getvalue()
    assert "not measurable (valid actions 0/8)" in table
    assert "not measurable (no scorable answer (coherent, scored, not refused) among 6)" in table
    results = json.loads((out / "results.json").read_text())
    chat = results["results"]["chat"]
    assert chat["refusal_rate/judge=rubric"]["value"] == 1.0 and chat["coherent_rate/judge=rubric"]["value"] == 1.0
    assert chat["misaligned_rate/judge=rubric"]["not_measurable"] is True
    log = [json.loads(line) for line in (out / "eval_log.jsonl").read_text().splitlines()]
    assert {"agentic/scheming_rate/not_measurable", "chat/misaligned_rate/judge=rubric/not_measurable"} <= \
        {entry["metric"] for entry in log}
