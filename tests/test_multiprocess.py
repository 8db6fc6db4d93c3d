"""Multi-controller training: 2 processes on localhost train exactly like 1 process with the same devices;
`distributed.maybe_initialize` decides correctly when to start; the pod and SLURM launchers build the right
commands (dry run)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import ml_collections
import numpy as np
import pytest

from midalign_jax.parallel import distributed
from tests.train_fixtures import PatternIterator

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "multiprocess_worker.py"
STEPS, CRASH_AT, BATCH = 4, 3, 8
TIMEOUT_S = 400

# Environment variables that would make a child think it is part of some other job.
_JOB_ENV = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID", "TPU_WORKER_HOSTNAMES",
            "MEGASCALE_COORDINATOR_ADDRESS", "XLA_FLAGS", "CUDA_VISIBLE_DEVICES")


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _JOB_ENV and not k.startswith(("SLURM_", "OMPI_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _worker_cmd(pid: int, nproc: int, local_devices: int, workdir: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(WORKER), f"--process_id={pid}", f"--num_processes={nproc}",
            f"--local_devices={local_devices}", f"--workdir={workdir}", f"--out={out}", f"--steps={STEPS}",
            f"--batch_size={BATCH}", "--mesh=1,2,2", *extra]


@contextlib.contextmanager
def _launched(cmds: list[list[str]], logdir: Path):
    """Starts every command at once; always kills whatever is still running on the way out."""
    procs, logs = [], []
    try:
        for i, cmd in enumerate(cmds):
            log = open(logdir / f"proc{i}.log", "wb")
            logs.append(log)
            procs.append(subprocess.Popen(cmd, cwd=REPO, env=_child_env(), stdout=log, stderr=subprocess.STDOUT))
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for log in logs:
            log.close()


def _wait_all(procs, logdir: Path) -> None:
    """Waits for every process; fails at the first non-zero exit (its peers would only hang in a collective)."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        codes = [p.poll() for p in procs]
        bad = [(i, rc) for i, rc in enumerate(codes) if rc not in (None, 0)]
        timed_out = time.monotonic() > deadline
        if bad or timed_out:
            tails = "\n".join(f"--- proc{j} ---\n" + (logdir / f"proc{j}.log").read_text(errors="replace")[-3000:]
                              for j in range(len(procs)))
            what = f"worker {bad[0][0]} exited with {bad[0][1]}" if bad else f"workers still running after {TIMEOUT_S}s"
            pytest.fail(f"{what}\n{tails}")
        if all(rc == 0 for rc in codes):
            return
        time.sleep(0.5)


def _row_digests(process_index: int, process_count: int) -> list[str]:
    """What process `process_index` should have fed: its slice of each global batch, in order."""
    it = PatternIterator(BATCH, 32, process_index=process_index, process_count=process_count)
    return [hashlib.sha256(r.tobytes()).hexdigest()[:16] for _ in range(STEPS) for r in next(it)["tokens"]]


@pytest.mark.slow
def test_two_processes_train_like_one(tmp_path):
    """2 processes x 2 CPU devices (gloo collectives, a crash and a resume half-way) == 1 process x 4 devices."""
    port = _free_port()
    two, one = tmp_path / "two", tmp_path / "one"
    two.mkdir()
    one.mkdir()
    cmds = [_worker_cmd(pid, 2, 2, two / "stage", two / "result.json", f"--coordinator=localhost:{port}",
                        f"--crash_at={CRASH_AT}") for pid in range(2)]
    # The single-process reference runs at the same time: same global devices, batch and mesh; no crash.
    cmds.append(_worker_cmd(0, 1, 4, one / "stage", one / "result.json"))
    with _launched(cmds, tmp_path) as procs:
        _wait_all(procs, tmp_path)

    got = json.loads((two / "result.json").read_text())
    ref = json.loads((one / "result.json").read_text())
    assert got["process_count"] == 2 and ref["process_count"] == 1
    assert got["global_devices"] == ref["global_devices"] == 4
    assert got["mesh"] == ref["mesh"] == {"data": 1, "fsdp": 2, "tensor": 2}

    # Every step's loss, including those before the crash, from the scalar log process 0 wrote.
    steps = [str(s) for s in range(1, STEPS + 1)]
    assert sorted(got["logged_train_loss"], key=int) == steps
    np.testing.assert_allclose([got["logged_train_loss"][s] for s in steps],
                               [ref["logged_train_loss"][s] for s in steps], rtol=1e-5)
    # The resumed run (restored from the checkpoint both processes wrote) did only the steps after the crash.
    np.testing.assert_allclose(got["losses"], ref["losses"][CRASH_AT:], rtol=1e-5)
    assert set(got["logged_eval_loss"]) == set(ref["logged_eval_loss"])
    for s, v in ref["logged_eval_loss"].items():
        np.testing.assert_allclose(got["logged_eval_loss"][s], v, rtol=1e-5, err_msg=f"held-out loss at step {s}")

    assert got["checksums"].keys() == ref["checksums"].keys()
    for name, sums in ref["checksums"].items():
        np.testing.assert_allclose(got["checksums"][name], sums, rtol=1e-5, atol=1e-5, err_msg=name)

    # Each process fed exactly its own rows of every global batch (across the crash), never the other's.
    for pid in range(2):
        seen = json.loads((two / f"result.json.rows-{pid}.json").read_text())
        assert (seen["process_index"], seen["process_count"], seen["local_devices"]) == (pid, 2, 2)
        assert seen["rows"] == _row_digests(pid, 2)
    full = json.loads((one / "result.json.rows-0.json").read_text())["rows"]
    assert full == _row_digests(0, 1)
    assert sorted(_row_digests(0, 2) + _row_digests(1, 2)) == sorted(full)

    # One checkpoint per step written jointly: both processes' data-iterator states are in it.
    data_dir = two / "stage" / "checkpoints" / str(STEPS) / "data"
    assert sorted(p.name for p in data_dir.glob("process_*.json")) == ["process_0-of-2.json", "process_1-of-2.json"]


