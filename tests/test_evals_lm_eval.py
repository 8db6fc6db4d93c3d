"""The lm-evaluation-harness adapter, run fully offline on a local JSON multiple-choice task."""
import json

import pytest

lm_eval = pytest.importorskip("lm_eval")

from evals.fake_model import FakeModel  # noqa: E402
from evals.lm_eval_adapter import MidalignLM, _generation_request  # noqa: E402

TASK_YAML = """task: midalign_toy_mc
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{answer}}}}"
metric_list:
  - metric: acc
"""


@pytest.mark.slow
def test_simple_evaluate_offline_with_fake_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "toy.jsonl"
    docs = [("What is the capital of France?", ["Paris", "Rome"], 0), ("What colour is the sky?", ["Green", "Blue"], 1),
            ("How many legs does a cat have?", ["Four", "Three"], 0)]
    data.write_text("".join(json.dumps({"question": q, "choices": c, "answer": a}) + "\n" for q, c, a in docs))
    (tmp_path / "toy.yaml").write_text(TASK_YAML.format(data=data))
    seen = []
    # Right on the first two questions, wrong on the third: accuracy 2/3.
    preferred = {" Paris", " Blue", " Three"}
    model = FakeModel(loglikelihood_fn=lambda c, x: seen.append((c, x)) or (0.0 if x in preferred else -5.0))
    from lm_eval.tasks import TaskManager

    results = lm_eval.simple_evaluate(
        model=MidalignLM(model=model), tasks=["midalign_toy_mc"], bootstrap_iters=0,
        task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False),
    )
    assert results["results"]["midalign_toy_mc"]["acc,none"] == pytest.approx(2 / 3)
    assert ("Question: What is the capital of France?\nAnswer:", " Paris") in seen
    assert model.calls == [("loglikelihood", 6)]  # one batched call for the whole task


def test_registered_by_name_and_spec():
    from lm_eval.api.registry import get_model

    assert get_model("midalign") is MidalignLM
    lm = MidalignLM.create_from_arg_string("spec=fake:first_option")
    assert lm.model.name == "fake:first_option"
    with pytest.raises(ValueError, match="exactly one"):
        MidalignLM()


def test_generation_kwargs_mapping_and_chat_template():
    request = _generation_request("ctx", {"until": ["\n\n", "Q:"], "max_gen_toks": 32, "do_sample": False, "temperature": 0})
    assert (request.stop, request.max_new_tokens, request.temperature) == (("\n\n", "Q:"), 32, 0.0)
    assert _generation_request("ctx", {"until": "\n", "temperature": 0.8, "seed": 3}).temperature == 0.8

    class Instance:
        def __init__(self, args):
            self.args = args

    lm = MidalignLM(model=FakeModel(generate_fn=lambda r: "answer\nmore"))
    assert lm.generate_until([Instance(("ctx", {"until": ["\n"]}))]) == ["answer"]
    assert lm.apply_chat_template([{"role": "user", "content": "hi"}]) == "User: hi\nAssistant:"
