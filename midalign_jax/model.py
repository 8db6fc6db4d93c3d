"""One decoder-only transformer for the Llama, Qwen2 and GPT-NeoX (Pythia) families, as pure functions.

`forward(params, tokens, cfg)` is the whole model: params are a plain pytree, layers are stacked on a leading
axis and run with `lax.scan`, and the KV-cache path (`init_cache` + `extend`) shares the layer code with the full
forward so the two cannot drift apart.

Three settings change how the model runs, never what it computes (each `auto` by default, each a ModelConfig
field): `dense_grad` (projection backward in matmul layouts the CPU backend runs fast, dense.py),
`attention_kernel` (on CPU, attention that recomputes its probabilities in the backward pass, attention.py) and
`scan_unroll` (on CPU, the layer scan unrolled so no per-layer activations are stacked).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp

from midalign_jax import attention, dense, rope
from midalign_jax.sharding import constrain

Params = dict[str, Any]

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16}
REMAT_POLICIES = ("none", "full", "dots", "dots_no_batch")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture. Defaults are a Llama-style model; presets.py holds the published shapes."""
    vocab_size: int = 4096
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 4
    head_dim: int = 32
    d_ff: int = 512
    max_seq_len: int = 2048
    norm: str = "rmsnorm"               # "rmsnorm" (Llama, Qwen2) | "layernorm" (GPT-NeoX, with bias)
    norm_eps: float = 1e-5
    mlp: str = "swiglu"                 # "swiglu" (gate/up/down) | "gelu" (up/down, GPT-NeoX)
    activation: str = "silu"            # "silu" | "gelu" (exact erf) | "gelu_tanh"
    mlp_bias: bool = False
    qkv_bias: bool = False              # Qwen2 and GPT-NeoX
    out_bias: bool = False              # GPT-NeoX attention dense bias
    parallel_residual: bool = False     # GPT-NeoX use_parallel_residual
    tie_embeddings: bool = False
    rope_theta: float = 10000.0
    rotary_pct: float = 1.0             # GPT-NeoX rotates only the first rotary_pct of each head
    rope_style: str = "half"            # "half" (HF rotate_half) | "interleaved" (GPT-J pairs)
    rope_scaling: str = "none"          # "none" | "linear" | "llama3"
    rope_scaling_factor: float = 1.0
    rope_low_freq_factor: float = 1.0
    rope_high_freq_factor: float = 4.0
    rope_original_max_position: int = 8192
    dtype: str = "float32"              # compute dtype
    param_dtype: str = "float32"        # storage dtype of the master params
    attention_kernel: str = "auto"      # "auto" | "xla" | "recompute" | "cudnn" | "splash" (attention.py)
    remat: str = "none"                 # "none" | "full" | "dots" | "dots_no_batch"
    dense_grad: str = "auto"            # "auto" | "einsum" | "transposed": projection backward (dense.py)
    scan_unroll: int = 0                # layers per iteration of the layer scan; 0 = auto (see _scan_unroll)
    init_std: float = 0.02

    def __post_init__(self):
        checks = {
            "norm": ("rmsnorm", "layernorm"), "mlp": ("swiglu", "gelu"),
            "activation": ("silu", "gelu", "gelu_tanh"), "rope_style": ("half", "interleaved"),
            "rope_scaling": ("none", "linear", "llama3"), "dtype": tuple(DTYPES),
            "param_dtype": tuple(DTYPES), "attention_kernel": attention.KERNELS, "remat": REMAT_POLICIES,
            "dense_grad": dense.GRAD_MODES,
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"ModelConfig.{name}={getattr(self, name)!r}; expected one of {allowed}")
        if self.scan_unroll < 0:
            raise ValueError(f"ModelConfig.scan_unroll={self.scan_unroll}; expected 0 (auto) or a positive count")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads={self.n_heads} must be a multiple of n_kv_heads={self.n_kv_heads}")
        rope.rotary_dim(self.head_dim, self.rotary_pct)

    @property
    def compute_dtype(self):
        return DTYPES[self.dtype]

    def num_params(self) -> int:
        shapes = jax.eval_shape(lambda: init_params(self, jax.random.key(0)))
        return sum(math.prod(x.shape) for x in jax.tree.leaves(shapes))


# ----------------------------------------------------------------------------------------------------- params

