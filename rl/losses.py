"""Policy-gradient losses for RLVR: PPO-style clipped ratio, optional k3 KL to a reference, three aggregations.

Everything here is pure JAX with static Python options, so it can sit inside the jitted, sharded train step.
Shapes: ``B`` sequences (``P * G``, prompt-major), ``T`` completion positions, ``V`` vocabulary. ``mask_BT`` is
1 on completion tokens that are trained on and 0 on prompt/padding positions; values at masked positions may be
anything (even inf/nan) and change neither the loss nor its gradient.

Typical use inside a train step::

    cfg = loss_preset("grpo")
    adv_B = compute_advantages(rewards_PG, cfg.advantage, cfg.eps).reshape(-1)
    logp_BT = token_logprobs(forward(params, tokens_BT)[:, :-1], tokens_BT[:, 1:])   # aligned to targets
    loss, metrics = policy_loss(logp_BT, old_logp_BT, adv_B, mask_BT, ref_logp_BT=ref_BT,
                                **cfg.policy_loss_kwargs())
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import jax
import jax.numpy as jnp

from rl.advantages import ADVANTAGE_ALGOS, compute_advantages, update_ema_baseline

__all__ = [
    "AGGREGATIONS", "ADVANTAGE_ALGOS", "LOSS_PRESETS", "RLLossConfig", "aggregate", "compute_advantages",
    "loss_preset", "policy_loss", "token_entropy", "token_logprobs", "update_ema_baseline",
]

AGGREGATIONS = ("token", "sequence", "dr_grpo")


def aggregate(values_BT: jax.Array, mask_BT: jax.Array, aggregation: str, max_len: int | None = None) -> jax.Array:
    """Reduce per-token values to a scalar.

    ``token``: sum over all trained tokens / their number (DAPO; every token weighs the same).
    ``sequence``: mean over each sequence's tokens, then mean over sequences that have at least one token
      (GRPO paper; every sequence weighs the same, so tokens of long answers weigh less).
    ``dr_grpo``: sum over tokens / (B * max_len) with ``max_len`` a constant (the generation budget; default
      ``T``), so there is no length normalisation at all (Dr. GRPO).

    For gradient accumulation over micro-batches, ``token`` and ``sequence`` normalise per call; scale by the
    micro-batch's share of tokens (sequences) when summing.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    mask_BT = mask_BT.astype(jnp.float32)
    values_BT = jnp.where(mask_BT > 0, values_BT, 0.0) * mask_BT
    if aggregation == "token":
        return values_BT.sum() / jnp.maximum(mask_BT.sum(), 1.0)
    if aggregation == "sequence":
        lengths_B = mask_BT.sum(axis=1)
        per_seq_B = values_BT.sum(axis=1) / jnp.maximum(lengths_B, 1.0)
        has_tokens_B = (lengths_B > 0).astype(jnp.float32)
        return (per_seq_B * has_tokens_B).sum() / jnp.maximum(has_tokens_B.sum(), 1.0)
    max_len = values_BT.shape[1] if max_len is None else max_len
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    return values_BT.sum() / (values_BT.shape[0] * max_len)


