"""One decoder-only transformer for the Llama, Qwen2 and GPT-NeoX (Pythia) families, as pure functions.

`forward(params, tokens, cfg)` is the whole model: params are a plain pytree, layers are stacked on a leading
axis and run with `lax.scan`, and the KV-cache path (`init_cache` + `extend`) shares the layer code with the full
forward so the two cannot drift apart.

Three settings change how the model runs, never what it computes (each `auto` by default, each a ModelConfig
field): `dense_grad` (projection backward in matmul layouts the CPU backend runs fast, dense.py),
`attention_kernel` (on CPU, attention that recomputes its probabilities in the backward pass, attention.py) and
`scan_unroll` (on CPU without remat, the layer scan unrolled so no per-layer activations are stacked).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

import midalign_jax.model.attention as attention
import midalign_jax.model.dense as dense
import midalign_jax.model.rope as rope
from midalign_jax.model.config import ModelConfig
from midalign_jax.model.params import Params
from midalign_jax.parallel.sharding import Placement, constrain

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
    return dense.project(spec, x, w, grad=cfg.dense_grad, matmul=cfg.matmul, **kw)


def _gate_up(x_BTD, p, cfg: ModelConfig):
    if "gate_up" in p:   # per_layer_params' fused weights
        return jnp.split(_proj("btd,df->btf", x_BTD, p["gate_up"], cfg), 2, axis=-1)
    return dense.project_shared(("btd,df->btf",) * 2, x_BTD, (p["gate"], p["up"]), grad=cfg.dense_grad,
                                matmul=cfg.matmul)


def _mlp(x_BTD, p, cfg: ModelConfig, pl: Placement | None):
    if cfg.mlp == "swiglu":
        gate_BTF, up_BTF = _gate_up(x_BTD, p, cfg)
        if cfg.mlp_bias:
            gate_BTF, up_BTF = gate_BTF + p["gate_bias"], up_BTF + p["up_bias"]
        h_BTF = _activation(gate_BTF, cfg) * up_BTF
    else:
        up_BTF = _proj("btd,df->btf", x_BTD, p["up"], cfg)
        if cfg.mlp_bias:
            up_BTF = up_BTF + p["up_bias"]
        h_BTF = _activation(up_BTF, cfg)
    h_BTF = constrain(h_BTF, ("batch", "seq", "mlp"), pl)
    out_BTD = _proj("btf,fd->btd", h_BTF, p["down"], cfg)
    if cfg.mlp_bias:
        out_BTD = out_BTD + p["down_bias"]
    return out_BTD


def _qkv(x_BTD, p, positions_BT, cfg: ModelConfig, pl: Placement | None):
    if "qkv" in p:   # per_layer_params' fused weights
        B, T, _ = x_BTD.shape
        nq, nk = cfg.n_heads * cfg.head_dim, cfg.n_kv_heads * cfg.head_dim
        q, k, v = jnp.split(_proj("btd,df->btf", x_BTD, p["qkv"], cfg), (nq, nq + nk), axis=-1)
        q = q.reshape(B, T, cfg.n_heads, cfg.head_dim)
        k, v = (a.reshape(B, T, cfg.n_kv_heads, cfg.head_dim) for a in (k, v))
    else:
        q, k, v = dense.project_shared(("btd,dnh->btnh", "btd,dkh->btkh", "btd,dkh->btkh"), x_BTD,
                                       (p["q"], p["k"], p["v"]), grad=cfg.dense_grad,
                                       matmul=cfg.matmul)
    if cfg.qkv_bias:
        q, k, v = q + p["q_bias"], k + p["k_bias"], v + p["v_bias"]
    q = constrain(rope.apply_rotary(q, positions_BT, cfg), ("batch", "seq", "heads", "head_dim"), pl)
    k = constrain(rope.apply_rotary(k, positions_BT, cfg), ("batch", "seq", "kv_heads", "head_dim"), pl)
    v = constrain(v, ("batch", "seq", "kv_heads", "head_dim"), pl)
    return q, k, v


def _attn_out(ctx_BTNH, p, cfg: ModelConfig):
    out = _proj("btnh,nhd->btd", ctx_BTNH, p["o"], cfg)
    return out + p["o_bias"] if cfg.out_bias else out


def _residual(x_BTD, attn_fn, p, cfg: ModelConfig, pl: Placement | None):
    """Sequential (x + attn, then + mlp) or GPT-NeoX parallel (x + attn(ln1 x) + mlp(ln2 x)) residual."""
    attn_out, extra = attn_fn(_norm(x_BTD, p["attn_norm"], cfg))
    if cfg.parallel_residual:
        x_BTD = x_BTD + attn_out + _mlp(_norm(x_BTD, p["mlp_norm"], cfg), p["mlp"], cfg, pl)
    else:
        x_BTD = x_BTD + attn_out
        x_BTD = x_BTD + _mlp(_norm(x_BTD, p["mlp_norm"], cfg), p["mlp"], cfg, pl)
    return constrain(x_BTD, ("batch", "seq", "act_embed"), pl), extra


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
    10% of a tiny-preset train step); one elsewhere, where the rolled loop keeps compile time flat in depth.
    With remat, one on CPU too: unrolled, XLA keeps every layer's activations anyway and remat saves nothing
    (SmolLM2-135M at 4 x 1024 tokens, remat=full: 10.1 GiB of temporaries unrolled, 1.8 GiB rolled)."""
    if cfg.scan_unroll:
        return min(cfg.scan_unroll, cfg.n_layers)
    return cfg.n_layers if jax.default_backend() == "cpu" and cfg.remat == "none" else 1


