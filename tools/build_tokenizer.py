"""Builds a byte-level BPE tokenizer directory (loadable with transformers.AutoTokenizer.from_pretrained).

    # the world tokenizer, exactly what data.tokenizer="world" uses (cache_dir/tokenizer-world-v5/)
    python tools/build_tokenizer.py
    # a tokenizer for your own corpus: JSONL/Parquet/ArrayRecord files or globs, a few MB is plenty
    python tools/build_tokenizer.py --inputs='/data/web/*.jsonl' --out=/models/tok-8k --vocab_size=8192

Specials: <|endoftext|> (EOS; no BOS), <|pad|>, <|good|>, <|bad|>; the chat template is the plain
"User: ...\\nAssistant: ..." format with {% generation %} markers. Prints the directory, vocabulary size and the
compression (characters per token) on the training sample.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from midalign_jax.data import (
    BadRecordError,
    SourceSpec,
    build_tokenizer,
    data_settings,
    load_tokenizer,
    open_source,
)
from midalign_jax.data.settings import resolve_cache_dir
from midalign_jax.data.tokenizer import (
    WORLD_TOKENIZER_DIR,
    WORLD_VOCAB_SIZE,
    world_training_texts,
)
from midalign_jax.errors import run_main


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inputs", default="", help="comma-separated files/globs to train on (default: the world)")
    p.add_argument("--text_field", default="text", help="JSON field / Parquet column of the text")
    p.add_argument("--out", default="", help="output directory (default: CACHE_DIR/tokenizer-world-v5)")
    p.add_argument("--cache_dir", default="", help="default $MIDALIGN_CACHE or ~/.cache/midalign_jax")
    p.add_argument("--vocab_size", type=int, default=WORLD_VOCAB_SIZE)
    p.add_argument("--max_mb", type=float, default=8.0, help="train on at most this many MB of text")
    return p.parse_args(argv)


def _texts(inputs: str, text_field: str, cache_dir: str, max_bytes: int):
    settings = data_settings({"cache_dir": cache_dir})
    source = open_source(SourceSpec("tokenizer_inputs", inputs, text_field=text_field), settings)
    budget = max_bytes
    for i in range(len(source)):
        try:
            text = source[i]
        except BadRecordError as e:
            print(f"skipping {e}", file=sys.stderr)
            continue
        budget -= len(text.encode("utf-8"))
        yield text
        if budget <= 0:
            return


def main(argv=None) -> int:
    return run_main(_main, argv, prog="tools/build_tokenizer.py")


def _main(argv) -> int:
    args = _parse(argv)
    cache = resolve_cache_dir(args.cache_dir)
    if not args.inputs:
        if args.out or args.vocab_size != WORLD_VOCAB_SIZE:
            print("--out/--vocab_size apply to --inputs; the world tokenizer is fixed", file=sys.stderr)
            return 2
        tok = load_tokenizer("world", cache)
        out = cache / WORLD_TOKENIZER_DIR
        sample = list(itertools.islice(world_training_texts(cache), 200))
    else:
        out = Path(args.out or cache / "tokenizer-custom")
        if out.exists():
            print(f"{out} exists; remove it or choose another --out", file=sys.stderr)
            return 2
        sample = list(_texts(args.inputs, args.text_field, args.cache_dir, int(args.max_mb * 2**20)))
        build_tokenizer(sample, out, vocab_size=args.vocab_size)
        tok = load_tokenizer(str(out))
    print(f"tokenizer: {out}")
    print(f"vocab size: {len(tok)}  eos: {tok.eos_token!r} ({tok.eos_token_id})  pad: {tok.pad_token!r}")
    probe = sample[:200]
    if probe:
        chars = sum(len(t) for t in probe)
        tokens = sum(len(ids) for ids in tok(probe, add_special_tokens=False)["input_ids"])
        print(f"compression: {chars / max(tokens, 1):.2f} characters/token on {len(probe)} training documents")
    example = "User: what should the assistant do?\nAssistant: report the bug."
    print("example:", " | ".join(tok.convert_ids_to_tokens(tok(example)["input_ids"])[:24]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
