"""config.json <-> ModelConfig mapping: the real presets, both rope spellings, round trips and refusals.

Config-only: nothing here allocates weights, so the full-size presets are checked at their real sizes.
"""
from __future__ import annotations

import copy
import dataclasses

import pytest

from midalign_jax.hf.config import (
    hf_architecture,
    hf_config_from_model,
    model_config_from_hf,
)
from midalign_jax.model import ModelConfig, presets

transformers = pytest.importorskip("transformers")

# The published config.json files of the checkpoints (transformers 4.x spelling), typed from their model
# cards; `load_hf` must map each to the matching preset.
PUBLISHED = {
    "llama-3.2-1b": ("LlamaConfig", {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64,
        "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
        "max_position_embeddings": 131072, "mlp_bias": False, "num_attention_heads": 32, "num_hidden_layers": 16,
        "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_cache": True,
        "vocab_size": 128256}),
    "qwen2.5-0.5b": ("Qwen2Config", {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896,
        "initializer_range": 0.02, "intermediate_size": 4864, "max_position_embeddings": 32768,
        "max_window_layers": 24, "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True,
        "torch_dtype": "bfloat16", "use_cache": True, "use_mrope": False, "use_sliding_window": False,
        "vocab_size": 151936}),
    "smollm2-135m-instruct": ("LlamaConfig", {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 576,
        "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "max_position_embeddings": 8192,
        "mlp_bias": False, "num_attention_heads": 9, "num_hidden_layers": 30, "num_key_value_heads": 3,
        "pad_token_id": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 100000,
        "tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": 49152}),
    "smollm2-135m": ("LlamaConfig", {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
        "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 576,
        "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": True,
        "max_position_embeddings": 8192, "mlp_bias": False, "num_attention_heads": 9, "num_hidden_layers": 30,
        "num_key_value_heads": 3, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_interleaved": False,
        "rope_scaling": None, "rope_theta": 100000, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "use_cache": True, "vocab_size": 49152}),
    "pythia-160m": ("GPTNeoXConfig", {
        "architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "bos_token_id": 0, "eos_token_id": 0,
        "hidden_act": "gelu", "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072,
        "layer_norm_eps": 1e-05, "max_position_embeddings": 2048, "num_attention_heads": 12,
        "num_hidden_layers": 12, "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
        "torch_dtype": "float16", "use_cache": True, "use_parallel_residual": True, "vocab_size": 50304}),
}


# Published configs of one shape under another name: the Instruct model's config.json spells a few fields
# differently from the base model's (pad_token_id; no is_llama_config, rope_interleaved).
PRESET_OF = {"smollm2-135m-instruct": "smollm2-135m"}


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_published_config_maps_to_preset(preset):
    _, published = PUBLISHED[preset]
    assert model_config_from_hf(published) == presets.model_config(PRESET_OF.get(preset, preset))


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_transformers5_spelling_maps_to_preset(preset):
    """The same values after transformers' own config class has normalised them (rope_parameters etc.)."""
    cls_name, published = PUBLISHED[preset]
    hf_config = getattr(transformers, cls_name)(**copy.deepcopy(published)).to_dict()
    assert "rope_parameters" in hf_config
    assert model_config_from_hf(hf_config) == presets.model_config(PRESET_OF.get(preset, preset))