def param_specs(cfg: ModelConfig) -> dict:
    """Shape and logical axes of every parameter: {path: (shape, axes)} as a nested dict."""
    L, D, N, K, H, F, V = (cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.d_ff,
                           cfg.vocab_size)
    norm = lambda lead: ({"scale": (lead + (D,), ("layers",) * len(lead) + ("norm",))} | (  # noqa: E731
        {"bias": (lead + (D,), ("layers",) * len(lead) + ("norm",))} if cfg.norm == "layernorm" else {}))
    attn = {
        "q": ((L, D, N, H), ("layers", "embed", "heads", "head_dim")),
        "k": ((L, D, K, H), ("layers", "embed", "kv_heads", "head_dim")),
        "v": ((L, D, K, H), ("layers", "embed", "kv_heads", "head_dim")),
        "o": ((L, N, H, D), ("layers", "heads", "head_dim", "embed")),
    }
    if cfg.qkv_bias:
        attn |= {"q_bias": ((L, N, H), ("layers", "heads", "head_dim")),
                 "k_bias": ((L, K, H), ("layers", "kv_heads", "head_dim")),
                 "v_bias": ((L, K, H), ("layers", "kv_heads", "head_dim"))}
    if cfg.out_bias:
        attn["o_bias"] = ((L, D), ("layers", "norm"))
    mlp = {"up": ((L, D, F), ("layers", "embed", "mlp")), "down": ((L, F, D), ("layers", "mlp", "embed"))}
    if cfg.mlp == "swiglu":
        mlp["gate"] = ((L, D, F), ("layers", "embed", "mlp"))
    if cfg.mlp_bias:
        mlp |= {"up_bias": ((L, F), ("layers", "mlp")), "down_bias": ((L, D), ("layers", "norm"))}
        if cfg.mlp == "swiglu":
            mlp["gate_bias"] = ((L, F), ("layers", "mlp"))
    specs = {
        "embed": ((V, D), ("vocab", "embed")),
        "layers": {"attn_norm": norm((L,)), "attn": attn, "mlp_norm": norm((L,)), "mlp": mlp},
        "final_norm": norm(()),
    }
    if not cfg.tie_embeddings:
        specs["lm_head"] = ((D, V), ("embed", "vocab"))
    return specs


def _is_spec(x) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple) and isinstance(x[1], tuple)


def logical_axes(cfg: ModelConfig) -> dict:
    """Pytree matching the params with a tuple of logical axis names at each leaf."""
    return jax.tree.map(lambda s: s[1], param_specs(cfg), is_leaf=_is_spec)


def param_shapes(cfg: ModelConfig) -> dict:
    dtype = DTYPES[cfg.param_dtype]
    return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s[0], dtype), param_specs(cfg), is_leaf=_is_spec)


def init_params(cfg: ModelConfig, rng: jax.Array) -> Params:
    """Normal(init_std) weights, output projections scaled by 1/sqrt(2 * n_layers), ones/zeros for norms/biases."""
    specs = param_specs(cfg)
    flat, treedef = jax.tree.flatten_with_path(specs, is_leaf=_is_spec)
    keys = jax.random.split(rng, len(flat))
    dtype = DTYPES[cfg.param_dtype]
    leaves = []
    for (path, (shape, _)), key in zip(flat, keys):
        name = str(path[-1].key)
        if name == "scale":
            leaves.append(jnp.ones(shape, dtype))
        elif name.endswith("bias"):
            leaves.append(jnp.zeros(shape, dtype))
        else:
            std = cfg.init_std / math.sqrt(2 * cfg.n_layers) if name in ("o", "down") else cfg.init_std
            leaves.append((std * jax.random.normal(key, shape, jnp.float32)).astype(dtype))
    return jax.tree.unflatten(treedef, leaves)


# ----------------------------------------------------------------------------------------------------- layers

def _norm(x_BTD, p, cfg: ModelConfig):
    x = x_BTD.astype(jnp.float32)
    if cfg.norm == "rmsnorm":
        y = x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + cfg.norm_eps)
        y = y * p["scale"].astype(jnp.float32)
    else:
        mean = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + cfg.norm_eps)
        y = y * p["scale"].astype(jnp.float32) + p["bias"].astype(jnp.float32)
    return y.astype(x_BTD.dtype)


def _activation(x, cfg: ModelConfig):
    if cfg.activation == "silu":
        return jax.nn.silu(x)
    return jax.nn.gelu(x, approximate=cfg.activation == "gelu_tanh")


def _proj(spec: str, x, w, cfg: ModelConfig, **kw):
    return dense.project(spec, x, w, grad=cfg.dense_grad, **kw)


def _mlp(x_BTD, p, cfg: ModelConfig):
    if cfg.mlp == "swiglu":
        gate_BTF, up_BTF = dense.project_shared(("btd,df->btf",) * 2, x_BTD, (p["gate"], p["up"]),
                                                grad=cfg.dense_grad)
        if cfg.mlp_bias:
            gate_BTF, up_BTF = gate_BTF + p["gate_bias"], up_BTF + p["up_bias"]
        h_BTF = _activation(gate_BTF, cfg) * up_BTF
    else:
        up_BTF = _proj("btd,df->btf", x_BTD, p["up"], cfg)
        if cfg.mlp_bias:
            up_BTF = up_BTF + p["up_bias"]
        h_BTF = _activation(up_BTF, cfg)
    h_BTF = constrain(h_BTF, ("batch", "seq", "mlp"))
    out_BTD = _proj("btf,fd->btd", h_BTF, p["down"], cfg)
    if cfg.mlp_bias:
        out_BTD = out_BTD + p["down_bias"]
    return out_BTD


