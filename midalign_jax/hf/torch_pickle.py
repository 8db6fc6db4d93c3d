"""Reads PyTorch `torch.save` checkpoints (`pytorch_model.bin`) into numpy, without importing torch.

A torch checkpoint is a zip archive: `<archive>/data.pkl` pickles the state dict, and each tensor storage is a
raw little-endian byte blob at `<archive>/data/<key>`. The pickle refers to storages through persistent ids and
rebuilds tensors with a few `torch._utils` functions. Unpickling arbitrary globals would execute arbitrary code,
so the unpickler here maps exactly those functions and the storage/dtype names to small numpy-side stand-ins and
refuses every other global with an error that names it.

Tensors come back lazily (`LazyTensor`): shape and dtype are known from the pickle alone, and the bytes of a
storage are read from the archive only when `.numpy()` is called, so a loader can go tensor by tensor.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import os
import pickle
import zipfile
from typing import Any, Iterator

import ml_dtypes
import numpy as np

# Legacy typed-storage class names (the dtype lives in the class) and the dtype objects used by the v3 form.
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "BFloat16Storage": ml_dtypes.bfloat16, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "UntypedStorage": np.uint8,
}
_TORCH_DTYPES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16,
    "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64, "bool": np.bool_,
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn, "float8_e5m2": ml_dtypes.float8_e5m2,
}


class TorchCheckpointError(ValueError):
    """A file that is not a readable torch zip checkpoint, or one that asks for something we refuse to run."""


@dataclasses.dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype


@dataclasses.dataclass(frozen=True)
class _Storage:
    key: str
    dtype: np.dtype


@dataclasses.dataclass
class LazyTensor:
    """A tensor view on one storage of an open archive; `.numpy()` reads and copies it out."""
    archive: zipfile.ZipFile
    member: str                 # path of the storage blob inside the zip
    dtype: np.dtype
    offset: int                 # in elements of `dtype`
    shape: tuple[int, ...]
    stride: tuple[int, ...]     # in elements
    byteorder: str = "little"

    def numpy(self) -> np.ndarray:
        dtype = np.dtype(self.dtype)
        if self.byteorder == "big":
            dtype = dtype.newbyteorder(">")
        numel = math.prod(self.shape)
        if numel == 0:
            return np.zeros(self.shape, dtype=np.dtype(self.dtype))
        try:
            raw = self.archive.read(self.member)
        except KeyError:
            raise TorchCheckpointError(
                f"{self.archive.filename}: storage {self.member!r} is referenced by the pickle but missing") from None
        storage = np.frombuffer(raw, dtype=dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride))
        if self.offset < 0 or last >= storage.size or any(s < 0 for s in self.stride):
            raise TorchCheckpointError(
                f"{self.archive.filename}: tensor view (offset {self.offset}, shape {self.shape}, stride "
                f"{self.stride}) does not fit its storage {self.member!r} of {storage.size} elements")
        view = np.lib.stride_tricks.as_strided(
            storage[self.offset:], shape=self.shape, strides=[s * dtype.itemsize for s in self.stride])
        return np.array(view, dtype=np.dtype(self.dtype), copy=True)  # native byte order, owns its memory


def _rebuild_tensor(storage: _Storage, storage_offset, size, stride, *unused) -> dict:
    return {"storage": storage, "offset": int(storage_offset), "shape": tuple(size), "stride": tuple(stride),
            "dtype": storage.dtype}


def _rebuild_tensor_v3(storage: _Storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       *unused) -> dict:
    out = _rebuild_tensor(storage, storage_offset, size, stride)
    if not isinstance(dtype, _StorageType):
        raise TorchCheckpointError(f"unexpected dtype object {dtype!r} in _rebuild_tensor_v3")
    out["dtype"] = dtype.dtype
    return out


def _rebuild_parameter(data, requires_grad, backward_hooks, *unused):
    return data


class _RestrictedUnpickler(pickle.Unpickler):
    """Allows only what a state dict needs; everything else is refused by name."""

    def __init__(self, file, source: str):
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils":
            allowed = {"_rebuild_tensor_v2": _rebuild_tensor, "_rebuild_tensor": _rebuild_tensor,
                       "_rebuild_tensor_v3": _rebuild_tensor_v3, "_rebuild_parameter": _rebuild_parameter}
            if name in allowed:
                return allowed[name]
        if module in ("torch", "torch.storage") and name in _STORAGE_DTYPES:
            return _StorageType(np.dtype(_STORAGE_DTYPES[name]))
        if module == "torch" and name in _TORCH_DTYPES:
            return _StorageType(np.dtype(_TORCH_DTYPES[name]))
        raise TorchCheckpointError(
            f"{self._source}: refusing to unpickle global '{module}.{name}': a weights file should hold only "
            "tensors and OrderedDicts, and loading other objects could run arbitrary code")

    def persistent_load(self, pid: Any) -> _Storage:
        # ('storage', storage_type, key, location, numel): the same tuple for typed and untyped storages.
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage"):
            raise TorchCheckpointError(f"{self._source}: unexpected persistent id {pid!r}; expected a storage")
        storage_type = pid[1]
        if not isinstance(storage_type, _StorageType):
            raise TorchCheckpointError(f"{self._source}: unexpected storage type {storage_type!r}")
        return _Storage(key=str(pid[2]), dtype=storage_type.dtype)


def _archive_prefix(zf: zipfile.ZipFile, source: str) -> str:
    pickles = [n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pickles) != 1:
        raise TorchCheckpointError(f"{source}: expected exactly one 'data.pkl' in the torch zip archive, found "
                                   f"{len(pickles)}")
    return pickles[0][: -len("data.pkl")]


def _to_lazy(obj: Any, zf: zipfile.ZipFile, prefix: str, byteorder: str) -> Any:
    if isinstance(obj, dict) and "storage" in obj and isinstance(obj.get("storage"), _Storage):
        storage: _Storage = obj["storage"]
        return LazyTensor(archive=zf, member=f"{prefix}data/{storage.key}", dtype=obj["dtype"],
                          offset=obj["offset"], shape=obj["shape"], stride=obj["stride"], byteorder=byteorder)
    if isinstance(obj, dict):
        return {k: _to_lazy(v, zf, prefix, byteorder) for k, v in obj.items()}
    return obj


@contextlib.contextmanager
def open_checkpoint(path: str | os.PathLike) -> Iterator[dict[str, LazyTensor]]:
    """Opens a torch zip checkpoint; yields {name: LazyTensor} (nested dicts are kept as dicts).

    The archive stays open for the duration of the `with` block so tensors can be read one at a time.
    """
    source = os.fspath(path)
    if not os.path.exists(source):
        raise FileNotFoundError(f"torch checkpoint not found: {source}")
    if not zipfile.is_zipfile(source):
        raise TorchCheckpointError(
            f"{source}: not a zip archive; only the torch>=1.6 zip serialization format is supported (re-save "
            "the file with a recent torch, or convert it to safetensors)")
    with zipfile.ZipFile(source) as zf:
        prefix = _archive_prefix(zf, source)
        byteorder = "little"
        if f"{prefix}byteorder" in zf.namelist():
            byteorder = zf.read(f"{prefix}byteorder").decode().strip()
            if byteorder not in ("little", "big"):
                raise TorchCheckpointError(f"{source}: unknown byteorder {byteorder!r}")
        with zf.open(f"{prefix}data.pkl") as f:
            try:
                obj = _RestrictedUnpickler(f, source).load()
            except TorchCheckpointError:
                raise
            except Exception as e:  # noqa: BLE001 - any unpickling failure is a malformed file
                raise TorchCheckpointError(f"{source}: could not read data.pkl: {type(e).__name__}: {e}") from e
        if not isinstance(obj, dict):
            raise TorchCheckpointError(f"{source}: expected a state dict at the top level, found {type(obj).__name__}")
        yield _to_lazy(obj, zf, prefix, byteorder)


def load_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Eagerly reads every tensor of a flat state dict into numpy arrays; a non-tensor entry is an error."""
    out: dict[str, np.ndarray] = {}
    with open_checkpoint(path) as tensors:
        for name, value in tensors.items():
            if not isinstance(value, LazyTensor):
                raise TorchCheckpointError(f"{os.fspath(path)}: entry {name!r} is {type(value).__name__}, not a "
                                           "tensor")
            out[name] = value.numpy()
    return out
