"""Converts between a local Hugging Face checkpoint directory and our params-only checkpoint.

    # HF (Llama / Qwen2 / GPT-NeoX; safetensors or pytorch_model.bin) -> ours
    python tools/convert_hf.py --from=/models/pythia-160m --to=/ckpt/pythia-160m

    # ours -> HF (loadable with transformers.AutoModelForCausalLM.from_pretrained)
    python tools/convert_hf.py --reverse --from=/ckpt/pythia-160m --to=/export/pythia-160m --dtype=bfloat16

    # GGUF (llama / qwen2; F32, F16, BF16, Q8_0, Q4_0, Q4_1) -> HF directory, dequantized (float32 by default)
    python tools/convert_hf.py --from=/models/SmolLM2-135M-Instruct.Q4_1.gguf --to=/models/smollm2-135m-instruct

A tokenizer travels with the model: HF -> ours copies the HF directory's tokenizer into OUT_DIR/tokenizer/;
ours -> HF saves --tokenizer=DIR, or FROM_DIR/tokenizer/ when present, next to the exported weights; GGUF -> HF
saves the file's own tokenizer and chat template (read by transformers, which needs `pip install -e '.[gguf]'`).
The GGUF export is a plain HF checkpoint: its config.json carries no quantization_config, so both
`AutoModelForCausalLM.from_pretrained(OUT)` and `midalign_jax.hf.load_hf(OUT)` read it.
Runs on the CPU (no accelerator memory needed) unless JAX_PLATFORMS says otherwise. Prints a summary
(architecture, parameter count, dtype, files) at the end.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402  (after choosing the platform)

from midalign_jax import hf, params_io  # noqa: E402
from midalign_jax.errors import run_main  # noqa: E402
from midalign_jax.hf.config import hf_architecture  # noqa: E402
from midalign_jax.hf.files import CheckpointFiles  # noqa: E402

TOKENIZER_SUBDIR = "tokenizer"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="src", required=True,
                   help="source: an HF directory, a .gguf file, or (with --reverse) our params checkpoint")
    p.add_argument("--to", dest="dst", required=True, help="output directory")
    p.add_argument("--reverse", action="store_true", help="convert our params checkpoint to an HF directory")
    p.add_argument("--dtype", default=None,
                   help="float32 | bfloat16 | float16: params storage dtype (HF -> ours, default float32) or "
                        "tensor dtype of the export (ours -> HF, default: the params' dtype; GGUF -> HF, default "
                        "float32, which holds the dequantized weights exactly)")
    p.add_argument("--tokenizer", default=None, help="tokenizer directory to save with an HF export")
    p.add_argument("--max_shard_size", type=int, default=hf.DEFAULT_MAX_SHARD_BYTES,
                   help="bytes per safetensors shard of an HF export (default %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at --to")
    return p.parse_args(argv)


def _num_params(params) -> int:
    return sum(math.prod(x.shape) for x in jax.tree.leaves(params))


def _summary(title: str, rows: dict[str, str]) -> None:
    print(title)
    width = max(len(k) for k in rows) + 1
    for key, value in rows.items():
        print(f"  {key + ':':<{width}} {value}")


def _shape_text(cfg) -> str:
    return (f"n_layers={cfg.n_layers} d_model={cfg.d_model} n_heads={cfg.n_heads} n_kv_heads={cfg.n_kv_heads} "
            f"head_dim={cfg.head_dim} d_ff={cfg.d_ff} vocab_size={cfg.vocab_size}")


def hf_to_ours(args: argparse.Namespace) -> None:
    src, dst = Path(args.src), Path(args.dst)
    with CheckpointFiles(src) as files:
        layout = files.layout
    try:  # read the tokenizer first so a broken one fails before the slow part
        tok = hf.load_tokenizer_dir(src)
    except FileNotFoundError:
        tok = None
    cfg, params = hf.load_hf(src, dtype=args.dtype)
    params_io.save_params(dst, cfg, params, overwrite=args.overwrite)
    tokenizer = "none found"
    if tok is not None:
        tok.save_pretrained(str(dst / TOKENIZER_SUBDIR))
        tokenizer = str(dst / TOKENIZER_SUBDIR)
    _summary("converted Hugging Face -> params checkpoint", {
        "from": f"{src} ({layout})",
        "to": str(dst),
        "architecture": f"{hf.architecture_of(hf.read_hf_config(src))} ({_shape_text(cfg)})",
        "parameters": f"{_num_params(params):,}",
        "dtype": cfg.param_dtype,
        "tokenizer": tokenizer,
    })


def ours_to_hf(args: argparse.Namespace) -> None:
    src, dst = Path(args.src), Path(args.dst)
    cfg, params = params_io.load_params(src)
    arch = hf_architecture(cfg)
    dtype = args.dtype or cfg.param_dtype
    tokenizer = args.tokenizer
    if tokenizer is None and (src / TOKENIZER_SUBDIR).is_dir():
        tokenizer = str(src / TOKENIZER_SUBDIR)
    written = hf.save_hf(dst, cfg, params, tokenizer=tokenizer, dtype=dtype, max_shard_size=args.max_shard_size,
                         overwrite=args.overwrite)
    _summary("converted params checkpoint -> Hugging Face", {
        "from": str(src),
        "to": str(dst),
        "architecture": f"{arch} ({_shape_text(cfg)})",
        "parameters": f"{_num_params(params):,}",
        "dtype": dtype,
        "tokenizer": tokenizer or "none",
        "files": ", ".join(written),
    })


def gguf_to_hf(src: Path, dst: Path, *, dtype: str | None = None, max_shard_size: int = hf.DEFAULT_MAX_SHARD_BYTES,
               overwrite: bool = False) -> dict[str, str]:
    """Writes the GGUF file `src` as an HF directory `dst`; returns the summary rows."""
    with hf.GGUFFile(src) as f:
        has_tokenizer = "tokenizer.ggml.model" in f.metadata
        name = f.metadata.get("general.name", "")
    # The tokenizer first, so a broken one fails before the slow part.
    tok = hf.load_gguf_tokenizer(src) if has_tokenizer else None
    cfg, params = hf.load_hf(src)
    arch = hf_architecture(cfg)
    dtype = dtype or "float32"
    written = hf.save_hf(dst, cfg, params, tokenizer=tok, dtype=dtype, max_shard_size=max_shard_size,
                         overwrite=overwrite)
    return {
        "from": f"{src} (GGUF{', ' + name if name else ''})",
        "to": str(dst),
        "architecture": f"{arch} ({_shape_text(cfg)})",
        "parameters": f"{_num_params(params):,}",
        "dtype": dtype,
        "tokenizer": "saved, with its chat template" if tok is not None and tok.chat_template else
                     "saved" if tok is not None else "none in the file",
        "files": ", ".join(written),
    }


def main(argv: list[str] | None = None) -> int:
    return run_main(_convert, argv, prog="tools/convert_hf.py")


def _convert(argv: list[str]) -> int:
    args = _parse(argv)
    try:
        if hf.is_gguf(args.src):
            if args.reverse:
                raise ValueError(f"--reverse converts our params checkpoint to HF; {args.src} is a GGUF file")
            _summary("converted GGUF -> Hugging Face", gguf_to_hf(
                Path(args.src), Path(args.dst), dtype=args.dtype, max_shard_size=args.max_shard_size,
                overwrite=args.overwrite))
        else:
            (ours_to_hf if args.reverse else hf_to_ours)(args)
    except ImportError as e:  # an optional package (gguf) is missing: the user's to install
        raise ValueError(str(e)) from e
    return 0


if __name__ == "__main__":
    sys.exit(main())