def _cast(params: Params, cfg: ModelConfig) -> Params:
    dtype = cfg.compute_dtype
    return jax.tree.map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params)


def _embed(params, tokens_BT, pl: Placement | None):
    x = jnp.take(params["embed"], tokens_BT, axis=0)
    return constrain(x, ("batch", "seq", "act_embed"), pl)


def _logits(params, x_BTD, cfg: ModelConfig, pl: Placement | None):
    x = _norm(x_BTD, params["final_norm"], cfg)
    if cfg.tie_embeddings:
        logits = _proj("btd,vd->btv", x, params["embed"], cfg, preferred_element_type=jnp.float32)
    else:
        logits = _proj("btd,dv->btv", x, params["lm_head"], cfg, preferred_element_type=jnp.float32)
    return constrain(logits.astype(jnp.float32), ("batch", "seq", "vocab"), pl)


# ---------------------------------------------------------------------------------------------------- forward

def forward(params: Params, tokens: jax.Array, cfg: ModelConfig, positions: jax.Array | None = None,
            segment_ids: jax.Array | None = None, *, placement: Placement | None = None,
            last: int | None = None) -> jax.Array:
    """Logits [batch, seq, vocab] in float32; with `last`, of the last `last` positions only ([batch, last, vocab]),
    for callers that score only a row's tail (an RL update scores completions): the head is most of a small
    model's work per position.

    positions: [B, T] int (default 0..T-1); they drive the rotary angles, so packed documents restart at 0.
    segment_ids: [B, T] int (default all 1); attention stays within a segment, 0 marks padding.
    placement: the mesh and rules that activations are constrained to (see `Placement`); None leaves placement
    to XLA, from the inputs' shardings.
    """
    pl = placement
    tokens_BT = jnp.asarray(tokens)
    B, T = tokens_BT.shape
    index_BT = jnp.broadcast_to(jnp.arange(T, dtype=jnp.int32), (B, T))
    positions_BT = index_BT if positions is None else jnp.asarray(positions, jnp.int32)
    segment_BT = jnp.ones((B, T), jnp.int32) if segment_ids is None else jnp.asarray(segment_ids, jnp.int32)
    mask = attention.causal_segment_mask(segment_BT, segment_BT, index_BT, index_BT)
    params = _cast(params, cfg)

    def layer(x_BTD, p):
        def attn_fn(h_BTD):
            q, k, v = _qkv(h_BTD, p["attn"], positions_BT, cfg, pl)
            ctx = attention.attend(q, k, v, mask, kernel=cfg.attention_kernel, segment_ids=segment_BT,
                                   causal=True, matmul=cfg.matmul)
            return _attn_out(ctx, p["attn"], cfg), None
        return _residual(x_BTD, attn_fn, p, cfg, pl)[0], None

    x_BTD, _ = jax.lax.scan(_remat(layer, cfg), _embed(params, tokens_BT, pl), params["layers"],
                            unroll=_scan_unroll(cfg))
    if last is not None:
        if not 0 < last <= T:
            raise ValueError(f"forward: last={last} must be in 1..{T} (the sequence length)")
        x_BTD = x_BTD[:, T - last:]
    return _logits(params, x_BTD, cfg, pl)


