"""Rotary position embeddings: frequencies (with Llama-3 scaling) and the two rotation conventions."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np


def rotary_dim(head_dim: int, rotary_pct: float) -> int:
    """Number of leading head dimensions that are rotated (GPT-NeoX rotates only `rotary_pct` of them)."""
    dim = int(head_dim * rotary_pct)
    if dim % 2:
        raise ValueError(f"rotary dimension {dim} (head_dim={head_dim} * rotary_pct={rotary_pct}) must be even")
    return dim


def inverse_frequencies(cfg) -> np.ndarray:
    """Per-pair inverse frequencies, shape [rot_dim // 2], float64 on the host so the table is exact."""
    dim = rotary_dim(cfg.head_dim, cfg.rotary_pct)
    inv_freq = 1.0 / (cfg.rope_theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    if cfg.rope_scaling == "llama3":
        inv_freq = _llama3_scaling(inv_freq, cfg)
    elif cfg.rope_scaling == "linear":
        inv_freq = inv_freq / cfg.rope_scaling_factor
    elif cfg.rope_scaling != "none":
        raise ValueError(f"unknown rope_scaling {cfg.rope_scaling!r}; expected 'none', 'linear' or 'llama3'")
    return inv_freq


def _llama3_scaling(inv_freq: np.ndarray, cfg) -> np.ndarray:
    # Llama 3.1+ keeps high frequencies, divides low ones by `factor`, and interpolates in between.
    factor, low, high = cfg.rope_scaling_factor, cfg.rope_low_freq_factor, cfg.rope_high_freq_factor
    old_len = cfg.rope_original_max_position
    wavelen = 2 * math.pi / inv_freq
    low_freq_wavelen, high_freq_wavelen = old_len / low, old_len / high
    scaled = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
    return np.where(is_medium, smoothed, scaled)


def apply_rotary(x_BTNH: jnp.ndarray, positions_BT: jnp.ndarray, cfg) -> jnp.ndarray:
    """Rotates the first rot_dim dims of every head by the angle position * inv_freq; the rest pass through."""
    inv_freq = jnp.asarray(inverse_frequencies(cfg), dtype=jnp.float32)
    dim = 2 * inv_freq.shape[0]
    if dim == 0:
        return x_BTNH
    angles_BTF = positions_BT.astype(jnp.float32)[..., None] * inv_freq
    cos = jnp.cos(angles_BTF)[:, :, None, :]
    sin = jnp.sin(angles_BTF)[:, :, None, :]
    x_rot, x_pass = x_BTNH[..., :dim].astype(jnp.float32), x_BTNH[..., dim:]
    if cfg.rope_style == "half":
        # Llama/Qwen2/GPT-NeoX in HF layout: pairs are (i, i + dim/2).
        x1, x2 = x_rot[..., : dim // 2], x_rot[..., dim // 2 :]
        out = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    elif cfg.rope_style == "interleaved":
        # GPT-J / original Meta layout: pairs are (2i, 2i + 1).
        x1, x2 = x_rot[..., 0::2], x_rot[..., 1::2]
        out = jnp.stack([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1).reshape(x_rot.shape)
    else:
        raise ValueError(f"unknown rope_style {cfg.rope_style!r}; expected 'half' or 'interleaved'")
    return jnp.concatenate([out.astype(x_BTNH.dtype), x_pass], axis=-1)
