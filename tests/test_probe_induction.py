"""tools/probe_induction.py: tells a model that copies from its context apart from one that cannot."""
import pytest

from evals import backends
from evals.fake_model import FakeModel, fake_num_tokens
from evals.model_api import LoglikelihoodResult
from tests.tool_modules import load_tool

probe = load_tool("probe_induction")


def _copier(context, continuation):
    """Knows every word's prior (3 nats) and copies a continuation it has seen (0.1 nat, greedy)."""
    n = fake_num_tokens(continuation)
    if continuation.strip() in context:
        return LoglikelihoodResult(-0.1 * n, is_greedy=True, num_tokens=n)
    return LoglikelihoodResult(-3.0 * n, is_greedy=False, num_tokens=n)


def _blind(context, continuation):
    """The same priors, and no use of the context at all: a model without induction heads."""
    return -3.0 * fake_num_tokens(continuation)


def test_copier_passes_and_a_context_blind_model_fails(capsys):
    r = probe.probe(FakeModel("copier", _copier), n=16, words=8)
    assert (r.n, r.nll_first, r.nll_second, r.exact) == (16, pytest.approx(3.0), pytest.approx(0.1), 1.0)
    assert r.gain == pytest.approx(2.9) and r.gain_se == pytest.approx(0.0, abs=1e-9) and r.verdict == "yes"

    r = probe.probe(FakeModel("blind", _blind), n=16, words=8)
    assert r.gain == pytest.approx(0.0) and r.exact == 0.0 and r.verdict == "no"

    backends.register_backend("blind", lambda arg: FakeModel("blind", _blind), overwrite=True)
    assert probe.main(["--model=blind:x", "-n=8"]) == 0
    assert "in-context copying: no" in capsys.readouterr().out


def test_partial_copier_is_told_apart():
    """A model that lowers the second copy's cost but still pays two nats a token for it copies only partly."""
    def half(context, continuation):
        n = fake_num_tokens(continuation)
        seen = continuation.strip() in context
        return LoglikelihoodResult((-2.0 if seen else -3.0) * n, is_greedy=False, num_tokens=n)
    r = probe.probe(FakeModel("half", half), n=8, words=5)
    assert r.gain == pytest.approx(1.0) and r.verdict == "partial" and not r.copies


def test_rows_are_fresh_draws_and_the_seed_fixes_them():
    a, b = probe.runs(32, 10, seed=0), probe.runs(32, 10, seed=1)
    assert a == probe.runs(32, 10, seed=0) and a != b
    assert len(set(a)) == 32 and all(len(r.split()) == 10 for r in a)
    with pytest.raises(ValueError, match="at least 2 rows"):
        probe.runs(1, 10)
