"""From a `SourceSpec` (path, glob or `world:NAME`) to an open `RecordSource`.

World corpora are written once by `midalign_jax.world.materialize` into
`cache_dir/world-s{seed}-x{scale}/{name}.jsonl` and read from there afterwards.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path

from midalign_jax.data.errors import DataError, log
from midalign_jax.data.settings import DataSettings, SourceSpec
from midalign_jax.data.sources import (
    ArrayRecordSource,
    JsonlSource,
    ParquetSource,
    RecordSource,
)

WORLD_PREFIX = "world:"
_EXTENSIONS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
               ".array_record": "arrayrecord", ".arrayrecord": "arrayrecord"}
_READERS = {"jsonl": JsonlSource, "parquet": ParquetSource, "arrayrecord": ArrayRecordSource}


def world_dir(cache_dir: Path, seed: int, scale: float) -> Path:
    return Path(cache_dir) / f"world-s{seed}-x{scale}"


def materialize_world(name: str, cache_dir: Path, *, seed: int = 0, scale: float = 1.0) -> Path:
    """The path of world corpus `name`, generated on first use (the world writes it atomically, with a manifest
    that says which seed, scale and generator version it holds, and regenerates it when those change)."""
    from midalign_jax import world

    if name not in world.SOURCES:
        raise DataError(f"unknown world corpus {WORLD_PREFIX}{name}; known: "
                        f"{[WORLD_PREFIX + s for s in world.SOURCES]}")
    out_dir = world_dir(cache_dir, seed, scale)
    out_dir.mkdir(parents=True, exist_ok=True)
    existed = (out_dir / f"{name}.jsonl").exists()
    path = Path(world.materialize(name, out_dir, seed=seed, scale=scale))
    if not existed:
        log.info("wrote world corpus %s to %s", name, path)
    return path


def expand_paths(path_spec: str, *, what: str) -> list[Path]:
    """Comma-separated files and globs, each glob sorted; every pattern must match something."""
    if not path_spec.strip():
        raise DataError(f"{what}: no path set")
    paths: list[Path] = []
    for pattern in (p.strip() for p in path_spec.split(",")):
        if not pattern:
            continue
        pattern = os.path.expanduser(pattern)
        if glob.has_magic(pattern):
            matches = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
            if not matches:
                raise DataError(f"{what}: the glob {pattern!r} matches no files")
            paths.extend(Path(m) for m in matches)
        else:
            if not os.path.isfile(pattern):
                raise DataError(f"{what}: {pattern} does not exist" if not os.path.exists(pattern)
                                else f"{what}: {pattern} is not a file (use a glob such as {pattern}/*.jsonl)")
            paths.append(Path(pattern))
    return paths


def detect_format(paths: list[Path], *, what: str) -> str:
    formats = set()
    for p in paths:
        ext = next((e for e in _EXTENSIONS if p.name.endswith(e)), None)
        if ext is None:
            raise DataError(f"{what}: cannot tell the format of {p} from its extension (known: "
                            f"{sorted(_EXTENSIONS)}); set format to jsonl, parquet or arrayrecord")
        formats.add(_EXTENSIONS[ext])
    if len(formats) > 1:
        raise DataError(f"{what}: files of several formats {sorted(formats)}; use one source per format")
    return formats.pop()


def open_source(spec: SourceSpec, settings: DataSettings) -> RecordSource:
    what = f"data.sources.{spec.name} ({spec.path!r})"
    if spec.path.startswith(WORLD_PREFIX):
        paths = [materialize_world(spec.path[len(WORLD_PREFIX):], settings.cache_dir,
                                   seed=settings.world_seed, scale=settings.world_scale)]
        fmt = "jsonl"
    else:
        paths = expand_paths(spec.path, what=what)
        fmt = detect_format(paths, what=what) if spec.format == "auto" else spec.format
    kw = dict(text_field=spec.text_field, kind=spec.kind, max_doc_chars=settings.max_doc_chars)
    if fmt == "jsonl":
        kw["index_dir"] = settings.cache_dir / "jsonl-index"
    return _READERS[fmt](paths, **kw)
