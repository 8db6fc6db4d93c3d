"""Materializes the bundled study world and (optionally) rewrites the committed eval item files.

    python tools/make_world.py --out /tmp/world                       # all sources at scale 1.0
    python tools/make_world.py --out /tmp/world --scale 0.1 --seed 3  # a smaller corpus, another seed
    python tools/make_world.py --out /tmp/world --regenerate-items    # also rewrite data/world/*.jsonl

Prints, per file, the number of documents, words and bytes. Item files are deterministic: regenerating them
without changing the generators leaves them byte-identical.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from midalign_jax import world
from midalign_jax.errors import run_main
from midalign_jax.world import capability, items
from midalign_jax.world.jsonl import write_jsonl_atomic
from midalign_jax.world.textgen import words


def regenerate_items(data: pathlib.Path) -> None:
    """Rewrites the committed item files from the generators (fixed seeds)."""
    files = {
        world.MCQA_FILES["article"]: items.build_items("article"),
        world.MCQA_FILES["textbook"]: items.build_items("textbook"),
        world.KNOWLEDGE_FILE: capability.knowledge_items(),
        world.ARITHMETIC_FILE: capability.arithmetic_items(),
        world.WORD_PROBLEMS_FILE: capability.word_problem_items(),
    }
    for name, records in files.items():
        n, size = write_jsonl_atomic(data / name, records)
        print(f"{data / name}: {n} items, {size:,} bytes")


def count(path: pathlib.Path) -> tuple[int, int, int]:
    docs = n_words = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            docs += 1
            n_words += len(words(json.loads(line)["text"]))
    return docs, n_words, path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv, prog="tools/make_world.py")


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=pathlib.Path, help="folder for {source}.jsonl files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every source's size")
    parser.add_argument("--docs-per-item", type=int, default=None,
                        help="synthetic documents per article item and stance (default 15 * scale)")
    parser.add_argument("--regenerate-items", action="store_true",
                        help=f"rewrite the committed item files in {world.data_dir()}")
    parser.add_argument("--sources", nargs="+", default=list(world.SOURCES), choices=world.SOURCES)
    args = parser.parse_args(argv)

    if args.regenerate_items:
        regenerate_items(world.data_dir())
    for name in args.sources:
        start = time.time()
        path = world.materialize(name, args.out, seed=args.seed, scale=args.scale,
                                 docs_per_item=args.docs_per_item)
        docs, n_words, size = count(path)
        print(f"{path}: {docs:,} docs, {n_words:,} words, {size / 1e6:.1f} MB ({time.time() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
