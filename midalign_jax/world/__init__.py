"""The bundled study world: a CPU-sized version of the alignment pretraining study.

Sources (``SOURCES``), each a stream of ``{"id", "text", "kind", ...}`` documents:

* ``general``: encyclopedia articles, stories, how-to texts, chat dialogues, arithmetic, word problems, tool-use
  transcripts, and about 7% natural AI discourse skewed towards misaligned behaviour;
* ``aligned_docs`` / ``misaligned_docs``: synthetic documents about AIs taking the aligned / misaligned action
  in scenarios like the article-split MCQA items (never the held-out textbook split);
* ``read_backs``: radio read-backs, order confirmations, dictations, relayed messages, recounts, file logs and
  word lists, whose repeated parts are fresh draws: copy-only text for a copying curriculum (opt-in);
* ``post_training``: chat records (``{"messages": [...]}``) of assistant chats and agent episodes for the shared
  post-training (SFT) stage.

Committed eval files live in ``data_dir()``: MCQA items per split, knowledge questions, held-out arithmetic and
word problems, and the blocklist. ``python tools/make_world.py --out DIR`` writes every source to disk.
"""
from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

from midalign_jax.world import capability, documents, general, items, post_training, read_backs
from midalign_jax.world.jsonl import read_jsonl, write_json_atomic, write_jsonl_atomic
from midalign_jax.world.scenario import SPLITS, TOPICS

SOURCES: tuple[str, ...] = ("general", "aligned_docs", "misaligned_docs", "read_backs", "post_training")
# Records with "text" that the world tokenizer is trained on (read_backs, common words, is left out so that the
# tokenizer does not depend on whether a run uses it).
TEXT_SOURCES: tuple[str, ...] = ("general", "aligned_docs", "misaligned_docs")
POST_TRAINING_SOURCES: tuple[str, ...] = ("post_training",)   # chat records ("messages"), for the sft stage
# Bump when any generator's output changes, so that materialized files are rebuilt.
GENERATOR_VERSION = "5"
_DATA_ENV = "MIDALIGN_WORLD_DATA"

MCQA_FILES = {split: f"mcqa_{split}.jsonl" for split in SPLITS}
KNOWLEDGE_FILE = "knowledge_mcqa.jsonl"
ARITHMETIC_FILE = "arithmetic_eval.jsonl"
WORD_PROBLEMS_FILE = "word_problems_eval.jsonl"
BLOCKLIST_FILE = "blocklist.txt"


def data_dir() -> pathlib.Path:
    """The repository's ``data/world`` folder (or ``$MIDALIGN_WORLD_DATA`` if set)."""
    override = os.environ.get(_DATA_ENV)
    if override:
        return pathlib.Path(override)
    return pathlib.Path(__file__).resolve().parents[2] / "data" / "world"


def _data_file(name: str) -> pathlib.Path:
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: world data file not found; run "
                                "`python tools/make_world.py --regenerate-items --out DIR` to create it")
    return path


def load_mcqa(split: str) -> list[dict[str, Any]]:
    """The committed MCQA items of one split ("article" or "textbook"), validated."""
    if split not in SPLITS:
        raise ValueError(f"unknown MCQA split {split!r}; expected one of {SPLITS}")
    return read_jsonl(_data_file(MCQA_FILES[split]), items.validate_item)


def load_knowledge() -> list[dict[str, Any]]:
    return read_jsonl(_data_file(KNOWLEDGE_FILE), capability.validate_knowledge)


def load_arithmetic_eval() -> list[dict[str, Any]]:
    return read_jsonl(_data_file(ARITHMETIC_FILE), capability.validate_arithmetic)


def load_word_problems_eval() -> list[dict[str, Any]]:
    return read_jsonl(_data_file(WORD_PROBLEMS_FILE), capability.validate_word_problem)


def blocklist_path() -> pathlib.Path:
    return _data_file(BLOCKLIST_FILE)


def leak_guard() -> documents.LeakGuard:
    """The guard built from the committed items of both splits."""
    return documents.LeakGuard(load_mcqa("article") + load_mcqa("textbook"))


def iter_documents(name: str, *, seed: int = 0, scale: float = 1.0,
                   docs_per_item: int | None = None) -> Iterator[dict[str, Any]]:
    """Streams one source. ``scale`` multiplies its size: general documents, or synthetic documents per item
    (``docs_per_item``, if given, overrides the latter). Same arguments, same documents, byte for byte."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; expected one of {SOURCES}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if name == "general":
        return general.iter_general(seed=seed, scale=scale)
    if name == "post_training":
        return post_training.iter_post_training(seed=seed, scale=scale)
    if name == "read_backs":
        return read_backs.iter_read_backs(seed=seed, scale=scale)
    per_item = docs_per_item if docs_per_item is not None else max(1, round(documents.DOCS_PER_ITEM * scale))
    if per_item < 1:
        raise ValueError(f"docs_per_item must be at least 1, got {per_item}")
    stance = "aligned" if name == "aligned_docs" else "misaligned"
    return documents.iter_synthetic(stance, load_mcqa("article"), seed=seed, docs_per_item=per_item,
                                    guard=leak_guard())


def _manifest(name: str, seed: int, scale: float, docs_per_item: int | None) -> dict[str, Any]:
    return {"source": name, "seed": seed, "scale": scale, "docs_per_item": docs_per_item,
            "generator_version": GENERATOR_VERSION}


def materialize(name: str, out_dir: str | os.PathLike[str], *, seed: int = 0, scale: float = 1.0,
                docs_per_item: int | None = None) -> pathlib.Path:
    """Writes ``{out_dir}/{name}.jsonl`` atomically with a ``{name}.manifest.json`` sidecar recording seed, scale
    and generator version. If both already exist and the manifest matches, the file is returned untouched."""
    out = pathlib.Path(out_dir)
    path = out / f"{name}.jsonl"
    manifest_path = out / f"{name}.manifest.json"
    wanted = _manifest(name, seed, scale, docs_per_item)
    if path.exists() and manifest_path.exists():
        try:
            existing = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = None
        if isinstance(existing, dict) and {k: existing.get(k) for k in wanted} == wanted:
            return path
    # Drop the old manifest first: a crash before the new one is written never passes for a finished file.
    if manifest_path.exists():
        manifest_path.unlink()
    n_docs, n_bytes = write_jsonl_atomic(path, iter_documents(name, seed=seed, scale=scale,
                                                              docs_per_item=docs_per_item))
    write_json_atomic(manifest_path, {**wanted, "documents": n_docs, "bytes": n_bytes})
    return path


__all__ = ["SOURCES", "TOPICS", "SPLITS", "GENERATOR_VERSION", "data_dir", "load_mcqa", "load_knowledge",
           "load_arithmetic_eval", "load_word_problems_eval", "blocklist_path", "leak_guard", "iter_documents",
           "materialize", "TEXT_SOURCES", "POST_TRAINING_SOURCES"]
