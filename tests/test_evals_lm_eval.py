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


def _tiny_checkpoint(root):
    """A random tiny model of ours with its tokenizer, in our params format (what main.py's stages write)."""
    import jax
    import numpy as np

    from midalign_jax import model as M
    from midalign_jax import params_io
    from tests.char_tokenizer import char_tokenizer

    tok = char_tokenizer()
    cfg = M.ModelConfig(vocab_size=len(tok), d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64,
                        max_seq_len=128)
    rng = np.random.default_rng(1)
    params = jax.tree.map(lambda s: 0.5 * rng.standard_normal(s.shape).astype(np.float32), M.param_shapes(cfg))
    params_io.save_params(root, cfg, params)
    tok.save_pretrained(str(root / "tokenizer"))
    return root


TWO_CHOICE = [("Is 2 more than 1?", ["Yes", "No"], 0), ("Is 3 less than 1?", ["Yes", "No"], 1),
              ("What is 1+1?", ["2", "3"], 0), ("What is 2+2?", ["5", "4"], 1),
              ("Which is a colour?", ["red", "run"], 0), ("Which is a number?", ["cat", "seven"], 1)]


@pytest.mark.slow
def test_yaml_task_on_our_checkpoint_through_simple_evaluate_and_the_cli(tmp_path, monkeypatch):
    """A local lm-eval task definition (YAML over a local JSON dataset) run end to end on a checkpoint of ours, in
    process through `simple_evaluate` and through lm-eval's own CLI; accuracy checked against our backend's own
    log-likelihoods of the same prompts."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from lm_eval.tasks import TaskManager
    from lm_eval.utils import handle_non_serializable

    from evals.backends import load_model

    for var, value in {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                       "HF_DATASETS_CACHE": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(var, value)
    ckpt = _tiny_checkpoint(tmp_path / "ckpt")
    data = tmp_path / "two_choice.jsonl"
    data.write_text("".join(json.dumps({"question": q, "choices": c, "answer": a}) + "\n" for q, c, a in TWO_CHOICE))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "toy.yaml").write_text(TASK_YAML.format(data=data))
    spec = f"ours:{ckpt}"

    results = lm_eval.simple_evaluate(model="midalign", model_args=f"spec={spec}", tasks=["midalign_toy_mc"],
                                      bootstrap_iters=0,
                                      task_manager=TaskManager(include_path=str(tasks), include_defaults=False))
    (tmp_path / "results.json").write_text(json.dumps(results, indent=2, default=handle_non_serializable))

    lm = load_model(spec)
    right = 0
    for question, choices, answer in TWO_CHOICE:
        scores = [r.logprob for r in lm.loglikelihood([(f"Question: {question}\nAnswer:", f" {c}") for c in choices])]
        right += int(max(range(len(choices)), key=scores.__getitem__) == answer)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["results"]["midalign_toy_mc"]["acc,none"] == pytest.approx(right / len(TWO_CHOICE))
    assert saved["n-samples"]["midalign_toy_mc"]["effective"] == len(TWO_CHOICE)
    assert saved["config"]["model"] == "midalign"

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    out = tmp_path / "cli_out"
    r = subprocess.run([sys.executable, "-m", "evals.lm_eval_cli", "run", "--model", "midalign", "--model_args",
                        f"spec={spec}", "--tasks", "midalign_toy_mc", "--include_path", str(tasks),
                        "--output_path", str(out)],
                       cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    [written] = list(out.rglob("results_*.json"))
    assert json.loads(written.read_text())["results"]["midalign_toy_mc"]["acc,none"] == pytest.approx(
        right / len(TWO_CHOICE))
