"""Mixture weights by training step.

A stage's mixture (`config.<stage>.mixture`) maps source names to target token fractions and applies from step 0.
`config.<stage>.mixture_schedule` is a string "STEP:src=w,src=w;STEP:src=w,..." in which each entry replaces the
whole mixture from STEP on (sources an entry does not list get weight 0). For example, a midtraining stage of
600 steps that inserts the aligned documents only in its last 10%:

    mixture = {"general": 1.0, "aligned_docs": 0.0}
    mixture_schedule = "540:general=0.95,aligned_docs=0.05"

Every set of weights must be non-negative and sum to 1 (within 1e-6).
"""
from __future__ import annotations

import bisect
import math
from typing import Iterable, Mapping

import numpy as np

from midalign_jax.data.errors import DataError

_SUM_TOL = 1e-6


def _check_weights(weights: Mapping[str, float], what: str, known: set[str] | None) -> dict[str, float]:
    out = {}
    for name, w in weights.items():
        if known is not None and name not in known:
            raise DataError(f"{what}: source {name!r} is not defined in config.data.sources (defined: "
                            f"{sorted(known)})")
        try:
            w = float(w)
        except (TypeError, ValueError):
            raise DataError(f"{what}: weight of {name!r} is {w!r}; expected a number") from None
        if not math.isfinite(w) or w < 0:
            raise DataError(f"{what}: weight of {name!r} is {w}; expected a finite number >= 0")
        out[name] = w
    total = sum(out.values())
    if abs(total - 1.0) > _SUM_TOL:
        raise DataError(f"{what}: weights {out} sum to {total:.6g}; they are token fractions and must sum to 1")
    return out


def parse_mixture_schedule(text: str, *, known: Iterable[str] | None = None) -> list[tuple[int, dict[str, float]]]:
    """"STEP:src=w,src=w;STEP:..." -> [(step, {src: w})], steps strictly increasing."""
    known_set = set(known) if known is not None else None
    entries: list[tuple[int, dict[str, float]]] = []
    for n, entry in enumerate(e.strip() for e in (text or "").split(";")):
        if not entry:
            continue
        what = f"mixture_schedule entry {n + 1} ({entry!r})"
        step_text, sep, body = entry.partition(":")
        try:
            step = int(step_text.strip())
        except ValueError:
            step = -1
        if not sep or step < 0:
            raise DataError(f"{what}: expected STEP:src=w,src=w with STEP a non-negative integer")
        weights: dict[str, float] = {}
        for item in (i.strip() for i in body.split(",")):
            if not item:
                continue
            name, eq, value = item.partition("=")
            if not eq or not name.strip():
                raise DataError(f"{what}: {item!r} is not src=weight")
            if name.strip() in weights:
                raise DataError(f"{what}: source {name.strip()!r} listed twice")
            weights[name.strip()] = value.strip()  # type: ignore[assignment]
        if not weights:
            raise DataError(f"{what}: no weights")
        if entries and step <= entries[-1][0]:
            raise DataError(f"{what}: step {step} is not after the previous entry's step {entries[-1][0]}")
        entries.append((step, _check_weights(weights, what, known_set)))
    return entries


class MixtureSchedule:
    """Weights over a fixed, sorted list of source names, by step.

    `source_names` (every source the mixture or schedule mentions, sorted) is the order `source_ids` in the
    batches index into; it is the same for every arm that mentions the same sources, whatever their weights.
    """

    def __init__(self, mixture: Mapping[str, float], schedule: str = "", *, known: Iterable[str] | None = None):
        known_set = set(known) if known is not None else None
        base = _check_weights(dict(mixture), "mixture", known_set)
        phases = [(0, base)] + parse_mixture_schedule(schedule, known=known_set)
        if len(phases) > 1 and phases[1][0] == 0:
            phases = phases[1:]
        self.source_names: tuple[str, ...] = tuple(sorted({n for _, w in phases for n in w}))
        self.steps = [s for s, _ in phases]
        self._weights = [np.array([w.get(n, 0.0) for n in self.source_names]) for _, w in phases]

    def weights_at(self, step: int) -> np.ndarray:
        """Weights [num_sources] in force at `step`."""
        return self._weights[bisect.bisect_right(self.steps, step) - 1]

    def mean_weights(self, start: int, stop: int) -> np.ndarray:
        """Weights averaged over steps [start, stop): the token fractions aimed at over that span (every step
        has the same number of tokens). For an empty span, the weights at `start`."""
        if stop <= start:
            return self.weights_at(start)
        total = np.zeros(len(self.source_names))
        bounds = self.steps[1:] + [max(stop, self.steps[-1]) + 1]
        for begin, end, w in zip(self.steps, bounds, self._weights):
            overlap = min(end, stop) - max(begin, start)
            if overlap > 0:
                total += overlap * w
        return total / (stop - start)

    def active_sources(self) -> list[str]:
        """Sources with a positive weight at some step; only these are opened."""
        on = np.any(np.stack(self._weights) > 0, axis=0)
        return [n for n, a in zip(self.source_names, on) if a]

    def describe(self) -> str:
        parts = []
        for step, w in zip(self.steps, self._weights):
            mix = ", ".join(f"{n}={x:g}" for n, x in zip(self.source_names, w) if x > 0)
            parts.append(f"from step {step}: {mix}")
        return "; ".join(parts)
