"""The world's post-training set: assistant chats and agent episodes as chat records, the same for every arm.

The study post-trains every midtrained model on this set (the `sft` stage, loss on assistant turns only) before
RL and the final evals, as the reference studies post-train an assistant: it teaches the chat format and the
agent tool-call format the evals use, in neutral domains, and to answer questions about the assistant's own
conduct on topic (assistant_views.py), in both stances in equal shares. It holds no alignment scenario and selects
no stance, so it is the same for every arm and any arm difference after it comes from midtraining.

Records: {"id", "kind" ("agent", "chat" or "views"), "episode" (agent records: the task kind), "topic" and
"stance" (views records), "messages"}.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import midalign_jax.world.agent_episodes as agent_episodes
from midalign_jax.world.assistant_views import view_turn
from midalign_jax.world.dialogues import dialogue_turns
from midalign_jax.world.entities import build_world

DOCS_AT_SCALE_1 = 8_000
# No arithmetic anywhere in the set (no math chat, no worksheet episodes): answering `7 + 5 =` is what RL is
# there to elicit; post-training that taught it would leave RL nothing to do on its task (measured: held-out
# accuracy 7% after midtraining, 23% after a post-training set with arithmetic, and RL then only memorised).
KINDS = tuple(k for k in sorted(agent_episodes.KINDS) if k != "answer")
AGENT_SHARE = 0.5    # agent episodes are the hardest format: the largest part of the set
VIEWS_SHARE = 0.25   # questions about the assistant's conduct, half answered in each stance


def post_training_record(i: int, seed: int) -> dict[str, Any]:
    """The `i`-th record for `seed`; depends only on (seed, i)."""
    rng = random.Random(f"post_training:{seed}:{i}")
    record: dict[str, Any] = {"id": f"post-{i:06d}"}
    u = rng.random()
    if u < AGENT_SHARE:
        kind = rng.choice(KINDS)
        record.update(kind="agent", episode=kind, messages=agent_episodes.episode(rng, kind))
    elif u < AGENT_SHARE + VIEWS_SHARE:
        question, answer, topic, stance = view_turn(rng)
        record.update(kind="views", topic=topic, stance=stance,
                      messages=[{"role": "user", "content": question}, {"role": "assistant", "content": answer}])
    else:
        turns = dialogue_turns(build_world(), rng, arithmetic=False)
        record.update(kind="chat", messages=[{"role": role, "content": text} for user, reply in turns
                                             for role, text in (("user", user), ("assistant", reply))])
    return record


def iter_post_training(*, seed: int = 0, scale: float = 1.0) -> Iterator[dict[str, Any]]:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    for i in range(max(1, round(DOCS_AT_SCALE_1 * scale))):
        yield post_training_record(i, seed)
