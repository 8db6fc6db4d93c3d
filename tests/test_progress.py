"""The console's progress: a plain line every log step off a terminal, a live bar on one, and the run's ETA."""
from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import jax
import pytest

from midalign_jax import progress as P
from midalign_jax.progress import PlannedStage, Progress, set_plan

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_plan():
    set_plan([])
    yield
    set_plan([])


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_etas_skip_the_first_step_and_scale_later_stages_by_tokens(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(P.time, "perf_counter", clock)
    set_plan([PlannedStage("pretrain", 10, 100), PlannedStage("midtrain", 20, 200),
              PlannedStage("rl", 5, 50, kind="rl")])
    p = Progress("pretrain", 10, 0, stream=io.StringIO(), live=False)
    clock.now += 30.0  # the first step compiles
    p.advance(1)
    for step in range(2, 6):
        clock.now += 2.0
        p.advance(step)
    assert p.seconds_per_step(5) == pytest.approx(2.0)
    assert p.stage_eta(5) == pytest.approx(10.0)
    assert p.startup_seconds(5) == pytest.approx(28.0)  # the first step's 30 s less an ordinary step
    # midtrain: 20 steps x 200 tokens at 2 s per 100 tokens = 80 s, plus a start-up; rl samples token by token and
    # is not estimated from a training rate: it is named instead
    assert p.run_eta(5) == pytest.approx(10.0 + 80.0 + 28.0)
    line = p.line(5, 3.25, 1234.0)
    assert line == "[pretrain] step 5/10 loss 3.2500 | 1.2k tok/s | eta 0m10s | run eta 1m58s + rl"
    last = Progress("rl", 5, 0, metric="reward", stream=io.StringIO(), live=False)
    assert "run eta" not in last.line(0, 0.5, 10.0) and "reward 0.5000" in last.line(0, 0.5, 10.0)


def test_plain_lines_off_a_terminal_from_the_train_loop(tmp_path, capsys):
    from midalign_jax import model as M
    from midalign_jax.parallel import sharding as S
    from midalign_jax.train import loop
    from tests.train_fixtures import TINY, mesh_cfg, stage_data, t_cfg

    m = S.make_mesh(mesh_cfg(), devices=jax.devices()[:1])
    loop.train(t_cfg=t_cfg(steps=4, log_every=2, eval_every=0), model_cfg=TINY, mesh=m, rules=S.DEFAULT_RULES,
               stage_dir=tmp_path, data=stage_data(),
               init_params=lambda sh: S.place(M.init_params(TINY, jax.random.key(0)), sh), stage_name="midtrain")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[midtrain]")]
    assert [line.split(" loss ")[0] for line in lines] == ["[midtrain] step 2/4", "[midtrain] step 4/4"]
    assert all("tok/s | eta " in line for line in lines) and "\r" not in "".join(lines)


def test_live_bar_keeps_log_lines_out_of_the_bar():
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers)
    p = Progress("midtrain", 4, 0, stream=stream, live=True)
    for step in (1, 2):
        p.advance(step)
    p.report(2, 3.5, 2000.0)
    assert root.handlers != before  # wrapped while the bar is live
    logging.getLogger("midalign_jax.test").warning("a log line")
    p.advance(4)
    p.close()
    assert root.handlers == before
    text = stream.getvalue()
    assert "[midtrain]" in text and "4/4" in text and "loss 3.5000" in text and "2.0k tok/s" in text
    assert "[midtrain] step" not in text  # no plain lines on a terminal


@pytest.mark.slow
def test_a_terminal_gets_a_bar(tmp_path):
    """stdout on a real pseudo-terminal: the train loop draws a bar (carriage returns), prints no plain lines."""
    script = (
        "import jax\n"
        "from midalign_jax import model as M\n"
        "from midalign_jax.parallel import sharding as S\n"
        "from midalign_jax.train import loop\n"
        "from tests.train_fixtures import TINY, mesh_cfg, stage_data, t_cfg\n"
        "m = S.make_mesh(mesh_cfg(), devices=jax.devices()[:1])\n"
        f"loop.train(t_cfg=t_cfg(steps=6, log_every=2, eval_every=0), model_cfg=TINY, mesh=m, "
        f"rules=S.DEFAULT_RULES, stage_dir={str(tmp_path)!r}, data=stage_data(), "
        "init_params=lambda sh: S.place(M.init_params(TINY, jax.random.key(0)), sh), stage_name='midtrain')\n"
    )
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a new pty is 0 columns wide
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, stdout=slave,
                            stderr=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(master)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert "\r" in out and "[midtrain]" in out and "6/6" in out and "loss " in out
    assert "[midtrain] step" not in out


@pytest.mark.slow
def test_main_console_quiet_libraries_by_default_and_verbose_on_request(tmp_path):
    """main.py off a terminal: the stage banner and plain progress lines on stdout, our own INFO lines on stderr,
    no orbax/absl INFO lines unless --verbosity asks for them."""
    import json

    from tests.char_tokenizer import char_tokenizer

    char_tokenizer().save_pretrained(str(tmp_path / "tok"))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"document {i}: the cat sat on the mat."}) + "\n"
                              for i in range(300)))
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)

    def main(workdir, *extra):
        return subprocess.run(
            [sys.executable, "main.py", "--config=configs/baseline.py", f"--workdir={workdir}",
             "--config.stages=pretrain", f"--config.data.tokenizer={tmp_path / 'tok'}",
             f"--config.data.sources.general.path={corpus}", "--config.pretrain.steps=2",
             "--config.pretrain.batch_size=8", "--config.pretrain.seq_len=32", "--config.pretrain.log_every=1",
             *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)

    quiet = main(tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.stdout.splitlines()[0] == "=== stage pretrain ==="
    assert [line.split(" loss ")[0] for line in quiet.stdout.splitlines()[1:]] == [
        "[pretrain] step 1/2", "[pretrain] step 2/2"]
    assert "stages: ['pretrain']" in quiet.stderr and "held-out loss" in quiet.stderr  # our own lines
    assert "checkpoint_manager.py" not in quiet.stderr and "orbax" not in quiet.stderr
    verbose = main(tmp_path / "verbose", "--verbosity=0")
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    assert "checkpoint_manager.py" in verbose.stderr and "stages: ['pretrain']" in verbose.stderr