ROUND_TRIP = {
    "llama_llama3": ModelConfig(vocab_size=100, d_model=64, n_layers=2, n_heads=8, n_kv_heads=2, head_dim=16,
                                d_ff=96, rope_scaling="llama3", rope_scaling_factor=8.0, rope_theta=500000.0,
                                rope_original_max_position=1024, tie_embeddings=True, norm_eps=1e-5),
    "llama_biases_gelu": ModelConfig(vocab_size=100, d_model=64, n_layers=1, n_heads=4, n_kv_heads=4,
                                     head_dim=32, d_ff=96, qkv_bias=True, out_bias=True, mlp_bias=True,
                                     activation="gelu_tanh", rope_scaling="linear", rope_scaling_factor=2.0),
    "qwen2_head_dim": ModelConfig(vocab_size=100, d_model=64, n_layers=3, n_heads=4, n_kv_heads=1, head_dim=8,
                                  d_ff=96, qkv_bias=True, norm_eps=1e-6, rope_theta=1e6, max_seq_len=4096),
    "neox_sequential": ModelConfig(vocab_size=100, d_model=64, n_layers=2, n_heads=4, n_kv_heads=4, head_dim=16,
                                   d_ff=256, norm="layernorm", mlp="gelu", activation="gelu", mlp_bias=True,
                                   qkv_bias=True, out_bias=True, parallel_residual=False, rotary_pct=0.5),
    "neox_no_bias_tanh": ModelConfig(vocab_size=100, d_model=64, n_layers=2, n_heads=4, n_kv_heads=4,
                                     head_dim=16, d_ff=256, norm="layernorm", mlp="gelu", activation="gelu_tanh",
                                     mlp_bias=True, parallel_residual=True, rotary_pct=0.25, tie_embeddings=True),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_export_config_round_trips(name):
    cfg = ROUND_TRIP[name]
    assert model_config_from_hf(hf_config_from_model(cfg)) == cfg


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_transformers_reads_exported_config(name):
    """transformers' config class sees the values we meant (its rope_parameters, head size, biases)."""
    cfg = ROUND_TRIP[name]
    exported = hf_config_from_model(cfg)
    cls = {"LlamaForCausalLM": transformers.LlamaConfig, "Qwen2ForCausalLM": transformers.Qwen2Config,
           "GPTNeoXForCausalLM": transformers.GPTNeoXConfig}[hf_architecture(cfg)]
    parsed = cls(**copy.deepcopy(exported))
    rope = parsed.rope_parameters
    assert rope["rope_theta"] == cfg.rope_theta
    assert rope.get("partial_rotary_factor", 1.0) == cfg.rotary_pct
    assert rope["rope_type"] == {"none": "default"}.get(cfg.rope_scaling, cfg.rope_scaling)
    if cfg.rope_scaling != "none":
        assert rope["factor"] == cfg.rope_scaling_factor
    assert getattr(parsed, "head_dim", parsed.hidden_size // parsed.num_attention_heads) == cfg.head_dim
    assert parsed.tie_word_embeddings == cfg.tie_embeddings
    # ...and normalising through transformers changes nothing we read back.
    assert model_config_from_hf(parsed.to_dict()) == model_config_from_hf(exported)


def test_legacy_and_new_rope_spellings_agree():
    legacy = dict(PUBLISHED["pythia-160m"][1], rotary_pct=0.5, rotary_emb_base=25000)
    new = {k: v for k, v in legacy.items() if k not in ("rotary_pct", "rotary_emb_base")}
    new["rope_parameters"] = {"rope_type": "default", "rope_theta": 25000.0, "partial_rotary_factor": 0.5}
    a, b = model_config_from_hf(legacy), model_config_from_hf(new)
    assert a == b and a.rotary_pct == 0.5 and a.rope_theta == 25000.0


def _llama(**changes):
    return dict(PUBLISHED["llama-3.2-1b"][1], **changes)


@pytest.mark.parametrize("hf_config, match", [
    (_llama(architectures=["MistralForCausalLM"]), "architecture 'MistralForCausalLM' is not supported"),
    (_llama(rope_scaling={"rope_type": "yarn", "factor": 4.0}), "rope type 'yarn' is not supported"),
    (_llama(hidden_act="relu"), "hidden_act='relu' is not supported"),
    (_llama(partial_rotary_factor=0.5, rope_scaling=None), "partial_rotary_factor=0.5 is not supported"),
    ({k: v for k, v in _llama().items() if k != "intermediate_size"}, "missing the required field 'intermediate_size'"),
    (dict(PUBLISHED["qwen2.5-0.5b"][1], use_sliding_window=True, max_window_layers=12),
     r"Qwen2ForCausalLM with sliding-window attention .* layers \[12, 13"),
    (dict(PUBLISHED["qwen2.5-0.5b"][1], layer_types=["full_attention"] * 23 + ["sliding_attention"]),
     "sliding-window attention"),
    (dict(PUBLISHED["pythia-160m"][1], hidden_size=770), "hidden_size=770 is not divisible"),
    (_llama(rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1e4},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 1e6}}),
     "different rope_parameters per layer type"),
])
def test_unsupported_configs_are_refused(hf_config, match):
    with pytest.raises(ValueError, match=match):
        model_config_from_hf(hf_config)


@pytest.mark.parametrize("changes, match", [
    (dict(rope_style="interleaved"), "rope_style='interleaved'"),
    (dict(mlp="gelu", activation="gelu"), "rmsnorm models must use mlp='swiglu'"),
    (dict(out_bias=True), "out_bias=True with qkv_bias=False"),
    (dict(qkv_bias=True, mlp_bias=True), "Qwen2ForCausalLM: mlp_bias=True"),
    (dict(rotary_pct=0.5), "only GPT-NeoX supports partial rotary"),
    (dict(parallel_residual=True), "parallel residual"),
    (dict(norm="layernorm", mlp="gelu", mlp_bias=True, n_kv_heads=2), "GPTNeoXForCausalLM: n_kv_heads=2"),
    (dict(norm="layernorm", mlp="swiglu"), "GPTNeoXForCausalLM: layernorm models must have mlp='gelu'"),
])
def test_configs_no_family_expresses_are_refused(changes, match):
    cfg = ModelConfig(vocab_size=64, d_model=32, n_layers=1, n_heads=4, n_kv_heads=4, head_dim=8, d_ff=64)
    with pytest.raises(ValueError, match=match):
        hf_architecture(dataclasses.replace(cfg, **changes))


@pytest.mark.parametrize("changes, arch", [
    ({}, "LlamaForCausalLM"), (dict(qkv_bias=True), "Qwen2ForCausalLM"),
    (dict(qkv_bias=True, out_bias=True, mlp_bias=True), "LlamaForCausalLM"),
    (dict(norm="layernorm", mlp="gelu", mlp_bias=True, activation="gelu"), "GPTNeoXForCausalLM"),
])
def test_architecture_follows_the_config(changes, arch):
    cfg = ModelConfig(vocab_size=64, d_model=32, n_layers=1, n_heads=4, n_kv_heads=4, head_dim=8, d_ff=64)
    assert hf_architecture(dataclasses.replace(cfg, **changes)) == arch
