"""The token mixture: which document goes next into each row.

Weights are target fractions of TOKENS: with general=0.95, aligned_docs=0.05, 5% of the (non-padding) tokens in
the packed rows come from aligned_docs, however long its documents are compared with the general corpus.

How it is realised, deterministically:
- The global batch is `global_batch_size` independent *lanes*; lane r produces row r of every batch. A process
  computes only its own lanes, so the global batch is the same on one process or many and each process
  tokenizes only the documents it trains on.
- Each lane runs a deficit scheduler on token counts: every source s has a credit (tokens it is owed); each
  chosen document of n tokens adds w_s * n to every credit and subtracts n from its own source's. The next
  document comes from the active source with the largest (credit - half its next document's length) / w_s,
  i.e. the source whose next document's midpoint is due first. Credits stay centred on zero, so the achieved
  fractions are unbiased and converge to the weights with an error of about one document per lane. Initial
  credits are random per lane (zero mean), so lanes do not take rare sources at the same steps.
- A source's training records (held-out ones excluded) are read in a fresh permutation each epoch
  (derived seed: run seed, source name, epoch); lane r takes positions r, r + B, r + 2B, ... of the endless
  sequence of epochs, so lanes never share a document within an epoch and a source repeats only when used up.
- Filtered sources: a document matching the blocklist is removed and the lane takes the next document of the
  same source (resampling from the rest of it); removals are counted. With on_bad_record='skip', unusable
  records are skipped the same way and counted by reason.
- Conditional training: a source may have a tag token (<|good|>, <|bad|>) put before each of its documents.
"""
from __future__ import annotations

import collections
import zlib
from typing import Any, Callable, Sequence

import numpy as np

from midalign_jax.data.encoding import Doc, DocumentEncoder
from midalign_jax.data.errors import BadRecordError, DataError, log
from midalign_jax.data.packing import RowBuilder
from midalign_jax.data.schedule import MixtureSchedule
from midalign_jax.data.sources import RecordSource
from midalign_jax.data.splits import heldout_mask

FILTERED = "filtered"
_LOGGED_SKIPS_PER_SOURCE = 10


def stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _record_text(value: Any) -> str:
    return value if isinstance(value, str) else "\n".join(m["content"] for m in value)


class SourceStream:
    """One source as the mixture reads it: its training records in a new order every epoch, turned into Docs."""

    def __init__(self, name: str, source: RecordSource, encoder: DocumentEncoder, *, seed: int,
                 heldout_fraction: float, on_bad_record: str = "error",
                 blocklist: Callable[[str], bool] | None = None, tag_ids: Sequence[int] = ()):
        self.name = name
        self.source = source
        self.encoder = encoder
        self.seed = seed
        self.on_bad_record = on_bad_record
        self.blocklist = blocklist
        self.tag_ids = list(tag_ids)
        held = heldout_mask(len(source), heldout_fraction)
        self.train_indices = np.flatnonzero(~held)
        self.heldout_indices = np.flatnonzero(held)
        if len(self.train_indices) == 0:
            raise DataError(f"source {name!r} ({source!r}): all {len(source)} records are held out; lower "
                            "data.heldout_fraction or add records")
        self._orders: collections.OrderedDict[int, np.ndarray] = collections.OrderedDict()
        self.logged_skips = 0

    def record_at(self, position: int) -> int:
        """Record index at `position` of the endless sequence of training epochs."""
        n = len(self.train_indices)
        epoch, within = divmod(position, n)
        order = self._orders.get(epoch)
        if order is None:
            rng = np.random.default_rng([self.seed, stable_hash(self.name), epoch])
            order = self._orders[epoch] = self.train_indices[rng.permutation(n)]
            if len(self._orders) > 3:  # lanes are at most an epoch apart
                self._orders.popitem(last=False)
        return int(order[within])

    def _skip(self, err: BadRecordError) -> str:
        if self.on_bad_record == "error":
            raise err
        if self.logged_skips < _LOGGED_SKIPS_PER_SOURCE:
            self.logged_skips += 1
            log.warning("source %s: skipping %s (data.on_bad_record='skip')%s", self.name, err,
                        "; further skips are counted, not logged" if self.logged_skips == _LOGGED_SKIPS_PER_SOURCE
                        else "")
        return err.reason

    def fetch(self, records: Sequence[int]) -> list[Doc | str]:
        """A Doc per record, or the reason it is not used (FILTERED or a bad-record reason)."""
        out: list[Doc | str | None] = []
        texts: list[tuple[int, str]] = []
        for slot, i in enumerate(records):
            try:
                value = self.source[i]
            except BadRecordError as e:
                out.append(self._skip(e))
                continue
            if self.blocklist is not None and self.blocklist(_record_text(value)):
                out.append(FILTERED)
                continue
            if isinstance(value, str):
                out.append(None)
                texts.append((slot, value))
            else:
                try:
                    out.append(self.encoder.encode_chat(value, self.tag_ids, where=self.source.where(i)))
                except BadRecordError as e:
                    out.append(self._skip(e))
        if texts:
            for (slot, _), doc in zip(texts, self.encoder.encode_texts([t for _, t in texts], self.tag_ids)):
                out[slot] = doc
        return out  # type: ignore[return-value]


