"""Hugging Face interop: load a local HF Llama / Qwen2 / GPT-NeoX directory as `(ModelConfig, params)`, and
export our params as a directory that `transformers.AutoModelForCausalLM.from_pretrained` loads.

Loading never holds two full copies of the model in host memory (assemble.py): each parameter is one stacked
numpy array, filled tensor by tensor from the checkpoint, placed on its devices, and dropped before the next one.
Every tensor name and shape is checked against config.json before anything is allocated.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Callable

import jax
import numpy as np

import midalign_jax.hf.gguf as gguf
from midalign_jax.hf.assemble import assemble, dtype_name, lookup, np_dtype, resolve_shardings
from midalign_jax.hf.config import (
    architecture_of,
    hf_architecture,
    hf_config_from_model,
    model_config_from_hf,
)
from midalign_jax.hf.files import (
    CheckpointFiles,
    remove_weight_files,
    weight_files,
    write_safetensors,
)
from midalign_jax.hf.layout import (
    IGNORED_TENSORS,
    Source,
    layer_name,
    lm_head_names,
    load_plan,
    save_plan,
)
from midalign_jax.model import ModelConfig
from midalign_jax.params_io import check_params

DEFAULT_MAX_SHARD_BYTES = 2 * 1024**3
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt")


def read_hf_config(path: str | os.PathLike) -> dict:
    """The raw config.json of an HF model directory."""
    file = Path(path) / "config.json"
    if not file.is_file():
        raise FileNotFoundError(f"no config.json in HF model directory {Path(path)}")
    try:
        config = json.loads(file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{file}: invalid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(config, dict):
        raise ValueError(f"{file}: expected a JSON object, found {type(config).__name__}")
    return config


def load_hf_config(path: str | os.PathLike, *, dtype: Any = None) -> ModelConfig:
    """ModelConfig of an HF model directory (or a `.gguf` file) without reading any weights (e.g. to build
    shardings first)."""
    if gguf.is_gguf(path):
        return gguf.load_gguf_config(path, dtype=dtype)
    cfg = model_config_from_hf(read_hf_config(path), source=str(Path(path) / "config.json"))
    return dataclasses.replace(cfg, param_dtype="float32" if dtype is None else dtype_name(dtype))


# ------------------------------------------------------------------------------------------------------ load

def _dims_text(cfg: ModelConfig) -> str:
    return (f"vocab_size={cfg.vocab_size}, d_model={cfg.d_model}, n_layers={cfg.n_layers}, n_heads={cfg.n_heads}, "
            f"n_kv_heads={cfg.n_kv_heads}, head_dim={cfg.head_dim}, d_ff={cfg.d_ff}")


def _source_name(src: Source, files: CheckpointFiles) -> str:
    for name in src.names:
        if name in files.names:
            return name
    return src.names[0]


def _check_tensors(arch: str, cfg: ModelConfig, plan: list[Source], files: CheckpointFiles) -> None:
    """Missing, misshapen and unexpected tensors are all errors, found before any weight is read."""
    expected: set[str] = set()
    for src in plan:
        template = _source_name(src, files)
        for i in range(cfg.n_layers) if src.layered else [None]:
            name = template if i is None else layer_name(template, i)
            expected.add(name)
            if name not in files.names:
                raise ValueError(f"{arch} checkpoint {files.directory}: tensor {name!r} (parameter "
                                 f"{'/'.join(src.path)}, expected shape {src.hf_shape}) is missing; config.json "
                                 f"says {_dims_text(cfg)}, tie_word_embeddings={cfg.tie_embeddings}")
            found = files.shape(name)
            if found != src.hf_shape:
                raise ValueError(f"{arch} checkpoint {files.file_of(name)}: tensor {name!r} has shape {found}, but "
                                 f"config.json ({_dims_text(cfg)}) implies {src.hf_shape} for parameter "
                                 f"{'/'.join(src.path)}")
    allowed = set(lm_head_names(arch)) if cfg.tie_embeddings else set()
    unexpected = sorted(n for n in files.names - expected - allowed if not IGNORED_TENSORS.search(n))
    if unexpected:
        shown = ", ".join(f"{n} {files.shape(n)}" for n in unexpected[:8])
        more = f" and {len(unexpected) - 8} more" if len(unexpected) > 8 else ""
        raise ValueError(f"{arch} checkpoint {files.directory}: unexpected tensors not described by config.json "
                         f"({_dims_text(cfg)}): {shown}{more}")


def _check_tied_head(arch: str, embed_VD: np.ndarray, files: CheckpointFiles) -> None:
    """A tied checkpoint may still carry an lm_head copy; it must then equal the embedding."""
    for name in lm_head_names(arch):
        if name in files.names:
            head = files.get(name).astype(embed_VD.dtype)
            if head.shape != embed_VD.shape or not np.array_equal(head, embed_VD):
                raise ValueError(f"{arch} checkpoint {files.file_of(name)}: config.json sets tie_word_embeddings="
                                 f"true but {name!r} differs from the input embedding")


def load_hf(path: str | os.PathLike, *, dtype: Any = None,
            shardings: Any | Callable[[ModelConfig], Any] = None) -> tuple[ModelConfig, dict]:
    """Loads a local HF checkpoint directory (safetensors or pytorch_model.bin, single or sharded), or a `.gguf`
    file (see gguf.py: llama / qwen2 in F32, F16, BF16, Q8_0, Q4_0 or Q4_1, dequantized).

    dtype: storage dtype of the returned params (cfg.param_dtype); None keeps float32 master weights (exact for
      bf16/fp16 checkpoints). The compute dtype is cfg.dtype; change it with dataclasses.replace.
    shardings: a pytree of NamedShardings with the params' structure, or a function cfg -> such a tree (so the
      tree can be built from the config read here). None places everything on the default device.
    """
    if gguf.is_gguf(path):
        return gguf.load_gguf(path, dtype=dtype, shardings=shardings)
    directory = Path(path)
    hf_json = read_hf_config(directory)
    source = str(directory / "config.json")
    arch = architecture_of(hf_json, source)
    cfg = dataclasses.replace(model_config_from_hf(hf_json, source),
                              param_dtype="float32" if dtype is None else dtype_name(dtype))
    shardings = resolve_shardings(shardings, cfg)
    plan = load_plan(arch, cfg)
    with CheckpointFiles(directory) as files:
        _check_tensors(arch, cfg, plan, files)

        def read(src: Source, layer: int | None) -> np.ndarray:
            name = _source_name(src, files)
            return files.get(name if layer is None else layer_name(name, layer))

        def check(src: Source, host: np.ndarray) -> None:
            if src.path == ("embed",) and cfg.tie_embeddings:
                _check_tied_head(arch, host, files)
        params = assemble(cfg, plan, read, shardings, check)
    return cfg, params


# ------------------------------------------------------------------------------------------------------ save

def _host(x) -> np.ndarray:
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        from jax.experimental import multihost_utils
        x = multihost_utils.process_allgather(x, tiled=True)
    return np.asarray(jax.device_get(x))


def _tensors(arch: str, cfg: ModelConfig, params: dict, np_dtype: np.dtype):
    """(name, array) pairs in HF order, layer by layer, each built from host copies of one layer's slices."""
    targets = save_plan(arch, cfg)
    first_layered = next(k for k, t in enumerate(targets) if t.layered)
    head = [t for t in targets[:first_layered] if not t.layered]
    tail = [t for t in targets[first_layered:] if not t.layered]

    def get_whole(path):
        return _host(lookup(params, path, "params"))

    for t in head:
        yield t.name, t.from_ours(get_whole).astype(np_dtype)
    for i in range(cfg.n_layers):
        cache: dict = {}

        def get_layer(path, i=i, cache=cache):
            if path not in cache:
                cache[path] = _host(lookup(params, path, "params")[i])
            return cache[path]
        for t in targets:
            if t.layered:
                yield layer_name(t.name, i), t.from_ours(get_layer).astype(np_dtype)
    for t in tail:
        yield t.name, t.from_ours(get_whole).astype(np_dtype)


