"""GGUF import: a llama.cpp model file (llama or qwen2 architecture) as `(ModelConfig, params)`.

The metadata gives the ModelConfig; each GGUF tensor is renamed to its HF counterpart (GGUF's numpy-order shape is
HF's [out, in]) and goes through the same load plan as an HF directory (layout.py), dequantized to float32 one
tensor at a time (gguf_file.py, gguf_quants.py) and placed straight onto its target sharding (assemble.py).

llama.cpp's converter reorders the rows of each head of the llama q and k projections so that its interleaved rotary
(pairs 2j, 2j+1) computes what HF's rotate-half computes (pairs j, j + head_dim/2). We put the rows back, so the
weights equal the HF checkpoint's and the model runs with rope_style="half". qwen2 files use llama.cpp's
rotate-half rotary and are stored unpermuted.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

import midalign_jax.hf.gguf_quants as quants
from midalign_jax.hf.assemble import assemble, dtype_name, resolve_shardings
from midalign_jax.hf.config import LLAMA, QWEN2
from midalign_jax.hf.gguf_file import GGUFFile
from midalign_jax.hf.layout import Source, layer_name, load_plan
from midalign_jax.model import ModelConfig

ARCHITECTURES = {"llama": LLAMA, "qwen2": QWEN2}
_REQUIRED = object()

# HF tensor stem -> GGUF tensor stem (llama.cpp's names); ".weight" / ".bias" carry over unchanged.
_STEMS = {
    "model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
    "model.layers.{i}.input_layernorm": "blk.{i}.attn_norm",
    "model.layers.{i}.post_attention_layernorm": "blk.{i}.ffn_norm",
    "model.layers.{i}.self_attn.q_proj": "blk.{i}.attn_q", "model.layers.{i}.self_attn.k_proj": "blk.{i}.attn_k",
    "model.layers.{i}.self_attn.v_proj": "blk.{i}.attn_v",
    "model.layers.{i}.self_attn.o_proj": "blk.{i}.attn_output",
    "model.layers.{i}.mlp.gate_proj": "blk.{i}.ffn_gate", "model.layers.{i}.mlp.up_proj": "blk.{i}.ffn_up",
    "model.layers.{i}.mlp.down_proj": "blk.{i}.ffn_down",
}
# Our leaves whose rows llama.cpp permuted, with the config field holding their head count.
_PERMUTED = {("layers", "attn", "q"): "n_heads", ("layers", "attn", "q_bias"): "n_heads",
             ("layers", "attn", "k"): "n_kv_heads", ("layers", "attn", "k_bias"): "n_kv_heads"}


def is_gguf(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() == ".gguf" and not Path(path).is_dir()


def gguf_name(hf_name: str) -> str:
    """llama.cpp's name (with `{i}` for the layer) for an HF llama / qwen2 tensor name template."""
    stem, _, suffix = hf_name.rpartition(".")
    return f"{_STEMS[stem]}.{suffix}"


# ------------------------------------------------------------------------------------------------------ config