class Lane:
    """Produces row r of every batch; its whole state is `state()` (JSON-serialisable)."""

    def __init__(self, index: int, num_lanes: int, streams: dict[str, SourceStream], schedule: MixtureSchedule,
                 *, seq_len: int, seed: int, tokenize_batch: int = 16, pad_id: int = 0):
        self.index = index
        self.num_lanes = num_lanes
        self.names = schedule.source_names
        self.streams = [streams.get(n) for n in self.names]  # None: never active, never opened
        self.schedule = schedule
        self.seq_len = seq_len
        self.tokenize_batch = tokenize_batch
        self.pad_id = pad_id
        S = len(self.names)
        self.credit = np.zeros(S)
        self.pos = [0] * S
        self.pending: tuple[int, int, int, Doc] | None = None  # (source, position, offset, doc)
        self.emitted = [0] * S
        self.docs = [0] * S
        self.filtered = [0] * S
        self.skipped: list[dict[str, int]] = [{} for _ in range(S)]
        self._buffers = [collections.deque() for _ in range(S)]
        self._misses = [0] * S
        # A random phase per lane and source: the first document of s is due after a uniform fraction of
        # its stride (len / w_s tokens), so the lanes do not all take a rare source at the same steps.
        phase = np.random.default_rng([seed, index, 0x1A4E]).random(S)
        for s, stream in enumerate(self.streams):
            if stream is not None:
                self.credit[s] = (phase[s] - 0.5) * len(self._peek(s)[1].tokens)

    # ---------------------------------------------------------------- documents of one source for this lane
    def _global_position(self, k: int) -> int:
        return self.index + k * self.num_lanes

    def _refill(self, s: int) -> None:
        buf = self._buffers[s]
        start = buf[-1][0] + 1 if buf else self.pos[s]
        ks = range(start, start + self.tokenize_batch)
        stream = self.streams[s]
        records = [stream.record_at(self._global_position(k)) for k in ks]
        buf.extend(zip(ks, stream.fetch(records)))

    def _peek(self, s: int) -> tuple[int, Doc]:
        """The next usable document of source s (counting and passing over removed or skipped records)."""
        buf = self._buffers[s]
        while True:
            if not buf:
                self._refill(s)
            k, item = buf[0]
            if isinstance(item, Doc):
                self._misses[s] = 0
                return k, item
            buf.popleft()
            self.pos[s] = k + 1
            if item == FILTERED:
                self.filtered[s] += 1
            else:
                self.skipped[s][item] = self.skipped[s].get(item, 0) + 1
            self._misses[s] += 1
            if self._misses[s] > len(self.streams[s].train_indices):
                raise DataError(f"source {self.names[s]!r}: every training record was removed by the blocklist "
                                "or skipped as bad; nothing left to train on")

    def _choose(self, step: int) -> tuple[int, int, Doc]:
        w = self.schedule.weights_at(step)
        best, best_score = -1, -np.inf
        for s in np.flatnonzero(w > 0):
            _, doc = self._peek(s)
            # The source whose next document's midpoint comes first in its own token "clock" (stride
            # scheduling); charging half the document before choosing it is what keeps the fractions unbiased.
            score = (self.credit[s] - 0.5 * len(doc.tokens)) / w[s]
            if score > best_score:
                best, best_score = int(s), score
        k, doc = self._peek(best)
        self._buffers[best].popleft()
        self.pos[best] = k + 1
        n = len(doc.tokens)
        self.credit += w * n
        self.credit[best] -= n
        self.docs[best] += 1
        return best, k, doc

    # ---------------------------------------------------------------- rows
    def next_row(self, step: int) -> RowBuilder:
        row = RowBuilder(self.seq_len, self.pad_id)
        while row.room:
            if self.pending is None:
                s, k, doc = self._choose(step)
                self.pending = (s, k, 0, doc)
            s, k, offset, doc = self.pending
            before = row.fill
            offset = row.add(doc, offset, s)
            self.emitted[s] += row.fill - before
            self.pending = None if offset == len(doc.tokens) else (s, k, offset, doc)
        return row

    # ---------------------------------------------------------------- state
    def state(self) -> dict:
        return {
            "credit": [float(c) for c in self.credit],
            "pos": list(self.pos),
            "pending": None if self.pending is None else list(self.pending[:3]),
            "emitted": list(self.emitted),
            "docs": list(self.docs),
            "filtered": list(self.filtered),
            "skipped": [dict(d) for d in self.skipped],
        }

    def restore(self, state: dict) -> None:
        S = len(self.names)
        for key in ("credit", "pos", "emitted", "docs", "filtered", "skipped"):
            if len(state[key]) != S:
                raise DataError(f"iterator state of lane {self.index}: {key!r} has {len(state[key])} entries; "
                                f"expected one per source {list(self.names)}")
        self.credit = np.asarray(state["credit"], np.float64)
        self.pos = [int(p) for p in state["pos"]]
        self.emitted = [int(x) for x in state["emitted"]]
        self.docs = [int(x) for x in state["docs"]]
        self.filtered = [int(x) for x in state["filtered"]]
        self.skipped = [{str(k): int(v) for k, v in d.items()} for d in state["skipped"]]
        self._buffers = [collections.deque() for _ in range(S)]
        self._misses = [0] * S
        self.pending = None
        if state["pending"] is not None:
            s, k, offset = (int(x) for x in state["pending"])
            stream = self.streams[s]
            if stream is None:
                raise DataError(f"iterator state of lane {self.index} is inside a document of "
                                f"{self.names[s]!r}, which the current mixture never uses")
            (doc,) = stream.fetch([stream.record_at(self._global_position(k))])
            if not isinstance(doc, Doc) or offset >= len(doc.tokens):
                raise DataError(f"iterator state of lane {self.index} does not match source {self.names[s]!r} "
                                "(the data or the tokenizer changed since it was saved)")
            self.pending = (s, k, offset, doc)