# --------------------------------------------------------------------------------------------------- KV cache

def init_cache(cfg: ModelConfig, batch_size: int, max_len: int, dtype=None) -> dict:
    """An empty cache: keys [L, B, K, H, S] and values [L, B, K, S, H], segment ids of the filled slots (0 = empty
    or padding), and the next write index, shared by the batch (prompts of different lengths are handled through
    segment ids). Keys are stored transposed so that the score product of a decode step, [G, H] x [H, S] per
    (batch row, KV head), is a plain row-major matmul (on CPU 40% cheaper than contracting [S, H] keys)."""
    dtype = cfg.compute_dtype if dtype is None else dtype
    L, K, H = cfg.n_layers, cfg.n_kv_heads, cfg.head_dim
    return {
        "k": jnp.zeros((L, batch_size, K, H, max_len), dtype), "v": jnp.zeros((L, batch_size, K, max_len, H), dtype),
        "segment_ids": jnp.zeros((batch_size, max_len), jnp.int32),
        "index": jnp.zeros((), jnp.int32),
    }


def cache_logical_axes() -> dict:
    return {"k": ("layers", "batch", "kv_heads", "head_dim", "cache_seq"),
            "v": ("layers", "batch", "kv_heads", "cache_seq", "head_dim"),
            "segment_ids": ("batch", "cache_seq"), "index": ()}


def per_layer_cache(cache: dict) -> dict:
    """The same cache with keys and values as tuples of per-layer arrays ([B, K, H, S] and [B, K, S, H]).
    `extend` takes either form and returns the form it was given; with this one it runs the layers as an unrolled
    Python loop, so a decode step updates each layer's buffer in place instead of copying that layer's slice out
    of the stacked cache for the attention products (on CPU, the two slice copies per layer were ~30% of a
    tiny-preset decode step)."""
    return {**cache, "k": tuple(cache["k"]), "v": tuple(cache["v"])}


def per_layer_params(params: Params, cfg: ModelConfig) -> Params:
    """The params cast to the compute dtype, with the stacked layers split into a tuple of per-layer trees, for
    `extend` with a `per_layer_cache`. Do this once before a decode loop: slicing and casting the stacked layers
    inside the loop body copied every layer's weights on every token (XLA does not hoist those slices out of
    the loop), which was 35% of a SmolLM2-135M decode step on CPU. The split trees are a copy of the layers,
    with q/k/v and gate/up fused (`_fused`)."""
    params = _cast(params, cfg)
    layers = params["layers"]
    if isinstance(layers, (tuple, list)):
        return params
    return {**params, "layers": tuple(_fused(jax.tree.map(lambda a, i=i: a[i], layers), cfg)
                                      for i in range(cfg.n_layers))}


def _fused(layer: Params, cfg: ModelConfig) -> Params:
    """One layer with q/k/v (and the SwiGLU gate/up) as one [D, F] matrix each: a decode step then runs one small
    product where it ran three (two), and on CPU each product of a decode step costs about as much in dispatch
    as in arithmetic. Column order is q, k, v and gate, up, split back after the product."""
    attn, mlp = dict(layer["attn"]), dict(layer["mlp"])
    D = cfg.d_model
    attn["qkv"] = jnp.concatenate([attn.pop(n).reshape(D, -1) for n in ("q", "k", "v")], axis=-1)
    if cfg.mlp == "swiglu":
        mlp["gate_up"] = jnp.concatenate([mlp.pop("gate"), mlp.pop("up")], axis=-1)
    return {**layer, "attn": attn, "mlp": mlp}


