"""Random-access record sources: JSONL, Parquet and ArrayRecord files (one file or many).

Each source has grain's `RandomAccessDataSource` shape (`__len__`, `__getitem__`) over the records of its files
in order, and returns the validated value of its text field: a non-empty string for kind="text", a list of
{"role", "content"} messages for kind="chat". A record that cannot be used raises `BadRecordError` naming the
file and line (JSONL) or record (Parquet row, ArrayRecord record, both 0-based) and what was expected.

JSONL files are indexed once by the byte offset of every line (one numpy pass over the file, cached on disk
keyed by path, size and mtime), so a corpus of billions of tokens is never loaded into memory; every line is
a record, blank lines included, so that record i of a file is line i + 1.
"""
from __future__ import annotations

import bisect
import collections
import hashlib
import json
import mmap
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from midalign_jax.data.errors import BadRecordError, DataError

_CHUNK_BYTES = 16 << 20
CHAT_ROLES = ("system", "user", "assistant", "tool")  # tool: a tool result in an agent episode


def _check_text(value: Any, where: str, field: str, max_chars: int) -> str:
    if value is None:
        raise BadRecordError(where, "missing_field", f"field {field!r} is null; expected a string")
    if not isinstance(value, str):
        raise BadRecordError(where, "missing_field",
                             f"field {field!r} is {type(value).__name__}; expected a string")
    if not value.strip():
        raise BadRecordError(where, "empty", "empty document (no non-whitespace text)")
    if len(value) > max_chars:
        raise BadRecordError(where, "too_long", f"document has {len(value)} characters, more than "
                                                f"data.max_doc_chars={max_chars}")
    return value


def _check_chat(value: Any, where: str, field: str, max_chars: int) -> list[dict[str, str]]:
    def bad(detail: str):
        return BadRecordError(where, "bad_chat", f"field {field!r}: {detail}")

    if not isinstance(value, list) or not value:
        raise bad(f"expected a non-empty list of messages, got {type(value).__name__}")
    total = 0
    messages = []
    for j, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or m.get("role") not in CHAT_ROLES:
            raise bad(f"message {j} is {str(m)[:80]!r}; expected {{'role': one of {CHAT_ROLES}, 'content': str}}")
        total += len(m["content"])
        messages.append({"role": m["role"], "content": m["content"]})
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        raise bad("no non-empty assistant message, so nothing would be trained on")
    if total > max_chars:
        raise BadRecordError(where, "too_long", f"conversation has {total} characters, more than "
                                                f"data.max_doc_chars={max_chars}")
    return messages


class RecordSource:
    """Records of several files of one format, concatenated in the order given."""

    format = ""

    def __init__(self, paths: Sequence[Path], *, text_field: str = "text", kind: str = "text",
                 max_doc_chars: int = 1_000_000):
        if not paths:
            raise DataError("a source needs at least one file")
        self.paths = [Path(p) for p in paths]
        self.text_field = text_field
        self.kind = kind
        self.max_doc_chars = max_doc_chars
        counts = [self._open(i, p) for i, p in enumerate(self.paths)]
        for p, n in zip(self.paths, counts):
            if n == 0:
                raise DataError(f"{p}: empty file (no records)")
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    # -- per-format hooks
    def _open(self, file_idx: int, path: Path) -> int:
        """Prepares file `file_idx` for reading and returns its number of records."""
        raise NotImplementedError

    def _read(self, file_idx: int, local: int, where: str) -> Any:
        """The raw field value of one record (not yet checked for type, emptiness or length)."""
        raise NotImplementedError

    def _where(self, file_idx: int, local: int) -> str:
        return f"{self.paths[file_idx]} record {local} (0-based)"

    # -- RandomAccessDataSource
    def __len__(self) -> int:
        return int(self._starts[-1])

    def locate(self, index: int) -> tuple[int, int]:
        if not 0 <= index < len(self):
            raise IndexError(f"record {index} out of range for a source of {len(self)} records")
        f = bisect.bisect_right(self._starts, index) - 1
        return f, index - int(self._starts[f])

    def where(self, index: int) -> str:
        return self._where(*self.locate(index))

    def __getitem__(self, index: int) -> Any:
        f, local = self.locate(int(index))
        where = self._where(f, local)
        value = self._read(f, local, where)
        field = self.text_field or "record"
        if self.kind == "chat":
            return _check_chat(value, where, field, self.max_doc_chars)
        return _check_text(value, where, field, self.max_doc_chars)

    def __repr__(self) -> str:
        head = ", ".join(str(p) for p in self.paths[:3]) + (", ..." if len(self.paths) > 3 else "")
        return f"{type(self).__name__}([{head}], records={len(self)}, field={self.text_field!r})"


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRecordError(where, "not_utf8", f"not valid UTF-8 ({e.reason} at byte {e.start}: "
                                                f"{raw[max(0, e.start - 8):e.start + 8]!r})") from None


def _field_of_json(text: str, field: str, where: str) -> Any:
    if not text.strip():
        raise BadRecordError(where, "malformed_json", "blank line; expected a JSON object")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadRecordError(where, "malformed_json", f"malformed JSON ({e.msg} at column {e.colno}); "
                                                      "expected one JSON object per line") from None
    if not isinstance(obj, dict):
        raise BadRecordError(where, "malformed_json", f"a JSON {type(obj).__name__}; expected a JSON object")
    if field not in obj:
        raise BadRecordError(where, "missing_field", f"no field {field!r} (fields: {sorted(obj)[:10]})")
    return obj[field]