def _tokenizer_ids(tokenizer) -> dict:
    if tokenizer is None:
        return {}
    ids = {k: getattr(tokenizer, k, None) for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    return {k: v for k, v in ids.items() if v is not None}


def save_hf(path: str | os.PathLike, cfg: ModelConfig, params: dict, *, tokenizer: Any = None,
            dtype: Any = "float32", max_shard_size: int = DEFAULT_MAX_SHARD_BYTES,
            overwrite: bool = False) -> list[str]:
    """Writes config.json, generation_config.json and safetensors weights (sharded with an index above
    `max_shard_size` bytes) that transformers loads with `from_pretrained(path)`; returns the files written.

    The architecture follows the config: layernorm -> GPTNeoXForCausalLM, q/k/v bias without output bias ->
    Qwen2ForCausalLM, otherwise LlamaForCausalLM; a config no family expresses is a ValueError saying why.
    tokenizer: a transformers tokenizer, or a path to a tokenizer directory; saved alongside when given.
    All processes must call this (multi-host arrays are gathered); only process 0 writes.
    """
    arch = hf_architecture(cfg)
    check_params(cfg, params, check_dtype=False)
    out_dtype = dtype_name(dtype)
    directory = Path(path)
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = load_tokenizer_dir(tokenizer)
    ids = _tokenizer_ids(tokenizer)
    writer = jax.process_index() == 0
    tensors = _tensors(arch, cfg, params, np_dtype(out_dtype))
    if not writer:
        for _ in tensors:  # take part in the gathers, write nothing
            pass
        return []
    directory.mkdir(parents=True, exist_ok=True)
    existing = weight_files(directory)
    if existing and not overwrite:
        raise FileExistsError(f"{directory} already holds weight files {sorted(f.name for f in existing)}; pass "
                              "overwrite=True to replace them")
    remove_weight_files(directory)
    written = write_safetensors(directory, tensors, max_shard_size)
    config = hf_config_from_model(cfg, dtype=out_dtype, bos_token_id=ids.get("bos_token_id"),
                                  eos_token_id=ids.get("eos_token_id"))
    if "pad_token_id" in ids:
        config["pad_token_id"] = ids["pad_token_id"]
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    import transformers  # only for the version stamp
    generation = {"_from_model_config": True, **ids, "transformers_version": transformers.__version__}
    (directory / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    written += ["config.json", "generation_config.json"]
    if tokenizer is not None:
        written += [os.path.basename(f) for f in tokenizer.save_pretrained(str(directory))]
    return written


# ------------------------------------------------------------------------------------------------- tokenizer

def load_tokenizer_dir(path: str | os.PathLike):
    """`transformers.AutoTokenizer` from a local directory (never the network), with errors naming the path."""
    directory = Path(path)
    if not directory.is_dir():
        raise FileNotFoundError(f"tokenizer directory not found: {directory}")
    if not any((directory / f).is_file() for f in _TOKENIZER_FILES):
        raise FileNotFoundError(f"{directory} holds no tokenizer files; expected one of {', '.join(_TOKENIZER_FILES)}")
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    except Exception as e:  # noqa: BLE001 - transformers raises many types; the path is what the user needs
        raise ValueError(f"could not load a tokenizer from {directory}: {type(e).__name__}: {e}") from e