# ------------------------------------------------------------------------------------- maybe_initialize

def _dist_cfg(**over) -> ml_collections.ConfigDict:
    c = dict(initialize="auto", coordinator_address="", num_processes=0, process_id=-1)
    c.update(over)
    return ml_collections.ConfigDict(c)


@pytest.fixture
def fake_initialize(monkeypatch):
    """Records calls to jax.distributed.initialize instead of joining a job; clears job hints from the env."""
    calls = []
    for k in distributed._ENV_HINTS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    return calls


def test_auto_without_env_hints_is_a_noop(fake_initialize, monkeypatch):
    distributed.maybe_initialize(_dist_cfg())
    monkeypatch.setenv("SLURM_NTASKS", "1")   # a single-task SLURM job is still one process
    distributed.maybe_initialize(_dist_cfg())
    distributed.maybe_initialize(_dist_cfg(initialize="no", coordinator_address="localhost:1", num_processes=2,
                                           process_id=0))
    assert fake_initialize == []
    assert jax.process_count() == 1


@pytest.mark.parametrize("var,value", [("SLURM_NTASKS", "4"), ("TPU_WORKER_HOSTNAMES", "w0,w1"),
                                       ("JAX_COORDINATOR_ADDRESS", "10.0.0.1:1234")])
def test_auto_starts_when_the_environment_shows_a_job(fake_initialize, monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    distributed.maybe_initialize(_dist_cfg())
    assert fake_initialize == [{}]   # no arguments: jax reads the cluster from the environment


def test_explicit_coordinator_passes_its_settings_and_selects_gloo_on_cpu(fake_initialize):
    previous = jax.config.jax_cpu_collectives_implementation
    jax.config.update("jax_cpu_collectives_implementation", None)
    try:
        distributed.maybe_initialize(_dist_cfg(initialize="yes", coordinator_address="localhost:4321",
                                               num_processes=2, process_id=1))
        assert jax.config.jax_cpu_collectives_implementation == "gloo"
    finally:
        jax.config.update("jax_cpu_collectives_implementation", previous)
    assert fake_initialize == [dict(coordinator_address="localhost:4321", num_processes=2, process_id=1)]


@pytest.mark.parametrize("over", [dict(num_processes=2), dict(process_id=0), {}])
def test_coordinator_without_process_numbers_is_an_error(fake_initialize, over):
    with pytest.raises(ValueError, match="num_processes.*process_id"):
        distributed.maybe_initialize(_dist_cfg(initialize="yes", coordinator_address="localhost:4321", **over))
    assert fake_initialize == []


def test_unknown_initialize_mode_is_an_error(fake_initialize):
    with pytest.raises(ValueError, match="expected auto, yes or no"):
        distributed.maybe_initialize(_dist_cfg(initialize="true"))


# ------------------------------------------------------------------------------------- launch scripts

def _script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    full_env.update(env or {})
    return subprocess.run(["bash", str(REPO / "tools" / name), *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=60)


def _option(argv: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in argv if a.startswith(name + "=")]
    assert len(values) == 1, (name, argv)
    return values[0]


def test_tpu_pod_dry_run_runs_main_on_every_worker():
    extra = ["--config.seed=3", "--config.stages=pretrain,midtrain", "--config.arm=it's quoted"]
    res = _script("launch_tpu_pod.sh", "my-pod", "us-central2-b", "configs/baseline.py", "/mnt/gcs/run1", *extra,
                  env={"DRY_RUN": "1", "PROJECT": "my-proj"})
    assert res.returncode == 0, res.stderr
    lines = [shlex.split(line) for line in res.stdout.splitlines() if line.strip()]
    assert [argv[:5] for argv in lines] == [["gcloud", "compute", "tpus", "tpu-vm", "scp"]] + \
        [["gcloud", "compute", "tpus", "tpu-vm", "ssh"]] * 3   # sync, unpack, install, train
    for argv in lines:
        assert "--worker=all" in argv and "--zone=us-central2-b" in argv and "--project=my-proj" in argv
    assert "pip install" in _option(lines[2], "--command") and ".[tpu]" in _option(lines[2], "--command")
    remote = shlex.split(_option(lines[3], "--command"))
    assert remote[:4] == ["cd", "midalign-jax", "&&", "python3"]
    assert remote[4:] == ["main.py", "--config=configs/baseline.py", "--workdir=/mnt/gcs/run1", "--host_malloc=system",
                          *extra]


def test_tpu_pod_script_checks_its_arguments():
    usage = _script("launch_tpu_pod.sh", "only-one-arg")
    assert usage.returncode == 2 and "TPU_NAME ZONE CONFIG WORKDIR" in usage.stderr
    url = _script("launch_tpu_pod.sh", "p", "z", "configs/baseline.py", "gs://bucket/run", env={"DRY_RUN": "1"})
    assert url.returncode == 2 and "gcsfuse" in url.stderr
    missing = _script("launch_tpu_pod.sh", "p", "z", "configs/nope.py", "/mnt/run", env={"DRY_RUN": "1"})
    assert missing.returncode == 2 and "configs/nope.py" in missing.stderr
    quiet = _script("launch_tpu_pod.sh", "p", "z", "configs/baseline.py", "/mnt/run",
                    env={"DRY_RUN": "1", "SYNC": "0", "INSTALL": "0", "DETACH": "1"})
    assert len(quiet.stdout.splitlines()) == 1 and "nohup" in quiet.stdout and "--worker=all" in quiet.stdout


def test_slurm_dry_run_gives_each_task_its_process_id(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scontrol").write_text("#!/bin/sh\n[ \"$1 $2\" = 'show hostnames' ] || exit 1\n"
                                      "printf 'gpu-017\\ngpu-018\\ngpu-019\\n'\n")
    # Stands in for python on each node: records the arguments it was started with.
    (bin_dir / "fake-python").write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    extra = ["--config.seed=2", "--config.mesh.data=-1", "--config.arm=it's quoted"]
    res = _script("launch_slurm.sh", "configs/baseline.py", "/shared/run1", *extra, env={
        "DRY_RUN": "1", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SLURM_JOB_NODELIST": "gpu-[017-019]",
        "SLURM_NTASKS": "3", "PYTHON": str(bin_dir / "fake-python"), "COORD_PORT": "9999"})
    assert res.returncode == 0, res.stderr
    argv = shlex.split(res.stdout)
    assert argv[0] == "srun" and "--ntasks-per-node=1" in argv and argv[-3:-1] == ["bash", "-c"]
    for task_id in (0, 2):
        task = subprocess.run(["bash", "-c", argv[-1]], cwd=REPO, capture_output=True, text=True, timeout=30,
                              env={**os.environ, "SLURM_PROCID": str(task_id)})
        assert task.returncode == 0, task.stderr
        assert json.loads(task.stdout) == [
            "main.py", "--config=configs/baseline.py", "--workdir=/shared/run1", "--host_malloc=system",
            "--config.distributed.initialize=yes", "--config.distributed.coordinator_address=gpu-017:9999",
            "--config.distributed.num_processes=3", f"--config.distributed.process_id={task_id}", *extra]


def test_slurm_script_checks_where_it_runs():
    outside = _script("launch_slurm.sh", "configs/baseline.py", "/shared/run1")
    assert outside.returncode == 2 and "sbatch" in outside.stderr
    shape = _script("launch_slurm.sh", "configs/baseline.py", "/shared/run1", env={"DRY_RUN": "1"})
    assert shape.returncode == 0 and shape.stdout.startswith("srun ") and "process_id=$SLURM_PROCID" in shape.stdout
    assert _script("launch_slurm.sh", "configs/baseline.py").returncode == 2
    assert _script("launch_slurm.sh", "configs/baseline.py", "gs://b/run", env={"DRY_RUN": "1"}).returncode == 2
    script = (REPO / "tools" / "launch_slurm.sh").read_text()
    for line in ("#SBATCH --nodes=", "#SBATCH --ntasks-per-node=1", "#SBATCH --gpus-per-node="):
        assert line in script