def _qkv(x_BTD, p, positions_BT, cfg: ModelConfig):
    q, k, v = dense.project_shared(("btd,dnh->btnh", "btd,dkh->btkh", "btd,dkh->btkh"), x_BTD,
                                   (p["q"], p["k"], p["v"]), grad=cfg.dense_grad)
    if cfg.qkv_bias:
        q, k, v = q + p["q_bias"], k + p["k_bias"], v + p["v_bias"]
    q = constrain(rope.apply_rotary(q, positions_BT, cfg), ("batch", "seq", "heads", "head_dim"))
    k = constrain(rope.apply_rotary(k, positions_BT, cfg), ("batch", "seq", "kv_heads", "head_dim"))
    v = constrain(v, ("batch", "seq", "kv_heads", "head_dim"))
    return q, k, v


def _attn_out(ctx_BTNH, p, cfg: ModelConfig):
    out = _proj("btnh,nhd->btd", ctx_BTNH, p["o"], cfg)
    return out + p["o_bias"] if cfg.out_bias else out


def _residual(x_BTD, attn_fn, p, cfg: ModelConfig):
    """Sequential (x + attn, then + mlp) or GPT-NeoX parallel (x + attn(ln1 x) + mlp(ln2 x)) residual."""
    attn_out, extra = attn_fn(_norm(x_BTD, p["attn_norm"], cfg))
    if cfg.parallel_residual:
        x_BTD = x_BTD + attn_out + _mlp(_norm(x_BTD, p["mlp_norm"], cfg), p["mlp"], cfg)
    else:
        x_BTD = x_BTD + attn_out
        x_BTD = x_BTD + _mlp(_norm(x_BTD, p["mlp_norm"], cfg), p["mlp"], cfg)
    return constrain(x_BTD, ("batch", "seq", "act_embed")), extra


def _remat(fn, cfg: ModelConfig):
    if cfg.remat == "none":
        return fn
    policy = {
        "full": jax.checkpoint_policies.nothing_saveable,
        "dots": jax.checkpoint_policies.checkpoint_dots,
        "dots_no_batch": jax.checkpoint_policies.dots_with_no_batch_dims_saveable,
    }[cfg.remat]
    return jax.checkpoint(fn, policy=policy, prevent_cse=False)


def _scan_unroll(cfg: ModelConfig) -> int:
    """Layers per scan iteration in `forward`. Auto: all of them on CPU, where a rolled loop makes XLA stack every
    layer's saved activations into zero-initialised [L, ...] buffers and copy each layer's slice in and out (about
    10% of a tiny-preset train step); one elsewhere, where the rolled loop keeps compile time flat in depth."""
    if cfg.scan_unroll:
        return min(cfg.scan_unroll, cfg.n_layers)
    return cfg.n_layers if jax.default_backend() == "cpu" else 1


def _cast(params: Params, cfg: ModelConfig) -> Params:
    dtype = cfg.compute_dtype
    return jax.tree.map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params)


def _embed(params, tokens_BT, cfg: ModelConfig):
    x = jnp.take(params["embed"], tokens_BT, axis=0)
    return constrain(x, ("batch", "seq", "act_embed"))


def _logits(params, x_BTD, cfg: ModelConfig):
    x = _norm(x_BTD, params["final_norm"], cfg)
    if cfg.tie_embeddings:
        logits = _proj("btd,vd->btv", x, params["embed"], cfg, preferred_element_type=jnp.float32)
    else:
        logits = _proj("btd,dv->btv", x, params["lm_head"], cfg, preferred_element_type=jnp.float32)
    return constrain(logits.astype(jnp.float32), ("batch", "seq", "vocab"))


# ---------------------------------------------------------------------------------------------------- forward

