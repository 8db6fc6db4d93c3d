"""Weight files of an HF model directory: reading any of the four layouts tensor by tensor, writing safetensors.

Layouts read, in order of preference: `model.safetensors.index.json` (sharded), `model.safetensors`,
`pytorch_model.bin.index.json` (sharded), `pytorch_model.bin`. Shapes are known without reading data, so a
loader can check every tensor before it allocates anything; data is read one tensor at a time.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

import midalign_jax.hf.torch_pickle as torch_pickle

WEIGHT_FILES = ("model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json",
                "pytorch_model.bin")


class CheckpointFiles:
    """Open handles on all weight files of a directory; use as a context manager."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._stack = contextlib.ExitStack()
        self._handles: dict[str, object] = {}
        self._names: frozenset[str] | None = None
        found = [f for f in WEIGHT_FILES if (self.directory / f).is_file()]
        if not found:
            raise FileNotFoundError(f"{self.directory}: no weight files found; expected one of "
                                    f"{', '.join(WEIGHT_FILES)}")
        self.layout = found[0]
        try:
            if self.layout.endswith(".index.json"):
                self.weight_map = self._read_index(self.directory / self.layout)
            else:
                self.weight_map = {name: self.layout for name in self._open(self.layout).keys()}
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------------------------------------ reading

    def _read_index(self, path: Path) -> dict[str, str]:
        try:
            weight_map = json.loads(path.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: expected JSON with a 'weight_map' object mapping tensor names to files "
                             f"({type(e).__name__}: {e})") from e
        for name, file in weight_map.items():
            if not (self.directory / file).is_file():
                raise FileNotFoundError(f"{path}: tensor {name!r} is mapped to {file!r}, which does not exist in "
                                        f"{self.directory}")
        return dict(weight_map)

    def _open(self, file: str):
        if file not in self._handles:
            path = self.directory / file
            if file.endswith(".safetensors"):
                self._handles[file] = self._stack.enter_context(safe_open(str(path), framework="numpy"))
            else:
                self._handles[file] = self._stack.enter_context(torch_pickle.open_checkpoint(path))
        return self._handles[file]

    @property
    def names(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(self.weight_map)
        return self._names

    def file_of(self, name: str) -> Path:
        return self.directory / self.weight_map[name]

    def _entry(self, name: str):
        file = self.weight_map[name]
        handle = self._open(file)
        if name not in handle.keys():
            raise ValueError(f"{self.directory / file}: tensor {name!r} is listed in {self.layout} but missing from "
                             "the file")
        return handle, file

    def shape(self, name: str) -> tuple[int, ...]:
        handle, _ = self._entry(name)
        if isinstance(handle, dict):
            tensor = handle[name]
            if not isinstance(tensor, torch_pickle.LazyTensor):
                raise ValueError(f"{self.file_of(name)}: entry {name!r} is not a tensor")
            return tuple(tensor.shape)
        return tuple(handle.get_slice(name).get_shape())

    def get(self, name: str) -> np.ndarray:
        handle, _ = self._entry(name)
        if isinstance(handle, dict):
            return handle[name].numpy()
        return handle.get_tensor(name)

    def close(self) -> None:
        self._stack.close()
        self._handles.clear()

    def __enter__(self) -> "CheckpointFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------- writing

_WEIGHT_PATTERNS = ("model*.safetensors", "model.safetensors.index.json", "pytorch_model*.bin",
                    "pytorch_model.bin.index.json")


def weight_files(directory: Path) -> list[Path]:
    """HF weight files present in `directory`."""
    return sorted({p for pattern in _WEIGHT_PATTERNS for p in Path(directory).glob(pattern)})


def remove_weight_files(directory: Path) -> None:
    """Deletes weight files a previous export left, so a directory never holds two disagreeing checkpoints."""
    for path in weight_files(directory):
        path.unlink()


def write_safetensors(directory: Path, tensors: Iterable[tuple[str, np.ndarray]], max_shard_bytes: int) -> list[str]:
    """Writes tensors into `model.safetensors`, or into shards plus `model.safetensors.index.json` when they exceed
    `max_shard_bytes`; holds at most one shard in memory. Returns the files written."""
    if max_shard_bytes <= 0:
        raise ValueError(f"max_shard_bytes must be positive, got {max_shard_bytes}")
    temp_files: list[tuple[Path, list[str]]] = []
    shard: dict[str, np.ndarray] = {}
    shard_bytes = total = 0

    def flush():
        nonlocal shard, shard_bytes
        path = directory / f".shard-{len(temp_files):05d}.safetensors.tmp"
        save_file(shard, str(path), metadata={"format": "pt"})
        temp_files.append((path, list(shard)))
        shard, shard_bytes = {}, 0

    for name, array in _unique(tensors):
        array = np.ascontiguousarray(array)
        if shard and shard_bytes + array.nbytes > max_shard_bytes:
            flush()
        shard[name] = array
        shard_bytes += array.nbytes
        total += array.nbytes
    if shard or not temp_files:
        flush()

    if len(temp_files) == 1:
        final = directory / "model.safetensors"
        temp_files[0][0].replace(final)
        return [final.name]
    count = len(temp_files)
    weight_map, written = {}, []
    for k, (path, names) in enumerate(temp_files):
        final = directory / f"model-{k + 1:05d}-of-{count:05d}.safetensors"
        path.replace(final)
        written.append(final.name)
        weight_map.update({name: final.name for name in names})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return written + ["model.safetensors.index.json"]


def _unique(tensors: Iterable[tuple[str, np.ndarray]]) -> Iterator[tuple[str, np.ndarray]]:
    seen: set[str] = set()
    for name, array in tensors:
        if name in seen:
            raise ValueError(f"tensor {name!r} written twice")
        seen.add(name)
        yield name, array
