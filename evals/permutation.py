"""The cluster sign-flip test: is a paired difference between two arms on the same items distinguishable from 0,
when items come in clusters (MCQA items written from one scenario template, chat samples of one prompt)?

Under the null hypothesis the two arms are exchangeable on every item, so each cluster's summed difference is as
likely to have either sign, and flipping whole clusters keeps the dependence inside them. The p-value is the
share of the 2^G sign patterns whose |sum| is at least the observed one: exact (every pattern enumerated) up to
`EXACT_MAX` clusters with a nonzero sum, a seeded Monte Carlo estimate above that.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

EXACT_MAX = 20          # 2^20 patterns enumerate in well under a second
MONTE_CARLO_DRAWS = 200_000
_TOLERANCE = 1e-9       # sums of float differences: equal up to rounding counts as "at least as large"


def cluster_sums(diffs: Sequence[float], clusters: Sequence[Hashable] | None) -> np.ndarray:
    if clusters is None:
        return np.asarray(diffs, np.float64)
    if len(clusters) != len(diffs):
        raise ValueError(f"cluster_sums: {len(diffs)} differences but {len(clusters)} cluster labels")
    sums: dict[Hashable, float] = {}
    for d, c in zip(diffs, clusters):
        sums[c] = sums.get(c, 0.0) + d
    return np.asarray(list(sums.values()), np.float64)


def sign_flip_p(diffs: Sequence[float], clusters: Sequence[Hashable] | None = None) -> tuple[float, str]:
    """(two-sided p-value, method) of the cluster sign-flip test of mean(diffs) = 0."""
    sums = cluster_sums(diffs, clusters)
    sums = sums[np.abs(sums) > _TOLERANCE]
    if sums.size == 0:
        return 1.0, "sign-flip exact (no cluster differs)"
    observed = abs(sums.sum()) - _TOLERANCE
    g = sums.size
    if g <= EXACT_MAX:
        hits = 0
        for start in range(0, 1 << g, 1 << 16):  # chunks of 65,536 patterns: bounded memory
            codes = np.arange(start, min(start + (1 << 16), 1 << g), dtype=np.int64)
            signs = 1.0 - 2.0 * ((codes[:, None] >> np.arange(g)) & 1)
            hits += int(np.count_nonzero(np.abs(signs @ sums) >= observed))
        return hits / (1 << g), f"sign-flip exact (G={g})"
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(MONTE_CARLO_DRAWS // 20_000):
        signs = rng.choice((-1.0, 1.0), size=(20_000, g))
        hits += int(np.count_nonzero(np.abs(signs @ sums) >= observed))
    # The observed pattern counts once more, so the estimate is never 0 (Phipson and Smyth 2010).
    return (hits + 1) / (MONTE_CARLO_DRAWS + 1), f"sign-flip Monte Carlo (G={g}, {MONTE_CARLO_DRAWS:,} draws)"
