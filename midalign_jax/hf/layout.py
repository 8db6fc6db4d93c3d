"""Where each of our parameters lives in an HF checkpoint, and how its layout differs.

HF stores torch `nn.Linear` weights as [out, in]; we store einsum-ready [in, ...out] with heads split out
(`q` is [D, N, H]). Layers are separate tensors there (`...layers.{i}...`) and one stacked array here. GPT-NeoX
fuses q, k and v into one `query_key_value` tensor whose rows are grouped per head as (q, k, v).

`load_plan(arch, cfg)` lists, for every leaf of our params, the HF tensor it comes from and the function that
turns one HF tensor into one layer's slice; `save_plan(arch, cfg)` lists, for every HF tensor, how to build it
from our per-layer slices. Tests check both against transformers' own models.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable

import numpy as np

from midalign_jax.hf.config import NEOX
from midalign_jax.model import ModelConfig

Path = tuple[str, ...]

# Buffers that old checkpoints saved alongside the weights; they are derived, not parameters.
IGNORED_TENSORS = re.compile(r"(rotary_emb\.inv_freq|attention\.bias|attention\.masked_bias)$")


@dataclasses.dataclass(frozen=True)
class Source:
    """Our leaf `path` (per layer when `layered`) comes from HF tensor `name` (with `{i}` for the layer)."""
    path: Path
    names: tuple[str, ...]        # accepted spellings, first is preferred (GPT-NeoX lm_head has two)
    hf_shape: tuple[int, ...]
    to_ours: Callable[[np.ndarray], np.ndarray]
    layered: bool


@dataclasses.dataclass(frozen=True)
class Target:
    """HF tensor `name` (with `{i}`) is `from_ours(get)`, where get(path) is our slice for the current layer."""
    name: str
    from_ours: Callable[[Callable[[Path], np.ndarray]], np.ndarray]
    layered: bool


def _dims(cfg: ModelConfig):
    return cfg.d_model, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.d_ff, cfg.vocab_size


def _names(arch: str) -> dict[str, str]:
    if arch == NEOX:
        p = "gpt_neox.layers.{i}."
        return {"embed": "gpt_neox.embed_in.weight", "final_norm": "gpt_neox.final_layer_norm",
                "lm_head": "embed_out.weight", "attn_norm": p + "input_layernorm",
                "mlp_norm": p + "post_attention_layernorm", "qkv": p + "attention.query_key_value",
                "o": p + "attention.dense", "up": p + "mlp.dense_h_to_4h", "down": p + "mlp.dense_4h_to_h"}
    p = "model.layers.{i}."
    return {"embed": "model.embed_tokens.weight", "final_norm": "model.norm", "lm_head": "lm_head.weight",
            "attn_norm": p + "input_layernorm", "mlp_norm": p + "post_attention_layernorm",
            "q": p + "self_attn.q_proj", "k": p + "self_attn.k_proj", "v": p + "self_attn.v_proj",
            "o": p + "self_attn.o_proj", "gate": p + "mlp.gate_proj", "up": p + "mlp.up_proj",
            "down": p + "mlp.down_proj"}


def lm_head_names(arch: str) -> tuple[str, ...]:
    """Spellings of the output projection (transformers 5 renames GPT-NeoX's embed_out to lm_head)."""
    return ("embed_out.weight", "lm_head.weight") if arch == NEOX else ("lm_head.weight",)


def _norm_sources(cfg, key: str, name: str, layered: bool) -> list[Source]:
    ident = lambda w: w  # noqa: E731
    out = [Source((*key.split("/"), "scale"), (name + ".weight",), (cfg.d_model,), ident, layered)]
    if cfg.norm == "layernorm":
        out.append(Source((*key.split("/"), "bias"), (name + ".bias",), (cfg.d_model,), ident, layered))
    return out


def load_plan(arch: str, cfg: ModelConfig) -> list[Source]:
    """Every leaf of our params with its HF source, in a fixed order."""
    D, N, K, H, F, V = _dims(cfg)
    n = _names(arch)
    A = ("layers", "attn")
    M = ("layers", "mlp")
    plan = [Source(("embed",), (n["embed"],), (V, D), lambda w: w, False)]
    plan += _norm_sources(cfg, "layers/attn_norm", n["attn_norm"], True)
    if arch == NEOX:
        # Rows of query_key_value are [N, (q, k, v), H]; bias likewise.
        def part(j):
            return lambda w: w.reshape(N, 3, H, D)[:, j].transpose(2, 0, 1)

        def part_bias(j):
            return lambda b: b.reshape(N, 3, H)[:, j]
        for j, leaf in enumerate("qkv"):
            plan.append(Source((*A, leaf), (n["qkv"] + ".weight",), (3 * N * H, D), part(j), True))
        if cfg.qkv_bias:
            for j, leaf in enumerate("qkv"):
                plan.append(Source((*A, f"{leaf}_bias"), (n["qkv"] + ".bias",), (3 * N * H,), part_bias(j), True))
    else:
        for leaf, heads in (("q", N), ("k", K), ("v", K)):
            plan.append(Source((*A, leaf), (n[leaf] + ".weight",), (heads * H, D),
                               lambda w, h=heads: w.T.reshape(D, h, H), True))
        if cfg.qkv_bias:
            for leaf, heads in (("q", N), ("k", K), ("v", K)):
                plan.append(Source((*A, f"{leaf}_bias"), (n[leaf] + ".bias",), (heads * H,),
                                   lambda b, h=heads: b.reshape(h, H), True))
    plan.append(Source((*A, "o"), (n["o"] + ".weight",), (D, N * H), lambda w: w.T.reshape(N, H, D), True))
    if cfg.out_bias:
        plan.append(Source((*A, "o_bias"), (n["o"] + ".bias",), (D,), lambda b: b, True))
    plan += _norm_sources(cfg, "layers/mlp_norm", n["mlp_norm"], True)
    mlp_leaves = [("up", (F, D)), ("down", (D, F))] + ([("gate", (F, D))] if cfg.mlp == "swiglu" else [])
    for leaf, shape in mlp_leaves:
        plan.append(Source((*M, leaf), (n[leaf] + ".weight",), shape, lambda w: w.T, True))
        if cfg.mlp_bias:
            plan.append(Source((*M, f"{leaf}_bias"), (n[leaf] + ".bias",), (shape[0],), lambda b: b, True))
    plan += _norm_sources(cfg, "final_norm", n["final_norm"], False)
    if not cfg.tie_embeddings:
        plan.append(Source(("lm_head",), lm_head_names(arch), (V, D), lambda w: w.T, False))
    return plan


def save_plan(arch: str, cfg: ModelConfig) -> list[Target]:
    """Every HF tensor with the function that builds it from our (per-layer) arrays."""
    D, N, K, H, F, V = _dims(cfg)
    n = _names(arch)
    A = ("layers", "attn")
    M = ("layers", "mlp")
    out = [Target(n["embed"], lambda g: g(("embed",)), False)]

    def norm(key: str, name: str, layered: bool):
        path = tuple(key.split("/"))
        res = [Target(name + ".weight", lambda g: g((*path, "scale")), layered)]
        if cfg.norm == "layernorm":
            res.append(Target(name + ".bias", lambda g: g((*path, "bias")), layered))
        return res

    out += norm("layers/attn_norm", n["attn_norm"], True)
    if arch == NEOX:
        def fused(g):
            qkv = np.stack([g((*A, leaf)).transpose(1, 2, 0) for leaf in "qkv"], axis=1)  # [N, 3, H, D]
            return qkv.reshape(3 * N * H, D)
        out.append(Target(n["qkv"] + ".weight", fused, True))
        if cfg.qkv_bias:
            out.append(Target(n["qkv"] + ".bias",
                              lambda g: np.stack([g((*A, f"{x}_bias")) for x in "qkv"], axis=1).reshape(-1), True))
    else:
        for leaf in "qkv":
            out.append(Target(n[leaf] + ".weight",
                              lambda g, leaf=leaf: g((*A, leaf)).reshape(D, -1).T, True))
            if cfg.qkv_bias:
                out.append(Target(n[leaf] + ".bias", lambda g, leaf=leaf: g((*A, f"{leaf}_bias")).reshape(-1), True))
    out.append(Target(n["o"] + ".weight", lambda g: g((*A, "o")).reshape(N * H, D).T, True))
    if cfg.out_bias:
        out.append(Target(n["o"] + ".bias", lambda g: g((*A, "o_bias")), True))
    out += norm("layers/mlp_norm", n["mlp_norm"], True)
    for leaf in ["up", "down"] + (["gate"] if cfg.mlp == "swiglu" else []):
        out.append(Target(n[leaf] + ".weight", lambda g, leaf=leaf: g((*M, leaf)).T, True))
        if cfg.mlp_bias:
            out.append(Target(n[leaf] + ".bias", lambda g, leaf=leaf: g((*M, f"{leaf}_bias")), True))
    out += norm("final_norm", n["final_norm"], False)
    if not cfg.tie_embeddings:
        out.append(Target(n["lm_head"], lambda g: g(("lm_head",)).T, False))
    return out


def layer_name(template: str, i: int) -> str:
    return template.replace("{i}", str(i))

