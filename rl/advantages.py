"""Advantage estimators for group-sampled RL: rewards ``[num_prompts, group_size]`` to per-sample advantages.

All functions are pure JAX and jit-able (``algo`` is a Python string: mark it static). Samples are laid out
prompt-major, so ``adv_PG.reshape(-1)`` lines up with a batch of ``P * G`` sequences generated as
``G`` consecutive samples per prompt.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

ADVANTAGE_ALGOS = ("grpo", "dr_grpo", "rloo", "reinforce")


def compute_advantages(
    rewards_PG: jax.Array,
    algo: str,
    eps: float = 1e-6,
    *,
    baseline: jax.Array | float | None = None,
) -> jax.Array:
    """Per-sample advantages, float32, shape ``[P, G]``.

    Args:
      rewards_PG: scalar reward per sample, ``G`` samples for each of ``P`` prompts.
      algo:
        ``grpo``: ``(r - mean_g) / (std_g + eps)`` per group. ``std_g`` is the sample standard deviation
          (``ddof=1``, as in the common PyTorch implementations); a group with equal rewards gets 0.
        ``dr_grpo``: ``r - mean_g`` (Dr. GRPO: no std normalisation, which up-weights easy/hard prompts less).
        ``rloo``: ``r_i - mean_{j != i} r_j``, the leave-one-out baseline (equals ``G/(G-1) * (r - mean_g)``).
        ``reinforce``: ``r - b`` with ``b`` the batch mean, or ``baseline`` if given (e.g. an EMA kept by the
          caller with `update_ema_baseline`).
      eps: added to the std for ``grpo``.
      baseline: only for ``reinforce``.
    """
    if algo not in ADVANTAGE_ALGOS:
        raise ValueError(f"advantage algo must be one of {ADVANTAGE_ALGOS}, got {algo!r}")
    if rewards_PG.ndim != 2:
        raise ValueError(f"rewards must be [num_prompts, group_size], got shape {rewards_PG.shape}")
    if baseline is not None and algo != "reinforce":
        raise ValueError(f"baseline is only used by 'reinforce', not {algo!r}")
    group_size = rewards_PG.shape[1]
    if algo in ("grpo", "rloo") and group_size < 2:
        raise ValueError(f"{algo} needs group_size >= 2 (it compares samples within a group), got {group_size}")
    rewards_PG = jnp.asarray(rewards_PG, jnp.float32)
    mean_P1 = rewards_PG.mean(axis=1, keepdims=True)
    if algo == "grpo":
        std_P1 = jnp.std(rewards_PG, axis=1, keepdims=True, ddof=1)
        return (rewards_PG - mean_P1) / (std_P1 + eps)
    if algo == "dr_grpo":
        return rewards_PG - mean_P1
    if algo == "rloo":
        others_mean_PG = (rewards_PG.sum(axis=1, keepdims=True) - rewards_PG) / (group_size - 1)
        return rewards_PG - others_mean_PG
    b = rewards_PG.mean() if baseline is None else jnp.asarray(baseline, jnp.float32)
    return rewards_PG - b


def update_ema_baseline(baseline: jax.Array | float, rewards_PG: jax.Array, decay: float) -> jax.Array:
    """``decay * baseline + (1 - decay) * mean(rewards)``: a running baseline for ``reinforce``."""
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must be in [0, 1), got {decay}")
    return decay * jnp.asarray(baseline, jnp.float32) + (1.0 - decay) * jnp.asarray(rewards_PG, jnp.float32).mean()
