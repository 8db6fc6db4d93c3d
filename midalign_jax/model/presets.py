"""Model presets: `tiny`/`small` for CPUs and laptops, and the published shapes of real checkpoints.

The real presets match the HF configs of the named models, so `load_hf` on those checkpoints yields exactly
these ModelConfigs (a test checks the Llama-style and NeoX-style presets against transformers' own configs).
"""
from __future__ import annotations

import dataclasses

from midalign_jax.model.config import ModelConfig

_NEOX = dict(norm="layernorm", mlp="gelu", activation="gelu", mlp_bias=True, qkv_bias=True, out_bias=True,
             parallel_residual=True, rotary_pct=0.25, norm_eps=1e-5, max_seq_len=2048)

PRESETS: dict[str, dict] = {
    # ~1.8M parameters: trains on the bundled world in minutes on a laptop CPU.
    "tiny": dict(vocab_size=4096, d_model=128, n_layers=4, n_heads=4, n_kv_heads=2, head_dim=32, d_ff=384,
                 max_seq_len=512),
    # ~23M parameters: the CPU benchmark size.
    "small": dict(vocab_size=4096, d_model=512, n_layers=6, n_heads=8, n_kv_heads=8, head_dim=64, d_ff=1408,
                  max_seq_len=1024),
    # SmolLM2-135M(-Instruct)'s shape (HF config.json): a real Llama-family model small enough for CPU runs.
    "smollm2-135m": dict(vocab_size=49152, d_model=576, n_layers=30, n_heads=9, n_kv_heads=3, head_dim=64,
                         d_ff=1536, max_seq_len=8192, norm_eps=1e-5, rope_theta=100000.0, tie_embeddings=True),
    "pythia-160m": dict(_NEOX, vocab_size=50304, d_model=768, n_layers=12, n_heads=12, n_kv_heads=12,
                        head_dim=64, d_ff=3072),
    "pythia-410m": dict(_NEOX, vocab_size=50304, d_model=1024, n_layers=24, n_heads=16, n_kv_heads=16,
                        head_dim=64, d_ff=4096),
    "pythia-1b": dict(_NEOX, vocab_size=50304, d_model=2048, n_layers=16, n_heads=8, n_kv_heads=8,
                      head_dim=256, d_ff=8192),
    "pythia-6.9b": dict(_NEOX, vocab_size=50432, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=32,
                        head_dim=128, d_ff=16384),
    "llama-3.2-1b": dict(vocab_size=128256, d_model=2048, n_layers=16, n_heads=32, n_kv_heads=8, head_dim=64,
                         d_ff=8192, max_seq_len=131072, norm_eps=1e-5, rope_theta=500000.0,
                         tie_embeddings=True, rope_scaling="llama3", rope_scaling_factor=32.0,
                         rope_low_freq_factor=1.0, rope_high_freq_factor=4.0, rope_original_max_position=8192),
    "qwen2.5-0.5b": dict(vocab_size=151936, d_model=896, n_layers=24, n_heads=14, n_kv_heads=2, head_dim=64,
                         d_ff=4864, max_seq_len=32768, norm_eps=1e-6, rope_theta=1000000.0, qkv_bias=True,
                         tie_embeddings=True),
}


def model_config(preset: str, **overrides) -> ModelConfig:
    """The preset's ModelConfig with `overrides` applied (None values are ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; known: {sorted(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = set(overrides) - fields
    if unknown:
        raise ValueError(f"unknown ModelConfig fields {sorted(unknown)}")
    kwargs = dict(PRESETS[preset])
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    return ModelConfig(**kwargs)
