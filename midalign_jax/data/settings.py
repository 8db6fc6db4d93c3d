"""`config.data` read into a typed, validated `DataSettings`.

The pipeline accepts the ConfigDict from configs/common.py or a plain dict with any subset of its fields (the
rest take the defaults below), so tests and notebooks can build a pipeline from a few lines. Unknown fields are
an error, as in the configs.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping

from midalign_jax.data.errors import DataError, check_policy

SOURCE_FORMATS = ("auto", "jsonl", "parquet", "arrayrecord")
SOURCE_KINDS = ("text", "chat")
CHAT_TEMPLATE_MODES = ("auto", "plain", "tokenizer")


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """Where one named source's records come from.

    path: a file, a glob, several of them comma-separated, or `world:NAME` for a bundled world corpus.
    format: jsonl | parquet | arrayrecord | auto (by file extension).
    text_field: the JSON field / Parquet column holding the text (or, for kind=chat, the message list);
        for ArrayRecord, "" means each record is raw UTF-8 text rather than a JSON object.
    kind: text (a document) | chat (a list of {"role", "content"} messages, rendered with the chat template and
        trained on assistant tokens only).
    """

    name: str
    path: str
    format: str = "auto"
    text_field: str = "text"
    kind: str = "text"

    def __post_init__(self):
        if self.format not in SOURCE_FORMATS:
            raise DataError(f"data.sources.{self.name}.format={self.format!r}: expected one of {SOURCE_FORMATS}")
        if self.kind not in SOURCE_KINDS:
            raise DataError(f"data.sources.{self.name}.kind={self.kind!r}: expected one of {SOURCE_KINDS}")


@dataclasses.dataclass(frozen=True)
class DataSettings:
    tokenizer: str = "world"
    cache_dir: Path = Path(".")
    world_seed: int = 0
    world_scale: float = 1.0
    sources: Mapping[str, SourceSpec] = dataclasses.field(default_factory=dict)
    filter_sources: tuple[str, ...] = ()
    blocklist: str = ""
    conditional_tags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    on_bad_record: str = "error"
    max_doc_chars: int = 1_000_000
    heldout_fraction: float = 0.05
    chat_template: str = "auto"
    prefetch: int = 2
    tokenize_batch: int = 16
    seed_offset: int = 0

    def source(self, name: str) -> SourceSpec:
        if name not in self.sources:
            raise DataError(f"source {name!r} is not defined in config.data.sources; defined: {sorted(self.sources)}")
        return self.sources[name]


def default_cache_dir() -> Path:
    return Path(os.environ.get("MIDALIGN_CACHE") or Path.home() / ".cache" / "midalign_jax")


def resolve_cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    """`""`/None means $MIDALIGN_CACHE, else ~/.cache/midalign_jax."""
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def _as_dict(cfg: Any) -> dict:
    if cfg is None:
        return {}
    if hasattr(cfg, "to_dict"):
        return cfg.to_dict()
    return dict(cfg)


def parse_name_list(text: str, field: str) -> tuple[str, ...]:
    """"a, b" -> ("a", "b"); also accepts a list."""
    if isinstance(text, (list, tuple)):
        return tuple(str(t).strip() for t in text if str(t).strip())
    if not isinstance(text, str):
        raise DataError(f"{field}={text!r}: expected a comma-separated string of source names")
    return tuple(t.strip() for t in text.split(",") if t.strip())


def parse_tags(text: str | Mapping[str, str]) -> dict[str, str]:
    """"aligned_docs=<|good|>,misaligned_docs=<|bad|>" -> {source: token}."""
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items() if v}
    tags: dict[str, str] = {}
    for item in (t.strip() for t in str(text).split(",")):
        if not item:
            continue
        name, sep, token = item.partition("=")
        if not sep or not name.strip() or not token.strip():
            raise DataError(f"data.conditional_tags: {item!r} is not SOURCE=TOKEN "
                            "(expected e.g. 'aligned_docs=<|good|>,misaligned_docs=<|bad|>')")
        tags[name.strip()] = token.strip()
    return tags


def _source_spec(name: str, value: Any) -> SourceSpec:
    if isinstance(value, str):
        return SourceSpec(name=name, path=value)
    fields = _as_dict(value)
    allowed = {"path", "format", "text_field", "kind"}
    unknown = set(fields) - allowed
    if unknown:
        raise DataError(f"data.sources.{name}: unknown fields {sorted(unknown)}; expected {sorted(allowed)}")
    if "path" not in fields:
        raise DataError(f"data.sources.{name}: missing 'path'")
    return SourceSpec(name=name, **fields)


def data_settings(data_cfg: Any) -> DataSettings:
    """Validates `config.data` (a ConfigDict or a dict) and fills defaults."""
    if isinstance(data_cfg, DataSettings):
        return data_cfg
    raw = _as_dict(data_cfg)
    known = {f.name for f in dataclasses.fields(DataSettings)}
    unknown = set(raw) - known
    if unknown:
        raise DataError(f"config.data: unknown fields {sorted(unknown)}; known: {sorted(known)}")
    kw: dict[str, Any] = dict(raw)
    kw["cache_dir"] = resolve_cache_dir(raw.get("cache_dir"))
    kw["sources"] = {name: _source_spec(name, v) for name, v in _as_dict(raw.get("sources")).items()}
    kw["filter_sources"] = parse_name_list(raw.get("filter_sources", ""), "data.filter_sources")
    kw["conditional_tags"] = parse_tags(raw.get("conditional_tags", ""))
    s = DataSettings(**kw)
    check_policy(s.on_bad_record)
    for field, names in (("data.filter_sources", s.filter_sources), ("data.conditional_tags", s.conditional_tags)):
        missing = [n for n in names if n not in s.sources]
        if missing:
            raise DataError(f"{field} names {missing}, which are not in config.data.sources ({sorted(s.sources)})")
    if not 0.0 <= s.heldout_fraction < 1.0:
        raise DataError(f"data.heldout_fraction={s.heldout_fraction}: expected a value in [0, 1)")
    if s.max_doc_chars <= 0:
        raise DataError(f"data.max_doc_chars={s.max_doc_chars}: expected a positive number of characters")
    if s.chat_template not in CHAT_TEMPLATE_MODES:
        raise DataError(f"data.chat_template={s.chat_template!r}: expected one of {CHAT_TEMPLATE_MODES}")
    if s.prefetch < 0 or s.tokenize_batch < 1:
        raise DataError(f"data.prefetch={s.prefetch} must be >= 0 and data.tokenize_batch={s.tokenize_batch} >= 1")
    return s