def model_config_from_gguf(metadata: dict[str, Any], tensors: dict, source: str) -> tuple[str, ModelConfig]:
    """(HF architecture, ModelConfig) from a GGUF file's metadata and tensor infos (name -> TensorInfo)."""
    arch = metadata.get("general.architecture")
    if arch not in ARCHITECTURES:
        raise ValueError(f"{source}: GGUF architecture {arch!r} is not supported; supported: "
                         f"{', '.join(ARCHITECTURES)}")

    def get(key: str, default: Any = _REQUIRED, kind: type = int):
        full = f"{arch}.{key}"
        if full not in metadata:
            if default is _REQUIRED:
                raise ValueError(f"{source}: {arch} GGUF metadata has no {full!r}")
            return default
        value = metadata[full]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{source}: {full}={value!r} must be one {kind.__name__} (per-layer values are not "
                             "supported)")
        return value

    if get("expert_count", 0):
        raise ValueError(f"{source}: {arch} GGUF with {get('expert_count')} experts (mixture of experts) is not "
                         "supported")
    if "rope_freqs.weight" in tensors:
        raise ValueError(f"{source}: tensor 'rope_freqs.weight' (per-frequency rope factors, e.g. llama3 rope "
                         "scaling) is not supported")
    if "token_embd.weight" not in tensors:
        raise ValueError(f"{source}: {arch} GGUF has no tensor 'token_embd.weight' (the token embedding)")
    d_model = get("embedding_length")
    n_heads = get("attention.head_count")
    head_dim = get("attention.key_length", d_model // n_heads)
    if get("attention.value_length", head_dim) != head_dim:
        raise ValueError(f"{source}: {arch}.attention.value_length={get('attention.value_length')} differs from the "
                         f"key length {head_dim}; only equal q/k/v head sizes are supported")
    rotary = get("rope.dimension_count", head_dim)
    if rotary != head_dim:
        raise ValueError(f"{source}: {arch}.rope.dimension_count={rotary} but the head size is {head_dim}; partial "
                         "rotary is not supported for llama / qwen2")
    fields: dict[str, Any] = dict(
        vocab_size=tensors["token_embd.weight"].shape[0], d_model=d_model, n_layers=get("block_count"),
        n_heads=n_heads, n_kv_heads=get("attention.head_count_kv", n_heads), head_dim=head_dim,
        d_ff=get("feed_forward_length"), max_seq_len=get("context_length"), norm="rmsnorm",
        norm_eps=get("attention.layer_norm_rms_epsilon", kind=float), mlp="swiglu", activation="silu",
        rope_theta=get("rope.freq_base", 10000.0, float), tie_embeddings="output.weight" not in tensors)
    scaling = metadata.get(f"{arch}.rope.scaling.type", "none")
    if scaling == "linear":
        fields.update(rope_scaling="linear", rope_scaling_factor=get("rope.scaling.factor", kind=float))
    elif scaling != "none":
        raise ValueError(f"{source}: {arch}.rope.scaling.type={scaling!r} is not supported; expected 'none' or "
                         "'linear'")
    if arch == "qwen2":
        fields.update(qkv_bias=True, out_bias=False, mlp_bias=False)
    else:
        # llama's attention_bias covers q, k, v and output together; mlp_bias covers gate, up and down.
        bias = "blk.0.attn_q.bias" in tensors
        fields.update(qkv_bias=bias, out_bias=bias, mlp_bias="blk.0.ffn_up.bias" in tensors)
    try:
        return ARCHITECTURES[arch], ModelConfig(**fields)
    except ValueError as e:
        raise ValueError(f"{source}: {arch} GGUF metadata does not make a valid ModelConfig: {e}") from e


def load_gguf_config(path: str | os.PathLike, *, dtype: Any = None) -> ModelConfig:
    """ModelConfig of a GGUF file without reading any tensor data."""
    with GGUFFile(path) as f:
        _, cfg = model_config_from_gguf(f.metadata, f.tensors, str(f.path))
    return dataclasses.replace(cfg, param_dtype="float32" if dtype is None else dtype_name(dtype))


# ------------------------------------------------------------------------------------------------------ tensors

def _expected(cfg: ModelConfig, plan: list[Source]) -> dict[str, tuple[Source, tuple[int, ...]]]:
    out = {}
    for src in plan:
        template = gguf_name(src.names[0])
        for i in range(cfg.n_layers) if src.layered else [None]:
            out[template if i is None else layer_name(template, i)] = (src, src.hf_shape)
    return out


def _check_tensors(f: GGUFFile, arch: str, cfg: ModelConfig, plan: list[Source]) -> None:
    """Missing, misshapen, unreadable and unexpected tensors are all errors, found before any data is read."""
    dims = (f"block_count={cfg.n_layers}, embedding_length={cfg.d_model}, head_count={cfg.n_heads}, "
            f"head_count_kv={cfg.n_kv_heads}, head size {cfg.head_dim}, feed_forward_length={cfg.d_ff}, "
            f"vocab {cfg.vocab_size}")
    expected = _expected(cfg, plan)
    for name, (src, shape) in expected.items():
        if name not in f.tensors:
            raise ValueError(f"{f.path}: {arch} GGUF is missing tensor {name!r} (parameter {'/'.join(src.path)}, "
                             f"shape {shape} in numpy order); the metadata says {dims}")
        info = f.tensors[name]
        if info.shape != shape:
            raise ValueError(f"{f.path}: tensor {name!r} has shape {info.shape} (numpy order), but the metadata "
                             f"({dims}) implies {shape}")
        if info.type_name not in quants.SUPPORTED:
            raise ValueError(f"{f.path}: tensor {name!r} has ggml type {info.type_name}, which is not supported "
                             f"(supported: {', '.join(quants.SUPPORTED)})")
    unexpected = sorted(set(f.tensors) - set(expected))
    if unexpected:
        shown = ", ".join(f"{n} {f.tensors[n].shape}" for n in unexpected[:8])
        more = f" and {len(unexpected) - 8} more" if len(unexpected) > 8 else ""
        raise ValueError(f"{f.path}: unexpected tensors for a {arch} model ({dims}): {shown}{more}")


def undo_rope_permutation(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Rows of a llama.cpp q / k projection (or bias) back in HF order.

    Within each head llama.cpp puts HF row `half * head_dim/2 + j` at row `2 * j + half`; reading the rows as
    [heads, head_dim/2, 2] and swapping the last two axes restores [heads, 2, head_dim/2]."""
    rows = w.shape[0]
    if rows % (2 * n_heads):
        raise ValueError(f"{rows} rows do not split into {n_heads} heads of an even size")
    return w.reshape(n_heads, rows // n_heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load_gguf(path: str | os.PathLike, *, dtype: Any = None,
              shardings: Any | Callable[[ModelConfig], Any] = None) -> tuple[ModelConfig, dict]:
    """Loads a llama / qwen2 GGUF file (F32, F16, BF16, Q8_0, Q4_0, Q4_1 tensors) as float32-exact dequantized
    params; dtype and shardings as in `load_hf`."""
    with GGUFFile(path) as f:
        arch, cfg = model_config_from_gguf(f.metadata, f.tensors, str(f.path))
        cfg = dataclasses.replace(cfg, param_dtype="float32" if dtype is None else dtype_name(dtype))
        plan = load_plan(arch, cfg)
        _check_tensors(f, arch, cfg, plan)
        permute = arch == LLAMA

        def read(src: Source, layer: int | None) -> np.ndarray:
            template = gguf_name(src.names[0])
            w = f.array(template if layer is None else layer_name(template, layer))
            if permute and src.path in _PERMUTED:
                w = undo_rope_permutation(w, getattr(cfg, _PERMUTED[src.path]))
            return w
        params = assemble(cfg, plan, read, resolve_shardings(shardings, cfg))
    return cfg, params


def load_gguf_tokenizer(path: str | os.PathLike):
    """The file's tokenizer and chat template as a `transformers` tokenizer (transformers' own GGUF reader, which
    needs the `gguf` package: `pip install -e '.[gguf]'`)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"GGUF file not found: {file}")
    if importlib.util.find_spec("gguf") is None:
        raise ImportError(f"reading the tokenizer of {file} needs the 'gguf' package: pip install -e '.[gguf]'")
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name, local_files_only=True)
    except Exception as e:  # noqa: BLE001 - transformers raises many types; the file is what the user needs
        raise ValueError(f"could not load the tokenizer of {file}: {type(e).__name__}: {e}") from e
