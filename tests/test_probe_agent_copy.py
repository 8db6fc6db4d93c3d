"""tools/probe_agent_copy.py: counts first calls that copy the user's path, and tells memorised names apart."""
import importlib.util
from pathlib import Path

import pytest

from evals import backends
from evals.fake_model import FakeModel
from midalign_jax.agent.tools import format_call

_SPEC = importlib.util.spec_from_file_location(
    "probe_agent_copy", Path(__file__).resolve().parents[1] / "tools" / "probe_agent_copy.py")
probe = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(probe)


def _register(prefix, generate):
    backends.register_backend(prefix, lambda arg: FakeModel(prefix, generate_fn=generate), overwrite=True)


def test_a_copying_model_copies_every_path_and_a_memorising_one_only_the_common_ones(capsys):
    n = 24
    # The episodes the probe builds (same seeds): a perfect copier answers each with its scripted first turn.
    first_turns = {FakeModel().render_chat(m[:2]): m[2]["content"] for _, m in probe.episodes(n)}
    common = probe.common_paths()
    assert "config/settings.txt" in common and len(common) < 20

    _register("copier", lambda request: first_turns[request.context])
    assert probe.main(["--model=copier:x", f"-n={n}"]) == 0
    out = capsys.readouterr().out
    drawn = sum(probe.first_path(m) not in common for _, m in probe.episodes(n))
    assert 0 < drawn < n
    assert f"copied a drawn (uncommon) path: {drawn} of {drawn} episodes" in out
    assert out.splitlines()[-2].split() == ["all", str(n), str(n), str(n), str(n - drawn)]

    _register("memoriser", lambda request: format_call("read_file", path="config/settings.txt"))
    probe.main(["--model=memoriser:x", f"-n={n}"])
    out = capsys.readouterr().out
    assert f"copied a drawn (uncommon) path: 0 of {drawn}" in out
    row = out.splitlines()[-2].split()
    assert row[:3] == ["all", str(n), str(n)] and row[3] == row[4] and int(row[3]) < n - drawn

    _register("garbled", lambda request: '<call>{"tool": "read_file", "args": ')
    probe.main(["--model=garbled:x", f"-n={n}"])
    assert capsys.readouterr().out.splitlines()[-2].split() == ["all", str(n), "0", "0", "0"]


def test_bad_arguments_are_one_line_errors(capsys):
    with pytest.raises(SystemExit):
        probe.main(["--model=fake:first_option", "-n=0"])
    assert "-n 0: expected at least 1 episode" in capsys.readouterr().err
