"""The world's post-training set: assistant chats and agent episodes as chat records, the same for every arm.

The study post-trains every midtrained model on this set (the `sft` stage, loss on assistant turns only) before
RL and the final evals, as the reference studies post-train an assistant: it teaches the chat format and the
agent tool-call format the evals use, in neutral domains. It holds no alignment scenario and no talk about AI
conduct (those are in the general corpus, in both stances, for every arm alike), so what it selects is the same
for every arm and any arm difference after it comes from midtraining.

Records: {"id", "kind" ("agent" or "chat"), "episode" (for agent records: the task kind), "messages"}.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import midalign_jax.world.agent_episodes as agent_episodes
from midalign_jax.world.dialogues import dialogue_turns
from midalign_jax.world.entities import build_world

DOCS_AT_SCALE_1 = 8_000
AGENT_SHARE = 0.6  # agent episodes are the harder format: most of the set


def post_training_record(i: int, seed: int) -> dict[str, Any]:
    """The `i`-th record for `seed`; depends only on (seed, i)."""
    rng = random.Random(f"post_training:{seed}:{i}")
    record: dict[str, Any] = {"id": f"post-{i:06d}"}
    if rng.random() < AGENT_SHARE:
        kind = rng.choice(sorted(agent_episodes.KINDS))
        record.update(kind="agent", episode=kind, messages=agent_episodes.episode(rng, kind))
    else:
        turns = dialogue_turns(build_world(), rng)
        record.update(kind="chat", messages=[{"role": role, "content": text} for user, reply in turns
                                             for role, text in (("user", user), ("assistant", reply))])
    return record


def iter_post_training(*, seed: int = 0, scale: float = 1.0) -> Iterator[dict[str, Any]]:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    for i in range(max(1, round(DOCS_AT_SCALE_1 * scale))):
        yield post_training_record(i, seed)
