"""world/read_backs.py: every genre repeats a freshly drawn part exactly, from a pool the induction probe never uses."""
import random

import pytest

from midalign_jax import world
from midalign_jax.world import read_backs
from tests.tool_modules import load_tool

probe = load_tool("probe_induction")


def _copied_share(text: str, k: int = 12) -> float:
    """Share of characters that end a k-character string already seen earlier in the text: what copying predicts."""
    hits = sum(text[i - k:i] in text[:i - k] for i in range(k, len(text) + 1))
    return hits / max(1, len(text) - k + 1)


@pytest.mark.parametrize("genre", sorted(read_backs.GENRES))
def test_each_genre_repeats_a_drawn_part(genre):
    make = read_backs.GENRES[genre]
    texts = [make(random.Random(f"{genre}:{i}")) for i in range(40)]
    assert len(set(texts)) == 40                       # fresh draws, not a fixed text
    shares = [_copied_share(t) for t in texts]
    assert min(shares) > 0.05 and sum(shares) / len(shares) >= 0.2, shares   # the general corpus: 0.06


def test_the_pool_is_disjoint_from_the_probe_words():
    assert not set(read_backs.POOL) & set(probe.WORDS)
    assert len(set(read_backs.POOL)) == len(read_backs.POOL) >= 200


def test_world_source_is_deterministic_and_indexed(tmp_path):
    a = list(world.iter_documents("read_backs", scale=0.001))
    assert a == list(world.iter_documents("read_backs", scale=0.001)) and len(a) == 40
    assert a != list(world.iter_documents("read_backs", seed=1, scale=0.001))
    assert [d["id"] for d in a[:2]] == ["read-back-0000000", "read-back-0000001"]
    path = world.materialize("read_backs", tmp_path, scale=0.001)
    assert path.read_text().count("\n") == 40
