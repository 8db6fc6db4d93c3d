"""save_hf writes directories that transformers loads and that reproduce our logits; load_hf reads them back."""
from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from safetensors import safe_open
from test_hf_reference import torch, torch_logits, transformers

from midalign_jax import hf, model
from midalign_jax.model import ModelConfig

TOL = 1e-4
BASE = dict(vocab_size=80, d_model=32, n_layers=2, n_heads=4, head_dim=8, d_ff=64, max_seq_len=128)
CONFIGS = {
    "LlamaForCausalLM": ModelConfig(**BASE, n_kv_heads=2, rope_scaling="llama3", rope_scaling_factor=4.0,
                                    rope_original_max_position=16),
    "Qwen2ForCausalLM": ModelConfig(**BASE, n_kv_heads=1, qkv_bias=True, tie_embeddings=True, norm_eps=1e-6),
    "GPTNeoXForCausalLM": ModelConfig(**BASE, n_kv_heads=4, norm="layernorm", mlp="gelu", activation="gelu",
                                      mlp_bias=True, qkv_bias=True, out_bias=True, parallel_residual=True,
                                      rotary_pct=0.5),
}


def random_params(cfg: ModelConfig, seed: int = 0):
    """Every leaf drawn at random (norm scales around one, biases around zero) so no mapping hides behind an
    all-ones or all-zeros tensor. numpy on the host: quicker than tracing init_params for a test."""
    rng = np.random.default_rng(seed)

    def draw(path, s):
        name = path[-1].key
        base, std = (1.0, 0.1) if name == "scale" else (0.0, 0.1) if name.endswith("bias") else (0.0, 0.2)
        return jnp.asarray(base + std * rng.standard_normal(s.shape), dtype=s.dtype)
    return jax.tree_util.tree_map_with_path(draw, model.param_shapes(cfg))


def _transformers_model(directory):
    return transformers.AutoModelForCausalLM.from_pretrained(
        directory, dtype=torch.float32, attn_implementation="eager", local_files_only=True).eval()


@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_transformers_reproduces_our_logits(arch, tmp_path):
    cfg = CONFIGS[arch]
    params = random_params(cfg, seed=len(arch))
    sharded = arch == "GPTNeoXForCausalLM"
    written = hf.save_hf(tmp_path, cfg, params, max_shard_size=8192 if sharded else hf.DEFAULT_MAX_SHARD_BYTES)
    assert ("model.safetensors.index.json" in written) == sharded
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == [arch]

    reference = _transformers_model(tmp_path)
    assert type(reference).__name__ == arch
    tokens = np.random.default_rng(0).integers(0, cfg.vocab_size, (2, 10))
    want = torch_logits(reference, tokens)
    got = np.asarray(model.forward(params, tokens, cfg))
    assert np.abs(want).max() > 0.1
    np.testing.assert_array_less(np.abs(got - want).max(), TOL)

    cfg_back, params_back = hf.load_hf(tmp_path)
    assert cfg_back == cfg
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(params_back)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_bfloat16_export(tmp_path):
    cfg = CONFIGS["Qwen2ForCausalLM"]
    params = random_params(cfg)
    hf.save_hf(tmp_path, cfg, params, dtype="bfloat16")
    with safe_open(str(tmp_path / "model.safetensors"), framework="numpy") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"BF16"}
    assert json.loads((tmp_path / "config.json").read_text())["torch_dtype"] == "bfloat16"
    _, back = hf.load_hf(tmp_path)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(back)):
        np.testing.assert_array_equal(np.asarray(a.astype(jnp.bfloat16).astype(jnp.float32)), np.asarray(b))


def _tiny_tokenizer(directory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {w: i for i, w in enumerate(["<unk>", "<s>", "</s>", "the", "model", "is", "aligned"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                                eos_token="</s>")
    fast.save_pretrained(directory)
    return fast


def test_tokenizer_travels_with_the_export(tmp_path):
    tokenizer = _tiny_tokenizer(tmp_path / "tok")
    cfg = CONFIGS["LlamaForCausalLM"]
    hf.save_hf(tmp_path / "out", cfg, random_params(cfg), tokenizer=tmp_path / "tok")
    loaded = hf.load_tokenizer_dir(tmp_path / "out")
    assert loaded("the model is aligned")["input_ids"] == tokenizer("the model is aligned")["input_ids"] == [3, 4, 5, 6]
    generation = json.loads((tmp_path / "out" / "generation_config.json").read_text())
    assert generation["eos_token_id"] == 2 and generation["bos_token_id"] == 1
    assert transformers.GenerationConfig.from_pretrained(tmp_path / "out").eos_token_id == 2


def test_missing_tokenizer_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nowhere")):
        hf.load_tokenizer_dir(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no tokenizer files"):
        hf.load_tokenizer_dir(tmp_path / "empty")


def test_export_refuses_to_mix_checkpoints_and_bad_params(tmp_path):
    cfg = CONFIGS["LlamaForCausalLM"]
    params = random_params(cfg)
    hf.save_hf(tmp_path, cfg, params)
    with pytest.raises(FileExistsError, match="already holds weight files"):
        hf.save_hf(tmp_path, cfg, params)
    hf.save_hf(tmp_path, cfg, params, overwrite=True, max_shard_size=8192)
    assert not (tmp_path / "model.safetensors").exists()  # the old single file is gone, only the shards remain
    assert (tmp_path / "model.safetensors.index.json").exists()
    params["layers"]["mlp"]["up"] = params["layers"]["mlp"]["up"][:, :, :10]
    with pytest.raises(ValueError, match=r"\['layers'\]\['mlp'\]\['up'\] is float32\[2, 32, 10\].*\[2, 32, 64\]"):
        hf.save_hf(tmp_path / "other", cfg, params)
    with pytest.raises(ValueError, match="cannot be exported as a Hugging Face"):
        hf.save_hf(tmp_path / "other", ModelConfig(rope_style="interleaved"), params)
