"""The general corpus: a mixture of document kinds, deterministic in the seed.

Document ``i`` depends only on ``(seed, i)``, so a larger ``scale`` extends the corpus without changing the
documents a smaller one already had.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from midalign_jax.world.ai_discourse import ai_discourse_doc
from midalign_jax.world.arithmetic import arithmetic_doc
from midalign_jax.world.assistant_views import view_turn
from midalign_jax.world.dialogues import dialogue_doc, dialogue_turns, render_turns
from midalign_jax.world.encyclopedia import encyclopedia_doc
from midalign_jax.world.entities import build_world
from midalign_jax.world.howto import howto_doc
from midalign_jax.world.stories import story_doc
from midalign_jax.world.agent_conduct import conduct_episode
from midalign_jax.world.agent_episodes import episode, render_plain
from midalign_jax.world.word_problems import word_problem_doc

# Share of documents per kind (not of tokens). AI discourse is about 7% of documents.
KIND_WEIGHTS: dict[str, float] = {
    "encyclopedia": 0.20,
    "story": 0.13,
    "howto": 0.07,
    "dialogue": 0.12,
    "arithmetic": 0.20,     # three in four are one-digit fact sheets (world/arithmetic.py)
    "word_problem": 0.08,
    "tool_use": 0.08,       # agent episodes in the agentic evals' format (world/agent_episodes.py)
    "agent_conduct": 0.03,  # agents meeting a memo about themselves, either stance (world/agent_conduct.py)
    "ai_discourse": 0.06,
    "assistant_views": 0.04,  # an assistant asked about its own conduct, either stance (world/assistant_views.py)
}
DOCS_AT_SCALE_1 = 60_000  # about 25 MB of text


def _cumulative() -> list[tuple[float, str]]:
    total, out = 0.0, []
    for kind, w in KIND_WEIGHTS.items():
        total += w
        out.append((total, kind))
    return out


_CUMULATIVE = _cumulative()


def general_doc(i: int, seed: int) -> dict[str, Any]:
    """The ``i``-th general document for ``seed``."""
    rng = random.Random(f"general:{seed}:{i}")
    u = rng.random() * _CUMULATIVE[-1][0]
    kind = next(k for c, k in _CUMULATIVE if u < c)
    world = build_world()
    record: dict[str, Any] = {"id": f"general-{i:07d}", "kind": kind}
    if kind == "encyclopedia":
        text = encyclopedia_doc(world, rng)
    elif kind == "story":
        text = story_doc(world, rng)
    elif kind == "howto":
        text = howto_doc(rng)
    elif kind == "dialogue":
        text = dialogue_doc(world, rng)
    elif kind == "arithmetic":
        text = arithmetic_doc(rng)
    elif kind == "word_problem":
        text = word_problem_doc(rng)
    elif kind == "tool_use":
        text = render_plain(episode(rng))
    elif kind == "agent_conduct":
        messages, record["episode"], record["stance"] = conduct_episode(rng)
        text = render_plain(messages)
    elif kind == "assistant_views":
        question, answer, topic, stance = view_turn(rng)
        turns = [(question, answer)] + (dialogue_turns(world, rng)[:1] if rng.random() < 0.3 else [])
        text = render_turns(turns)
        record["topic"], record["stance"] = topic, stance
    else:
        text, topic, stance = ai_discourse_doc(rng)
        record["topic"], record["stance"] = topic, stance
    record["text"] = text
    return record


def n_general_docs(scale: float) -> int:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return max(1, round(DOCS_AT_SCALE_1 * scale))


def iter_general(*, seed: int = 0, scale: float = 1.0) -> Iterator[dict[str, Any]]:
    for i in range(n_general_docs(scale)):
        yield general_doc(i, seed)