def line_offsets(path: Path) -> np.ndarray:
    """Byte offsets [n + 1] such that line i is bytes offsets[i] : offsets[i + 1] - 1 (without its newline).

    A final line without a trailing newline is a line; a trailing newline does not start an empty one.
    """
    size = path.stat().st_size
    newlines = []
    with open(path, "rb") as f:
        base = 0
        while chunk := f.read(_CHUNK_BYTES):
            newlines.append(np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10).astype(np.int64) + base)
            base += len(chunk)
    nl = np.concatenate(newlines) if newlines else np.zeros(0, np.int64)
    starts = np.concatenate([[0], nl + 1])
    if size and (not len(nl) or nl[-1] != size - 1):
        starts = np.concatenate([starts, [size + 1]])  # unterminated last line
    return starts if size else np.zeros(1, np.int64)


class JsonlSource(RecordSource):
    format = "jsonl"

    def __init__(self, paths: Sequence[Path], *, index_dir: Path | None = None, **kw):
        self._index_dir = index_dir
        self._offsets: list[np.ndarray] = []
        self._maps: dict[int, mmap.mmap] = {}
        super().__init__(paths, **kw)
        if not self.text_field:
            raise DataError(f"{self.paths[0]}: JSONL sources need a text_field")

    def _index_path(self, path: Path) -> Path | None:
        if self._index_dir is None:
            return None
        st = path.stat()
        key = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
        return self._index_dir / f"{path.name}.{key}.lines.npy"

    def _open(self, file_idx: int, path: Path) -> int:
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        cached = self._index_path(path)
        if cached is not None and cached.exists():
            offsets = np.load(cached)
        else:
            offsets = line_offsets(path)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".tmp{os.getpid()}.npy")
                np.save(tmp, offsets)
                os.replace(tmp, cached)
        self._offsets.append(offsets)
        return len(offsets) - 1

    def _where(self, file_idx: int, local: int) -> str:
        return f"{self.paths[file_idx]} line {local + 1}"

    def _map(self, file_idx: int) -> mmap.mmap:
        m = self._maps.get(file_idx)
        if m is None:
            with open(self.paths[file_idx], "rb") as f:
                m = self._maps[file_idx] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return m

    def _read(self, file_idx: int, local: int, where: str) -> Any:
        o = self._offsets[file_idx]
        raw = self._map(file_idx)[int(o[local]):int(o[local + 1]) - 1]
        return _field_of_json(_decode(raw, where).rstrip("\r"), self.text_field, where)


class ParquetSource(RecordSource):
    """Reads one row group at a time and keeps the last few; random access over many row groups is slow, so
    large corpora are better stored as ArrayRecord (or Parquet with small row groups)."""

    format = "parquet"
    _CACHED_GROUPS = 8

    def __init__(self, paths: Sequence[Path], **kw):
        self._files: list[Any] = []
        self._group_starts: list[np.ndarray] = []
        self._groups: collections.OrderedDict = collections.OrderedDict()
        super().__init__(paths, **kw)

    def _open(self, file_idx: int, path: Path) -> int:
        import pyarrow.parquet as pq

        if not path.is_file():
            raise DataError(f"{path}: no such file")
        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # pyarrow raises several types for a corrupt file
            raise DataError(f"{path}: not a readable Parquet file ({e})") from None
        names = pf.schema_arrow.names
        if self.text_field not in names:
            raise DataError(f"{path}: no column {self.text_field!r} (columns: {names})")
        md = pf.metadata
        sizes = [md.row_group(g).num_rows for g in range(md.num_row_groups)]
        self._files.append(pf)
        self._group_starts.append(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
        return int(md.num_rows)

    def _where(self, file_idx: int, local: int) -> str:
        return f"{self.paths[file_idx]} row {local} (0-based)"

    def _read(self, file_idx: int, local: int, where: str) -> Any:
        gs = self._group_starts[file_idx]
        g = bisect.bisect_right(gs, local) - 1
        key = (file_idx, g)
        column = self._groups.get(key)
        if column is None:
            column = self._files[file_idx].read_row_group(g, columns=[self.text_field]).column(0)
            self._groups[key] = column
            if len(self._groups) > self._CACHED_GROUPS:
                self._groups.popitem(last=False)
        else:
            self._groups.move_to_end(key)
        return column[local - int(gs[g])].as_py()


class ArrayRecordSource(RecordSource):
    """Records are JSON objects (text_field names the field) or, with text_field="", raw UTF-8 text."""

    format = "arrayrecord"

    def __init__(self, paths: Sequence[Path], **kw):
        self._readers: list[Any] = []
        super().__init__(paths, **kw)

    def _open(self, file_idx: int, path: Path) -> int:
        from array_record.python.array_record_module import ArrayRecordReader

        if not path.is_file():
            raise DataError(f"{path}: no such file")
        try:
            reader = ArrayRecordReader(str(path), "readahead_buffer_size:0")
        except Exception as e:
            raise DataError(f"{path}: not a readable ArrayRecord file ({e})") from None
        self._readers.append(reader)
        return int(reader.num_records())

    def _read(self, file_idx: int, local: int, where: str) -> Any:
        text = _decode(self._readers[file_idx].read([local])[0], where)
        return _field_of_json(text, self.text_field, where) if self.text_field else text
