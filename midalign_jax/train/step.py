"""The pure train step: next-token cross-entropy on packed rows, micro-batch accumulation, guarded update."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from midalign_jax import model as M
from midalign_jax.parallel.sharding import Placement


class TrainState(NamedTuple):
    step: jax.Array        # int32 scalar
    params: Any
    opt_state: Any
    rng: jax.Array         # uint32[2] raw key data, so it checkpoints as a plain array


def initial_state(tx, params, p_shard, mesh, seed: int,
                  init_opt_state: Callable[[Any, Any, Any], Any] | None = None) -> TrainState:
    """Step 0 on the mesh: optimizer moments take their parameter's sharding; counters, step and RNG are
    replicated. `init_opt_state(tx, params, fresh)` may replace the fresh optimizer state (restore_optimizer)."""
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    opt_shard = optax.tree_map_params(tx, lambda _, s: s, jax.eval_shape(tx.init, params), p_shard,
                                      transform_non_params=lambda _: replicated)
    opt_state = jax.jit(tx.init, out_shardings=opt_shard)(params)
    if init_opt_state is not None:
        opt_state = init_opt_state(tx, params, opt_state)
    key = jax.random.key_data(jax.random.key(seed))
    return TrainState(jax.device_put(jnp.zeros((), jnp.int32), replicated), params, opt_state,
                      jax.device_put(key, replicated))


def next_token_targets(batch: dict) -> tuple[jax.Array, jax.Array]:
    """Targets [B, T] and weights [B, T]: position t predicts token t+1 of the same segment.

    A position counts when its successor is in the same (non-padding) segment and the batch's `loss_mask` marks
    that successor as a target (e.g. assistant tokens only in SFT). The last column never counts.
    """
    tokens, seg = batch["tokens"], batch["segment_ids"]
    targets = jnp.concatenate([tokens[:, 1:], jnp.zeros_like(tokens[:, :1])], axis=1)
    nxt_seg = jnp.concatenate([seg[:, 1:], jnp.zeros_like(seg[:, :1])], axis=1)
    weights = (nxt_seg == seg) & (seg != 0)
    if "loss_mask" in batch:
        mask = jnp.asarray(batch["loss_mask"])
        nxt_mask = jnp.concatenate([mask[:, 1:], jnp.zeros_like(mask[:, :1])], axis=1)
        weights = weights & (nxt_mask > 0)
    return targets, weights.astype(jnp.float32)


def token_losses(params, batch: dict, cfg: M.ModelConfig, z_loss: float = 0.0, placement: Placement | None = None):
    """Per-token cross-entropy (+ z-loss) [B, T] and the per-token weights."""
    logits = M.forward(params, batch["tokens"], cfg, positions=batch["positions"], segment_ids=batch["segment_ids"],
                       placement=placement)
    targets, weights = next_token_targets(batch)
    log_z = jax.nn.logsumexp(logits, axis=-1)
    target_logit = jnp.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    nll = log_z - target_logit
    loss = nll + z_loss * jnp.square(log_z) if z_loss else nll
    return loss, nll, weights


def _micro_sums(params, batch, cfg, z_loss, placement):
    loss, nll, w = token_losses(params, batch, cfg, z_loss, placement)
    return jnp.sum(loss * w), (jnp.sum(nll * w), jnp.sum(w))


def guarded_update(state: TrainState, grads, loss, tx: optax.GradientTransformation) -> tuple[TrainState, dict]:
    """Applies the optimizer update unless the loss or the gradient norm is non-finite, in which case params and
    optimizer state stay as they were; the metrics say which (`nonfinite` 1) and the host decides what to do."""
    grad_norm = optax.global_norm(grads)
    finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
    updates, new_opt = tx.update(grads, state.opt_state, state.params)
    new_params = optax.apply_updates(state.params, updates)
    keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)  # noqa: E731
    return (state._replace(params=keep(new_params, state.params), opt_state=keep(new_opt, state.opt_state)),
            {"grad_norm": grad_norm, "nonfinite": 1.0 - finite.astype(jnp.float32)})


def train_step(state: TrainState, batch: dict, rng: jax.Array, *, cfg: M.ModelConfig,
               tx: optax.GradientTransformation, grad_accum: int = 1, z_loss: float = 0.0,
               schedule=None, placement: Placement | None = None) -> tuple[TrainState, dict]:
    """One optimizer step over the global batch, split into `grad_accum` micro-batches.

    Gradients are sums over tokens divided by the total token count, so k micro-batches give exactly the update
    of one batch k times larger. A non-finite loss or gradient leaves params and optimizer state untouched and
    reports `nonfinite=1`; the host decides whether to stop or go on.
    """
    del rng  # no dropout; kept in the signature so stochastic regularisers slot in without changing callers
    grad_fn = jax.grad(_micro_sums, has_aux=True)
    if grad_accum == 1:
        grads, (nll_sum, n_tok) = grad_fn(state.params, batch, cfg, z_loss, placement)
    else:
        micro = jax.tree.map(lambda x: x.reshape((grad_accum, x.shape[0] // grad_accum) + x.shape[1:]), batch)

        def body(carry, mb):
            g_acc, nll_acc, n_acc = carry
            g, (nll, n) = grad_fn(state.params, mb, cfg, z_loss, placement)
            return (jax.tree.map(jnp.add, g_acc, g), nll_acc + nll, n_acc + n), None

        zeros = jax.tree.map(jnp.zeros_like, state.params)
        (grads, nll_sum, n_tok), _ = jax.lax.scan(body, (zeros, 0.0, 0.0), micro)
    denom = jnp.maximum(n_tok, 1.0)
    grads = jax.tree.map(lambda g: g / denom, grads)
    loss = nll_sum / denom
    new_state, guard = guarded_update(state, grads, loss, tx)
    new_state = new_state._replace(step=state.step + 1)
    metrics = {"loss": loss, "param_norm": optax.global_norm(new_state.params), "tokens": n_tok, **guard}
    if schedule is not None:
        metrics["learning_rate"] = schedule(state.step)
    return new_state, metrics


def eval_step(params, batch: dict, *, cfg: M.ModelConfig,
              placement: Placement | None = None) -> tuple[jax.Array, jax.Array]:
    """Summed token NLL and token count of a batch (for held-out loss per source)."""
    _, nll, w = token_losses(params, batch, cfg, placement=placement)
    return jnp.sum(nll * w), jnp.sum(w)