def policy_loss(
    logp_BT: jax.Array,
    old_logp_BT: jax.Array,
    adv_B: jax.Array,
    mask_BT: jax.Array,
    *,
    ref_logp_BT: jax.Array | None = None,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    kl_coef: float = 0.0,
    aggregation: str = "token",
    max_len: int | None = None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Clipped policy-gradient loss (to minimise) and diagnostics.

    Per token, with ``ratio = exp(logp - old_logp)`` and ``A`` the sequence's advantage::

        pg = max(-A * ratio, -A * clip(ratio, 1 - clip_low, 1 + clip_high))
        kl = exp(ref - logp) - (ref - logp) - 1          # k3 estimator of KL(policy || ref), >= 0
        loss = aggregate(pg + kl_coef * kl)

    Args:
      logp_BT: log-probabilities of the sampled tokens under the policy being trained (differentiated).
      old_logp_BT: the same under the policy that sampled them (treated as constant).
      adv_B: one advantage per sequence (constant).
      mask_BT: 1 for trained tokens, 0 elsewhere.
      ref_logp_BT: log-probabilities under the frozen reference; needed when ``kl_coef > 0``. If given with
        ``kl_coef == 0`` the KL is still reported.
      clip_low, clip_high: the ratio is clipped to ``[1 - clip_low, 1 + clip_high]`` (DAPO's clip-higher uses
        ``clip_high > clip_low``).
      kl_coef: weight of the k3 KL term; 0 disables it.
      aggregation, max_len: see `aggregate`.

    Returns:
      ``(loss, metrics)``; metrics are token means over the mask: ``pg_loss``, ``kl_loss`` (the weighted term
      as aggregated), ``kl`` (k3 mean; 0 without a reference), ``clip_fraction`` (tokens whose gradient the
      clip removed), ``clip_high_fraction`` (A > 0, ratio above range), ``clip_low_fraction`` (A < 0, ratio
      below range), ``ratio_mean``, ``ratio_max``, ``num_tokens``.
    """
    if not 0.0 <= clip_low < 1.0 or clip_high < 0.0:
        raise ValueError(f"need 0 <= clip_low < 1 and clip_high >= 0, got clip_low={clip_low}, clip_high={clip_high}")
    if kl_coef < 0.0:
        raise ValueError(f"kl_coef must be >= 0, got {kl_coef}")
    if kl_coef > 0.0 and ref_logp_BT is None:
        raise ValueError("kl_coef > 0 needs ref_logp_BT (log-probabilities under the reference policy)")
    if logp_BT.shape != old_logp_BT.shape or logp_BT.shape != mask_BT.shape or adv_B.shape != logp_BT.shape[:1]:
        raise ValueError(f"shape mismatch: logp {logp_BT.shape}, old_logp {old_logp_BT.shape}, "
                         f"mask {mask_BT.shape}, adv {adv_B.shape} (expected [B, T], [B, T], [B, T], [B])")

    valid_BT = mask_BT > 0
    weight_BT = mask_BT.astype(jnp.float32)
    logp_BT = logp_BT.astype(jnp.float32)
    old_logp_BT = jax.lax.stop_gradient(old_logp_BT.astype(jnp.float32))
    adv_B1 = jax.lax.stop_gradient(adv_B.astype(jnp.float32))[:, None]

    # `where` before `exp`: garbage at padded positions must not become inf/nan that a 0-mask cannot cancel.
    ratio_BT = jnp.exp(jnp.where(valid_BT, logp_BT - old_logp_BT, 0.0))
    clipped_BT = jnp.clip(ratio_BT, 1.0 - clip_low, 1.0 + clip_high)
    pg_BT = jnp.maximum(-adv_B1 * ratio_BT, -adv_B1 * clipped_BT)

    if ref_logp_BT is not None:
        ref_logp_BT = jax.lax.stop_gradient(ref_logp_BT.astype(jnp.float32))
        log_ref_ratio_BT = jnp.where(valid_BT, ref_logp_BT - logp_BT, 0.0)
        kl_BT = jnp.exp(log_ref_ratio_BT) - log_ref_ratio_BT - 1.0
    else:
        kl_BT = jnp.zeros_like(logp_BT)

    pg_loss = aggregate(pg_BT, weight_BT, aggregation, max_len)
    kl_loss = kl_coef * aggregate(kl_BT, weight_BT, aggregation, max_len) if kl_coef > 0.0 else jnp.float32(0.0)
    loss = pg_loss + kl_loss

    def token_mean(x_BT: jax.Array) -> jax.Array:
        return aggregate(jax.lax.stop_gradient(x_BT).astype(jnp.float32), weight_BT, "token")

    clip_high_BT = (adv_B1 > 0) & (ratio_BT > 1.0 + clip_high)
    clip_low_BT = (adv_B1 < 0) & (ratio_BT < 1.0 - clip_low)
    metrics = {
        "pg_loss": pg_loss,
        "kl_loss": kl_loss,
        "kl": token_mean(kl_BT),
        "clip_fraction": token_mean(clip_high_BT | clip_low_BT),
        "clip_high_fraction": token_mean(clip_high_BT),
        "clip_low_fraction": token_mean(clip_low_BT),
        "ratio_mean": token_mean(ratio_BT),
        "ratio_max": jnp.max(jnp.where(valid_BT, jax.lax.stop_gradient(ratio_BT), -jnp.inf)),
        "num_tokens": weight_BT.sum(),
    }
    return loss, metrics


def token_logprobs(logits_BTV: jax.Array, targets_BT: jax.Array) -> jax.Array:
    """``log softmax(logits)[target]`` per position, float32, without materialising the full log-softmax."""
    logits_BTV = logits_BTV.astype(jnp.float32)
    picked_BT = jnp.take_along_axis(logits_BTV, targets_BT[..., None].astype(jnp.int32), axis=-1)[..., 0]
    return picked_BT - jax.nn.logsumexp(logits_BTV, axis=-1)


def token_entropy(logits_BTV: jax.Array, mask_BT: jax.Array) -> jax.Array:
    """Mean entropy (nats) of the next-token distribution over the masked positions."""
    # H = lse - sum(p x): one pass over the logits after the log-sum-exp that `token_logprobs` also computes
    # (XLA shares it), instead of materialising the [B, T, V] log-probabilities.
    logits_BTV = logits_BTV.astype(jnp.float32)
    lse_BT = jax.nn.logsumexp(logits_BTV, axis=-1)
    entropy_BT = lse_BT - jnp.sum(jnp.exp(logits_BTV - lse_BT[..., None]) * logits_BTV, axis=-1)
    return aggregate(entropy_BT, mask_BT, "token")


@dataclasses.dataclass(frozen=True)
class RLLossConfig:
    """The knobs of the RL objective. ``advantage`` picks the estimator, the rest go to `policy_loss`.

    Round-trips through plain dicts (``to_dict`` / ``from_dict``) for ml_collections configs; unknown keys
    are an error, not ignored.
    """

    advantage: str = "grpo"
    eps: float = 1e-6
    clip_low: float = 0.2
    clip_high: float = 0.2
    kl_coef: float = 0.0
    aggregation: str = "token"
    max_len: int | None = None

    def __post_init__(self):
        if self.advantage not in ADVANTAGE_ALGOS:
            raise ValueError(f"advantage must be one of {ADVANTAGE_ALGOS}, got {self.advantage!r}")
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {self.aggregation!r}")
        if not 0.0 <= self.clip_low < 1.0 or self.clip_high < 0.0:
            raise ValueError(f"need 0 <= clip_low < 1 and clip_high >= 0, got {self.clip_low}, {self.clip_high}")
        if self.kl_coef < 0.0 or self.eps < 0.0:
            raise ValueError(f"kl_coef and eps must be >= 0, got {self.kl_coef}, {self.eps}")
        if self.max_len is not None and self.max_len < 1:
            raise ValueError(f"max_len must be positive or None, got {self.max_len}")

    def policy_loss_kwargs(self) -> dict[str, Any]:
        return {"clip_low": self.clip_low, "clip_high": self.clip_high, "kl_coef": self.kl_coef,
                "aggregation": self.aggregation, "max_len": self.max_len}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "RLLossConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown RL loss config keys {unknown}; known: {sorted(known)}")
        return cls(**dict(values))


LOSS_PRESETS: dict[str, RLLossConfig] = {
    # DeepSeekMath GRPO: std-normalised group advantages, per-sequence mean, KL to the reference (beta 0.04).
    "grpo": RLLossConfig(advantage="grpo", aggregation="sequence", kl_coef=0.04),
    # Dr. GRPO: no std, no length normalisation, no KL.
    "dr_grpo": RLLossConfig(advantage="dr_grpo", aggregation="dr_grpo", kl_coef=0.0),
    # RLOO: leave-one-out baseline; token-mean aggregation.
    "rloo": RLLossConfig(advantage="rloo", aggregation="token", kl_coef=0.0),
    # REINFORCE with a batch-mean (or caller-supplied EMA) baseline.
    "reinforce": RLLossConfig(advantage="reinforce", aggregation="token", kl_coef=0.0),
    # DAPO: clip-higher and token-level aggregation on GRPO advantages, no KL.
    "dapo": RLLossConfig(advantage="grpo", aggregation="token", clip_low=0.2, clip_high=0.28, kl_coef=0.0),
}


def loss_preset(name: str, **overrides: Any) -> RLLossConfig:
    """A preset by name with fields overridden, e.g. ``loss_preset("grpo", kl_coef=0.0)``."""
    if name not in LOSS_PRESETS:
        raise ValueError(f"unknown RL loss preset {name!r}; known: {sorted(LOSS_PRESETS)}")
    return RLLossConfig.from_dict({**LOSS_PRESETS[name].to_dict(), **overrides})