def extend(params: Params, tokens: jax.Array, cfg: ModelConfig, cache: dict, positions: jax.Array,
           segment_ids: jax.Array | None = None, *, placement: Placement | None = None,
           last_only: bool = False) -> tuple[jax.Array, dict]:
    """Appends T tokens to the cache and returns their logits [B, T, V], or only the last token's [B, 1, V] with
    `last_only` (a sampler's prefill: the LM head over every prompt token was a fifth of a SmolLM2-135M
    generate call of 32 tokens). Prefill is `extend` on an empty cache with the whole prompt; a decode step is
    `extend` with T=1. Same layer code as `forward`, so same logits.
    The cache is `init_cache`'s stacked form or `per_layer_cache` of it; with the per-layer cache, the params may
    be `per_layer_params` of them (which a decode loop should use)."""
    pl = placement
    tokens_BT = jnp.asarray(tokens)
    B, T = tokens_BT.shape
    layered = isinstance(cache["k"], (tuple, list))
    split_layers = isinstance(params["layers"], (tuple, list))
    if split_layers and not layered:
        raise ValueError("extend: per-layer params (per_layer_params) need a per-layer cache (per_layer_cache)")
    S = cache["v"][0].shape[-2]  # values: [B, K, S, H] per layer, [L, B, K, S, H] stacked
    start = cache["index"]
    positions_BT = jnp.asarray(positions, jnp.int32)
    segment_BT = jnp.ones((B, T), jnp.int32) if segment_ids is None else jnp.asarray(segment_ids, jnp.int32)
    cache_seg_BS = jax.lax.dynamic_update_slice(cache["segment_ids"], segment_BT, (0, start))
    q_index_BT = jnp.broadcast_to(start + jnp.arange(T, dtype=jnp.int32), (B, T))
    kv_index_BS = jnp.broadcast_to(jnp.arange(S, dtype=jnp.int32), (B, S))
    mask = attention.causal_segment_mask(segment_BT, cache_seg_BS, q_index_BT, kv_index_BS)
    params = _cast(params, cfg)

    def attn_with(p, write):
        """The attention of one layer: `write(k_new, v_new)` stores the new slots ([B, K, H, T] and [B, K, T, H])
        and returns that layer's keys [B, K, H, S] and values [B, K, S, H] plus the updated cache state."""
        def attn_fn(h_BTD):
            q, k, v = _qkv(h_BTD, p["attn"], positions_BT, cfg, pl)
            k_BKHS, v_BKSH, state = write(k.transpose(0, 2, 3, 1), v.transpose(0, 2, 1, 3))
            ctx = attention.attend_cached(q, k_BKHS.astype(q.dtype), v_BKSH.astype(q.dtype), mask, cfg.matmul)
            return _attn_out(ctx, p["attn"], cfg), state
        return attn_fn

    x_BTD = _embed(params, tokens_BT, pl)
    if layered:
        ks, vs = list(cache["k"]), list(cache["v"])
        for i in range(cfg.n_layers):
            p = params["layers"][i] if split_layers else jax.tree.map(lambda a, i=i: a[i], params["layers"])

            def write(k_new, v_new, i=i):
                k_i = jax.lax.dynamic_update_slice(ks[i], k_new.astype(ks[i].dtype), (0, 0, 0, start))
                v_i = jax.lax.dynamic_update_slice(vs[i], v_new.astype(vs[i].dtype), (0, 0, start, 0))
                return k_i, v_i, (k_i, v_i)
            x_BTD, (ks[i], vs[i]) = _residual(x_BTD, attn_with(p, write), p, cfg, pl)
        k_out, v_out = tuple(ks), tuple(vs)
    else:
        def layer(carry, xs):
            x_BTD, k_all, v_all = carry
            p, i = xs

            def write(k_new, v_new):
                # Write only the new slots of layer i; the full cache stays in the loop carry so XLA updates it
                # in place instead of copying every layer's cache on every decode step.
                k_all_ = jax.lax.dynamic_update_slice(k_all, k_new.astype(k_all.dtype)[None], (i, 0, 0, 0, start))
                v_all_ = jax.lax.dynamic_update_slice(v_all, v_new.astype(v_all.dtype)[None], (i, 0, 0, start, 0))
                return k_all_[i], v_all_[i], (k_all_, v_all_)
            x_BTD, (k_all, v_all) = _residual(x_BTD, attn_with(p, write), p, cfg, pl)
            return (x_BTD, k_all, v_all), None

        layer_ids = jnp.arange(cfg.n_layers, dtype=jnp.int32)
        (x_BTD, k_out, v_out), _ = jax.lax.scan(layer, (x_BTD, cache["k"], cache["v"]), (params["layers"], layer_ids))
    new_cache = {"k": k_out, "v": v_out, "segment_ids": cache_seg_BS, "index": start + T}
    return _logits(params, x_BTD[:, -1:] if last_only else x_BTD, cfg, pl), new_cache
