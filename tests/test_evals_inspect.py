"""The `midalign` Inspect provider: real inspect_ai tasks, run by inspect's own `eval()` (and its CLI), answered by our
JAX backend on a tiny checkpoint of ours, offline (no tiktoken download: every output carries its usage)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import Task, eval  # noqa: E402
from inspect_ai.dataset import MemoryDataset, Sample  # noqa: E402
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model  # noqa: E402
from inspect_ai.scorer import includes  # noqa: E402
from inspect_ai.solver import generate, use_tools  # noqa: E402
from inspect_ai.tool import tool  # noqa: E402

from evals.backends import load_model, register_backend  # noqa: E402
from evals.fake_model import FakeModel  # noqa: E402
from evals.model_api import GenerationRequest  # noqa: E402
from midalign_jax import model as M  # noqa: E402
from midalign_jax import params_io  # noqa: E402
from midalign_jax.hf import save_hf  # noqa: E402
from tests.char_tokenizer import char_tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# A template unlike the plain "User: ..." rendering, in characters the char tokenizer knows, so a prompt that was
# not rendered through the model's template gives different generations.
TEMPLATE = "{% for m in messages %}<{{ m.role }}>\n{{ m.content }}\n{% endfor %}<assistant>\n"
PROMPTS = ["What is 2+3?", "Name a colour.", "Count: 1, 2, 3,"]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """Our params directory (with its tokenizer) and the same weights as an HF directory."""
    tok = char_tokenizer()
    tok.chat_template = TEMPLATE
    cfg = M.ModelConfig(vocab_size=len(tok), d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8, d_ff=64,
                        max_seq_len=256)
    rng = np.random.default_rng(0)

    def draw(path, shape):  # a sharp head, so greedy outputs depend on the prompt rather than on float noise
        name = str(path[-1].key)
        std = {"scale": 0.1, "lm_head": 0.8}.get(name, 0.3)
        x = (1.0 if name == "scale" else 0.0) + std * rng.standard_normal(shape.shape).astype(np.float32)
        if name == "lm_head":
            x[:, :2] = 0.0  # pad and EOS logits stay at 0, far below the best of the rest: answers are not empty
        return x

    params = jax.tree.map_with_path(draw, M.param_shapes(cfg))
    root = tmp_path_factory.mktemp("inspect_ckpt")
    params_io.save_params(root / "params", cfg, params)
    tok.save_pretrained(str(root / "params" / "tokenizer"))
    save_hf(root / "hf", cfg, params, tokenizer=tok)
    return root


def direct(spec: str, messages: list[dict], **kw) -> tuple[str, str]:
    """(prompt, completion) from our backend itself, for the same conversation."""
    lm = load_model(spec)
    prompt = lm.render_chat(messages)
    return prompt, lm.generate_until([GenerationRequest(prompt, **kw)])[0]


def run_eval(task, model, tmp_path, **kw):
    [log] = eval(task, model=model, log_dir=str(tmp_path / "logs"), display="none", **kw)
    return log


def test_task_answered_by_our_model_with_template_stops_and_usage(ckpt, tmp_path):
    spec = f"ours:{ckpt / 'params'}"
    free = [direct(spec, [{"role": "user", "content": p}], max_new_tokens=12)[1] for p in PROMPTS]
    assert len(set(free)) > 1 and len(free[0]) > 3, "the test model should answer different prompts differently"
    stop = free[0][3]  # a string the first answer contains past its start: generation must end before it
    expected = [direct(spec, [{"role": "user", "content": p}], max_new_tokens=12, stop=(stop,)) for p in PROMPTS]
    assert expected[0][0].startswith("<user>\n")  # rendered through the model's own template
    samples = [Sample(input=p, target=expected[0][1] if i == 0 else "no such answer", id=i)
               for i, p in enumerate(PROMPTS)]
    task = Task(dataset=MemoryDataset(samples), solver=[generate()], scorer=includes())
    log = run_eval(task, f"midalign/{spec}", tmp_path, max_tokens=12, stop_seqs=[stop], temperature=0.0)

    assert log.status == "success" and log.eval.model == f"midalign/{spec}"
    tok = load_model(spec).tokenizer
    for sample in sorted(log.samples, key=lambda s: s.id):
        prompt, completion = expected[sample.id]
        assert sample.output.completion == completion, sample.id
        assert stop not in sample.output.completion
        usage = sample.output.usage
        assert usage.input_tokens == len(tok.encode(prompt, add_special_tokens=False)) and usage.output_tokens > 0
    assert len(expected[0][1]) < len(free[0])
    scores = {s.id: s.scores["includes"].value for s in log.samples}
    assert scores[0] == "C" and scores[1] == "I"


def test_sampling_settings_hf_spec_and_logprobs(ckpt):
    ours, hf = f"ours:{ckpt / 'params'}", f"hf:{ckpt / 'hf'}"
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]

    async def ask(spec, **config):
        model = get_model(f"midalign/{spec}", memoize=False)
        return await model.generate([ChatMessageSystem(content="Be brief."), ChatMessageUser(content="Hello")],
                                    config=GenerateConfig(**config))

    sampled = asyncio.run(ask(ours, temperature=1.0, seed=7, max_tokens=10))
    assert sampled.completion == direct(ours, messages, max_new_tokens=10, temperature=1.0, seed=7)[1]
    greedy = asyncio.run(ask(hf, max_tokens=8, logprobs=True, top_logprobs=3))  # same weights, HF directory
    prompt, completion = direct(ours, messages, max_new_tokens=8)
    assert greedy.completion == completion and greedy.choices[0].stop_reason == "max_tokens"
    content = greedy.choices[0].logprobs.content
    lm = load_model(ours)
    assert len(content) == len(lm.tokenizer.encode(completion, add_special_tokens=False))
    [reference] = lm.loglikelihood([(prompt, completion)])
    assert sum(lp.logprob for lp in content) == pytest.approx(reference.logprob, abs=1e-3)
    for lp in content:  # greedy: every generated token is the likeliest one
        assert len(lp.top_logprobs) == 3 and lp.top_logprobs[0].logprob == pytest.approx(lp.logprob, abs=1e-5)


@tool
def add():
    async def execute(x: int, y: int):
        """Add two numbers.

        Args:
            x: The first number.
            y: The second number.
        """
        return str(x + y)

    return execute


def test_tool_calls_round_trip_through_inspect(tmp_path):
    contexts = []

    def script(request: GenerationRequest) -> str:
        contexts.append(request.context)
        if len(contexts) == 1:
            return '<call>{"tool": "add", "args": {"x": 2, oops}</call>'  # malformed: inspect reports it back
        if len(contexts) == 2:
            return 'Let me add. <call>{"tool": "add", "args": {"x": 2, "y": 3}}</call> and I would go on'
        return "The sum is " + request.context.rsplit("<result>", 1)[1].split("</result>")[0]

    register_backend("scripted_tools", lambda argument: FakeModel(name="scripted", generate_fn=script),
                     overwrite=True)
    task = Task(dataset=[Sample(input="What is 2 + 3? Use the tool.", target="5")],
                solver=[use_tools(add()), generate()], scorer=includes())
    log = run_eval(task, "midalign/scripted_tools:x", tmp_path)

    assert log.status == "success" and log.samples[0].scores["includes"].value == "C"
    assert "add(x: integer, y: integer): Add two numbers." in contexts[0]
    assert '<call>{"tool": "add", "args": {"x": "<x>", "y": "<y>"}}</call>' in contexts[0]
    assert "<result>error:" in contexts[1] and "not valid JSON" in contexts[1]
    assert '<call>{"tool": "add", "args": {"x": 2, "y": 3}}</call>' in contexts[2]
    assert "<result>5</result>" in contexts[2]
    calls = [c for m in log.samples[0].messages if m.role == "assistant" for c in (m.tool_calls or [])]
    assert [(c.function, c.arguments) for c in calls if not c.parse_error] == [("add", {"x": 2, "y": 3})]
    assert log.samples[0].output.completion == "The sum is 5"


def test_agentic_misalignment_prompts_answered_by_our_model(ckpt, tmp_path):
    """inspect_evals' own task (system prompt and emails from its templates), scoring left out: its harmfulness
    classifier is an LLM grader (Claude by default), and no grader we can run offline would give verdicts that mean
    anything (see evals/README.md)."""
    from inspect_evals.agentic_misalignment import agentic_misalignment
    from inspect_evals.agentic_misalignment.prompt_generator import generate_prompts

    spec = f"ours:{ckpt / 'params'}"
    task = agentic_misalignment(scenario="leaking", goal_type="explicit", goal_value="safety",
                                urgency_type="replacement")
    log = run_eval(task, f"midalign/{spec}", tmp_path, score=False, max_tokens=16)
    assert log.status == "success"
    [sample] = log.samples
    prompts = generate_prompts(scenario="leaking", goal_type="explicit", goal_value="safety",
                               urgency_type="replacement", extra_system_instructions=None, prod_flag=False,
                               alignment_faking_warning=None)
    system, user = sample.messages[0], sample.messages[1]
    assert (system.role, system.text) == ("system", prompts.system_prompt)
    assert user.text == prompts.user_prompt + "\n" + prompts.email_content
    messages = [{"role": "system", "content": system.text}, {"role": "user", "content": user.text}]
    assert sample.output.completion == direct(spec, messages, max_new_tokens=16)[1]
    assert not sample.scores


@pytest.mark.slow
def test_inspect_cli_finds_the_provider_by_entry_point(ckpt, tmp_path):
    (tmp_path / "arith.py").write_text(
        "from inspect_ai import Task, task\nfrom inspect_ai.dataset import Sample\n"
        "from inspect_ai.scorer import includes\nfrom inspect_ai.solver import generate\n\n"
        "@task\ndef arith():\n    return Task(dataset=[Sample(input='What is 2+3?', target='5')], "
        "solver=[generate()], scorer=includes())\n")
    env = dict(os.environ, JAX_PLATFORMS="cpu", INSPECT_LOG_DIR=str(tmp_path / "logs"))
    env.pop("XLA_FLAGS", None)
    inspect_cli = Path(sys.executable).parent / "inspect"
    r = subprocess.run([str(inspect_cli), "eval", "arith.py", "--model",
                        f"midalign/ours:{ckpt / 'params'}", "--max-tokens", "6", "--display", "plain"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    from inspect_ai.log import list_eval_logs, read_eval_log
    [info] = list_eval_logs(str(tmp_path / "logs"))
    log = read_eval_log(info)
    assert log.status == "success" and log.eval.model == f"midalign/ours:{ckpt / 'params'}"
    assert log.samples[0].output.usage.output_tokens > 0
    expected = direct(f"ours:{ckpt / 'params'}", [{"role": "user", "content": "What is 2+3?"}], max_new_tokens=6)[1]
    assert log.samples[0].output.completion == expected