def forward(params: Params, tokens: jax.Array, cfg: ModelConfig, positions: jax.Array | None = None,
            segment_ids: jax.Array | None = None) -> jax.Array:
    """Logits [batch, seq, vocab] in float32.

    positions: [B, T] int (default 0..T-1); they drive the rotary angles, so packed documents restart at 0.
    segment_ids: [B, T] int (default all 1); attention stays within a segment, 0 marks padding.
    """
    tokens_BT = jnp.asarray(tokens)
    B, T = tokens_BT.shape
    index_BT = jnp.broadcast_to(jnp.arange(T, dtype=jnp.int32), (B, T))
    positions_BT = index_BT if positions is None else jnp.asarray(positions, jnp.int32)
    segment_BT = jnp.ones((B, T), jnp.int32) if segment_ids is None else jnp.asarray(segment_ids, jnp.int32)
    mask = attention.causal_segment_mask(segment_BT, segment_BT, index_BT, index_BT)
    params = _cast(params, cfg)

    def layer(x_BTD, p):
        def attn_fn(h_BTD):
            q, k, v = _qkv(h_BTD, p["attn"], positions_BT, cfg)
            ctx = attention.attend(q, k, v, mask, kernel=cfg.attention_kernel, segment_ids=segment_BT)
            return _attn_out(ctx, p["attn"], cfg), None
        return _residual(x_BTD, attn_fn, p, cfg)[0], None

    x_BTD, _ = jax.lax.scan(_remat(layer, cfg), _embed(params, tokens_BT, cfg), params["layers"],
                            unroll=_scan_unroll(cfg))
    return _logits(params, x_BTD, cfg)


# --------------------------------------------------------------------------------------------------- KV cache

def init_cache(cfg: ModelConfig, batch_size: int, max_len: int, dtype=None) -> dict:
    """An empty cache: keys/values [L, B, K, S, H], segment ids of the filled slots (0 = empty or padding), and
    the next write index, shared by the batch (prompts of different lengths are handled through segment ids)."""
    dtype = cfg.compute_dtype if dtype is None else dtype
    shape = (cfg.n_layers, batch_size, cfg.n_kv_heads, max_len, cfg.head_dim)
    return {
        "k": jnp.zeros(shape, dtype), "v": jnp.zeros(shape, dtype),
        "segment_ids": jnp.zeros((batch_size, max_len), jnp.int32),
        "index": jnp.zeros((), jnp.int32),
    }


def cache_logical_axes() -> dict:
    kv = ("layers", "batch", "kv_heads", "cache_seq", "head_dim")
    return {"k": kv, "v": kv, "segment_ids": ("batch", "cache_seq"), "index": ()}


def extend(params: Params, tokens: jax.Array, cfg: ModelConfig, cache: dict, positions: jax.Array,
           segment_ids: jax.Array | None = None) -> tuple[jax.Array, dict]:
    """Appends T tokens to the cache and returns their logits [B, T, V]. Prefill is `extend` on an empty cache
    with the whole prompt; a decode step is `extend` with T=1. Same layer code as `forward`, so same logits."""
    tokens_BT = jnp.asarray(tokens)
    B, T = tokens_BT.shape
    S = cache["k"].shape[3]
    start = cache["index"]
    positions_BT = jnp.asarray(positions, jnp.int32)
    segment_BT = jnp.ones((B, T), jnp.int32) if segment_ids is None else jnp.asarray(segment_ids, jnp.int32)
    cache_seg_BS = jax.lax.dynamic_update_slice(cache["segment_ids"], segment_BT, (0, start))
    q_index_BT = jnp.broadcast_to(start + jnp.arange(T, dtype=jnp.int32), (B, T))
    kv_index_BS = jnp.broadcast_to(jnp.arange(S, dtype=jnp.int32), (B, S))
    mask = attention.causal_segment_mask(segment_BT, cache_seg_BS, q_index_BT, kv_index_BS)
    params = _cast(params, cfg)

    def layer(carry, xs):
        x_BTD, k_all, v_all = carry
        p, i = xs

        def attn_fn(h_BTD):
            q, k, v = _qkv(h_BTD, p["attn"], positions_BT, cfg)
            # Write only the new slots of layer i; the full cache stays in the loop carry so XLA updates it in
            # place instead of copying every layer's cache on every decode step.
            k_new = k.astype(k_all.dtype).transpose(0, 2, 1, 3)[None]   # [1, B, K, T, H]: only the new slots
            v_new = v.astype(v_all.dtype).transpose(0, 2, 1, 3)[None]
            k_all_ = jax.lax.dynamic_update_slice(k_all, k_new, (i, 0, 0, start, 0))
            v_all_ = jax.lax.dynamic_update_slice(v_all, v_new, (i, 0, 0, start, 0))
            ctx = attention.attend_cached(q, k_all_[i].astype(q.dtype), v_all_[i].astype(q.dtype), mask)
            return _attn_out(ctx, p["attn"], cfg), (k_all_, v_all_)

        x_BTD, (k_all, v_all) = _residual(x_BTD, attn_fn, p, cfg)
        return (x_BTD, k_all, v_all), None

    layer_ids = jnp.arange(cfg.n_layers, dtype=jnp.int32)
    (x_BTD, k_all, v_all), _ = jax.lax.scan(
        layer, (_embed(params, tokens_BT, cfg), cache["k"], cache["v"]), (params["layers"], layer_ids))
    new_cache = {"k": k_all, "v": v_all, "segment_ids": cache_seg_BS, "index": start + T}
    return _logits(params, x_BTD, cfg), new_cache
