"""The held-out split: a fixed, seed-independent slice of each source excluded from training.

A record is held out when a hash of its position in the source falls below `heldout_fraction`, so every arm
and every seed trains on the same records and is evaluated on the same held-out ones, and deciding costs
nothing per record (no reading, no index). Positions are those of the source's files in their sorted order.
"""
from __future__ import annotations

import numpy as np

_SALT = np.uint64(0x5EED_0F_4E1D_0A11)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def heldout_mask(num_records: int, fraction: float) -> np.ndarray:
    """bool [num_records]: True for held-out records (about `fraction` of them)."""
    if fraction <= 0:
        return np.zeros(num_records, bool)
    with np.errstate(over="ignore"):
        u = (_splitmix64(np.arange(num_records, dtype=np.uint64) ^ _SALT) >> np.uint64(11)).astype(np.float64)
    return u * (1.0 / (1 << 53)) < fraction
