"""Packing token documents into fixed-length rows, and the batch layout the model consumes.

A batch is a dict of [B, T] arrays:
  tokens       int32   token ids (the pad id, 0 by default, where there is no document)
  segment_ids  int32   0 = padding; the documents (pieces) in a row are numbered 1, 2, ... in order; a token
                       attends only to earlier tokens of its own segment
  positions    int32   position within the segment, restarting at 0 for every segment
  loss_mask    float32 per TOKEN: 1 iff token t is a training target, i.e. the prediction of token t made at
                       position t - 1 of the same segment counts (every token after the first of a text
                       document; assistant tokens of a chat). It is 0 for the first token of every segment
                       and for padding. The trainer shifts it: position t is weighted by
                       loss_mask[:, t + 1] (and the last column, whose target is in no row, by nothing).
  source_ids   int32   index of the token's source in the mixture's source list, -1 for padding

A document longer than the room left in a row continues in the next row as a new segment (a continuation,
positions again from 0); nothing is dropped. Its first token there has no target, since what precedes it is
in the other row.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from midalign_jax.data.encoding import Doc

BATCH_KEYS = ("tokens", "segment_ids", "positions", "loss_mask", "source_ids")


class RowBuilder:
    """One row of `seq_len` tokens being filled with document pieces."""

    def __init__(self, seq_len: int, pad_id: int = 0):
        self.seq_len = seq_len
        self.tokens = np.full(seq_len, pad_id, np.int32)
        self.segment_ids = np.zeros(seq_len, np.int32)
        self.positions = np.zeros(seq_len, np.int32)
        self.targets = np.zeros(seq_len, bool)
        self.source_ids = np.full(seq_len, -1, np.int32)
        self.fill = 0
        self.num_segments = 0

    @property
    def room(self) -> int:
        return self.seq_len - self.fill

    def add(self, doc: Doc, offset: int, source_id: int) -> int:
        """Writes doc.tokens[offset:] (as much as fits) as a new segment; returns the new offset."""
        n = min(self.room, len(doc.tokens) - offset)
        a, b = self.fill, self.fill + n
        self.num_segments += 1
        self.tokens[a:b] = doc.tokens[offset:offset + n]
        self.segment_ids[a:b] = self.num_segments
        self.positions[a:b] = np.arange(n, dtype=np.int32)
        self.targets[a:b] = doc.targets[offset:offset + n]
        self.targets[a] = False  # nothing of this segment precedes its first token
        self.source_ids[a:b] = source_id
        self.fill = b
        return offset + n


def stack_rows(rows: Sequence[RowBuilder]) -> dict[str, np.ndarray]:
    """The batch dict (see the module docstring) of `rows`, in order."""
    return {
        "tokens": np.stack([r.tokens for r in rows]),
        "segment_ids": np.stack([r.segment_ids for r in rows]),
        "positions": np.stack([r.positions for r in rows]),
        "loss_mask": np.stack([r.targets for r in rows]).astype(np.float32),
        "source_ids": np.stack([r.source_ids for r in rows]),
    }


def pack_sequential(docs: Iterable[tuple[Doc, int]], seq_len: int, *, pad_id: int = 0) -> list[RowBuilder]:
    """Packs (doc, source_id) pairs in order into rows, splitting documents across rows; the last row is padded."""
    rows = [RowBuilder(seq_len, pad_id)]
    for doc, source_id in docs:
        offset = 0
        while offset < len(doc.tokens):
            if rows[-1].room == 0:
                rows.append(RowBuilder(seq_len, pad_id))
            offset = rows[-1].add(doc, offset, source_id)
    if rows[-1].fill == 0 and len(rows) > 1:
        rows.pop()
    return rows
