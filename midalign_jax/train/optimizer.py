"""AdamW with warmup and a decay schedule, global-norm clipping, and no weight decay on norms or biases."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def lr_schedule(t_cfg) -> optax.Schedule:
    """Linear warmup from 0 to `lr`, then cosine/linear decay to `lr * min_lr_ratio` at `steps`, or constant."""
    lr, steps, warmup = float(t_cfg.lr), int(t_cfg.steps), int(t_cfg.warmup_steps)
    final = lr * float(t_cfg.min_lr_ratio)
    warm = optax.linear_schedule(0.0, lr, max(warmup, 1))
    decay_steps = max(steps - warmup, 1)
    if t_cfg.schedule == "cosine":
        decay = optax.cosine_decay_schedule(lr, decay_steps, alpha=final / lr if lr else 0.0)
    elif t_cfg.schedule == "linear":
        decay = optax.linear_schedule(lr, final, decay_steps)
    elif t_cfg.schedule == "constant":
        decay = optax.constant_schedule(lr)
    else:
        raise ValueError(f"schedule={t_cfg.schedule!r}; expected cosine, linear or constant")
    return optax.join_schedules([warm, decay], [warmup])


def decay_mask(params):
    """True where weight decay applies: weight matrices and embeddings, not norm scales or biases."""
    def keep(path, _):
        name = str(getattr(path[-1], "key", path[-1]))
        return not (name == "scale" or name.endswith("bias"))
    return jax.tree_util.tree_map_with_path(keep, params)


def make_optimizer(t_cfg) -> optax.GradientTransformation:
    parts = []
    if float(t_cfg.grad_clip) > 0:
        parts.append(optax.clip_by_global_norm(float(t_cfg.grad_clip)))
    parts.append(optax.adamw(lr_schedule(t_cfg), b1=float(t_cfg.b1), b2=float(t_cfg.b2), eps=float(t_cfg.eps),
                             weight_decay=float(t_cfg.weight_decay), mask=decay_mask, mu_dtype=jnp.float32))
    return optax.chain(*parts)
