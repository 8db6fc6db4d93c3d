"""A GGUF file (v2 / v3): header, metadata, tensor infos, and tensor data read from a read-only memmap.

Layout (little-endian): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count; the metadata
key/value pairs; one info per tensor (name, dims with the fastest axis first, ggml type, data offset); padding to
`general.alignment` (32 by default); the tensor data, each tensor at its offset from the data start. Every read is
bounds-checked, so a truncated or corrupt file fails with the file, what was being read and where, instead of an
IndexError or a huge allocation.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

import midalign_jax.hf.gguf_quants as quants

MAGIC = b"GGUF"
VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
_MAX_DIMS = 4   # GGML_MAX_DIMS

# GGUF metadata value type -> numpy dtype of its scalars; 8 is a string and 9 an array.
_SCALARS = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8",
            12: "<f8"}
_BOOL, _STRING, _ARRAY = 7, 8, 9


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]   # numpy order: GGUF's dims reversed, so the last axis is the fastest
    ggml_type: int
    offset: int              # absolute byte offset in the file
    nbytes: int

    @property
    def type_name(self) -> str:
        return quants.type_name(self.ggml_type)


class _Cursor:
    """Sequential little-endian reads from a byte buffer, each one checked against the end of the file."""

    def __init__(self, buf: np.ndarray, path: Path):
        self.buf, self.path, self.pos = buf, path, 0

    def take(self, n: int, what: str) -> np.ndarray:
        if n < 0 or self.pos + n > self.buf.size:
            raise ValueError(f"{self.path}: truncated GGUF file: reading {what} at byte {self.pos} needs {n} bytes, "
                             f"but the file has {self.buf.size}")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalars(self, dtype: str, count: int, what: str) -> np.ndarray:
        dt = np.dtype(dtype)
        return self.take(count * dt.itemsize, what).view(dt)

    def u32(self, what: str) -> int:
        return int(self.scalars("<u4", 1, what)[0])

    def u64(self, what: str) -> int:
        return int(self.scalars("<u8", 1, what)[0])

    def string(self, what: str) -> str:
        n = self.u64(f"the length of {what}")
        raw = self.take(n, what).tobytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{self.path}: {what} at byte {self.pos - n} is not valid UTF-8 ({e})") from e

    def value(self, vtype: int, what: str) -> Any:
        if vtype == _STRING:
            return self.string(what)
        if vtype == _ARRAY:
            item_type = self.u32(f"the item type of {what}")
            count = self.u64(f"the length of {what}")
            if item_type == _STRING:
                return [self.string(f"item {k} of {what}") for k in range(count)]
            if item_type == _ARRAY:
                return [self.value(_ARRAY, f"item {k} of {what}") for k in range(count)]
            if item_type not in _SCALARS:
                raise ValueError(f"{self.path}: {what} has unknown item type {item_type}")
            out = self.scalars(_SCALARS[item_type], count, what)
            return out.astype(bool) if item_type == _BOOL else np.array(out)
        if vtype not in _SCALARS:
            raise ValueError(f"{self.path}: {what} at byte {self.pos} has unknown value type {vtype}")
        item = self.scalars(_SCALARS[vtype], 1, what)[0]
        return bool(item) if vtype == _BOOL else item.item()


class GGUFFile:
    """An open GGUF file: `metadata` (key -> value), `tensors` (name -> TensorInfo), `array(name)` (float32).

    Nothing but the header is read at open; tensor data stays in the OS page cache behind the memmap until a
    tensor is dequantized. Use as a context manager, or call close()."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"GGUF file not found: {self.path}")
        size = self.path.stat().st_size
        if size < len(MAGIC):
            raise ValueError(f"{self.path}: truncated GGUF file: reading the magic needs {len(MAGIC)} bytes, but the "
                             f"file has {size}")
        self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        cur = _Cursor(self._map, self.path)
        magic = cur.take(4, "the magic").tobytes()
        if magic != MAGIC:
            raise ValueError(f"{self.path}: not a GGUF file (magic {magic!r}, expected {MAGIC!r})")
        self.version = cur.u32("the version")
        if self.version not in VERSIONS and self.version & 0xFFFF == 0:
            raise ValueError(f"{self.path}: big-endian GGUF files are not supported")
        if self.version not in VERSIONS:
            raise ValueError(f"{self.path}: unsupported GGUF version {self.version} (supported: "
                             f"{', '.join(map(str, VERSIONS))})")
        n_tensors = cur.u64("the tensor count")
        n_kv = cur.u64("the metadata count")
        self.metadata: dict[str, Any] = {}
        for k in range(n_kv):
            key = cur.string(f"the key of metadata entry {k}")
            self.metadata[key] = cur.value(cur.u32(f"the value type of metadata {key!r}"), f"metadata {key!r}")
        self.alignment = self._alignment()
        infos = [self._tensor_info(cur, k) for k in range(n_tensors)]
        self.data_offset = -(-cur.pos // self.alignment) * self.alignment
        self.tensors: dict[str, TensorInfo] = {}
        for name, shape, ggml_type, rel in infos:
            self.tensors[name] = self._place(name, shape, ggml_type, rel, size)

    def _alignment(self) -> int:
        align = self.metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(align, int) or align <= 0 or align & (align - 1):
            raise ValueError(f"{self.path}: general.alignment={align!r} is not a positive power of two")
        return align

    def _tensor_info(self, cur: _Cursor, k: int):
        name = cur.string(f"the name of tensor {k}")
        n_dims = cur.u32(f"the dimension count of tensor {name!r}")
        if not 1 <= n_dims <= _MAX_DIMS:
            raise ValueError(f"{self.path}: tensor {name!r} has {n_dims} dimensions (expected 1 to {_MAX_DIMS})")
        dims = cur.scalars("<u8", n_dims, f"the dimensions of tensor {name!r}")
        ggml_type = cur.u32(f"the type of tensor {name!r}")
        rel = cur.u64(f"the data offset of tensor {name!r}")
        return name, tuple(int(d) for d in dims[::-1]), ggml_type, rel

    def _place(self, name: str, shape, ggml_type: int, rel: int, size: int) -> TensorInfo:
        if name in self.tensors:
            raise ValueError(f"{self.path}: tensor {name!r} is listed twice")
        if rel % self.alignment:
            raise ValueError(f"{self.path}: tensor {name!r} data offset {rel} is not a multiple of the alignment "
                             f"{self.alignment}")
        offset = self.data_offset + rel
        # Unknown types have no size; they fail by name when read, not when the file is opened.
        try:
            n = quants.nbytes(ggml_type, shape) if ggml_type in quants.GGML_TYPES else 0
        except ValueError as e:
            raise ValueError(f"{self.path}: tensor {name!r}: {e}") from e
        if offset + n > size:
            raise ValueError(f"{self.path}: truncated GGUF file: the data of tensor {name!r} "
                             f"({quants.type_name(ggml_type)} {shape}) spans bytes {offset}..{offset + n}, but the "
                             f"file has {size}")
        return TensorInfo(name, shape, ggml_type, offset, n)

    # ------------------------------------------------------------------------------------------------- tensors

    def raw(self, name: str) -> np.ndarray:
        """The tensor's bytes: a read-only view of the memmap, no copy."""
        info = self.info(name)
        return self._map[info.offset:info.offset + info.nbytes]

    def info(self, name: str) -> TensorInfo:
        if name not in self.tensors:
            raise KeyError(f"{self.path}: no tensor {name!r}")
        return self.tensors[name]

    def array(self, name: str) -> np.ndarray:
        """The tensor dequantized to float32, in numpy order (GGUF's dims reversed)."""
        info = self.info(name)
        if info.type_name not in quants.SUPPORTED:
            raise ValueError(f"{self.path}: tensor {name!r} has ggml type {info.type_name}, which is not supported "
                             f"(supported: {', '.join(quants.SUPPORTED)})")
        return quants.dequantize(self.raw(name), info.ggml_type, info.shape)

    def close(self) -> None:
        # Dropping the last reference unmaps the file.
        self._map = None

    def __enter__(self) -> "GGUFFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
