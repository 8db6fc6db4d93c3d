"""Runs the whole study: one shared pretrained base, then every arm (and seed) from it, then the report.

    python tools/run_study.py --study_dir=/tmp/study                       # the four arms, seed 0, + report
    python tools/run_study.py --study_dir=/tmp/study --arms=baseline,aligned_upsample,conditional --seeds=0,1,2
    python tools/run_study.py --study_dir=/tmp/study --set=rl.steps=120 --set=model.preset=small
    python tools/run_study.py --study_dir=/mnt/gcs/study --launcher='tools/launch_tpu_pod.sh my-v4-32 us-central2-b' \
        --noshared_base --set=stages=midtrain,rl,eval,export --set=midtrain.init_from=/mnt/gcs/models/pythia-410m

Layout (what tools/report.py reads):

    STUDY/study.json              arms, seeds, overrides, and per run its workdir, status and wall time
    STUDY/base/pretrain/          the base every arm and seed starts from (trained once, with the first seed)
    STUDY/<arm>/seed<k>/          one main.py workdir per arm and seed (midtrain, rl, eval, export)
    STUDY/report/                 report.md, report.html, plots/

Every run is `python main.py --config=configs/<arm>.py --workdir=STUDY/<arm>/seed<k> --config.base_dir=STUDY/base
--config.seed=k` plus the --set overrides, in its own process, one after the other. Rerunning the same command
skips finished runs and resumes an interrupted one from its checkpoints (main.py's own resume). The RL stage uses
config.seed, so every arm with the same seed sees the same RL prompts in the same order.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from absl import app, flags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ARMS = ("baseline", "filtered", "aligned_upsample", "misaligned_upsample")

_STUDY_DIR = flags.DEFINE_string("study_dir", None, "Where the base, the arms' workdirs and the report go.")
_ARMS = flags.DEFINE_list("arms", list(ARMS), "Arms to run: config files configs/<arm>.py.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Seeds (config.seed: midtraining data order and RL); one run per arm.")
_SET = flags.DEFINE_multi_string("set", [], "A config override for every run, e.g. --set=rl.steps=120.")
_BASE_ARM = flags.DEFINE_string("base_arm", "baseline", "Config whose pretrain section trains the shared base.")
_SHARED_BASE = flags.DEFINE_bool("shared_base", True, "Pretrain one base under STUDY/base first and start every "
                                  "arm from it; --noshared_base when the arms start from a checkpoint "
                                  "(--set=midtrain.init_from=HF_DIR --set=stages=midtrain,rl,eval,export).")
_REPORT = flags.DEFINE_bool("report", True, "Write STUDY/report when the runs are done.")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "Print the commands without running them.")
_LAUNCHER = flags.DEFINE_string(
    "launcher", "", "Run each stage group through a launch script that takes CONFIG WORKDIR [FLAGS...] and blocks "
    "until done, e.g. 'tools/launch_tpu_pod.sh my-v4-32 us-central2-b' or 'sbatch --wait --nodes=4 "
    "tools/launch_slurm.sh'; STUDY_DIR must then be on storage every host sees. Default: main.py here.")
flags.mark_flags_as_required(["study_dir"])


def _config_path(arm: str) -> Path:
    path = ROOT / "configs" / f"{arm}.py"
    if not path.exists():
        known = sorted(p.stem for p in (ROOT / "configs").glob("*.py") if p.stem not in ("__init__", "common"))
        raise app.UsageError(f"--arms: no config file {path} for arm {arm!r}; known: {', '.join(known)}")
    return path


def _overrides(sets: list[str]) -> list[str]:
    flags_out = []
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise app.UsageError(f"--set={item!r}: expected FIELD=VALUE, e.g. --set=rl.steps=120")
        flags_out.append(f"--config.{key.strip()}={value}")
    return flags_out


def main_command(arm: str, workdir: Path, extra: list[str]) -> list[str]:
    if _LAUNCHER.value:
        # Relative: the launch scripts run it from their copy of this checkout on every host.
        return [*shlex.split(_LAUNCHER.value), str(_config_path(arm).relative_to(ROOT)), str(workdir), *extra]
    return [sys.executable, str(ROOT / "main.py"), f"--config={_config_path(arm)}", f"--workdir={workdir}", *extra]


def _finished(workdir: Path) -> bool:
    config = workdir / "config.json"
    if not config.exists():
        return False
    stages = [s.strip() for s in json.loads(config.read_text())["stages"].split(",") if s.strip()]
    return all((workdir / s / "done.json").exists() for s in stages if s != "pretrain")


def _run(cmd: list[str], label: str, log_path: Path) -> float:
    """Runs one main.py process; its console output goes to the terminal and to log_path. Returns seconds."""
    print(f"\n##### {label}\n$ {' '.join(cmd)}", flush=True)
    if _DRY_RUN.value:
        return 0.0
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with open(log_path, "a", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        for line in proc.stdout:
            log.write(line)
            if not line.startswith(("I1", "W1")):  # absl's log lines stay in the log file
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"{label} failed with exit code {code}; its output is in {log_path}. Rerun the same "
                         "command to resume it.")
    return time.time() - start


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    study = Path(_STUDY_DIR.value).absolute()
    arms = [a.strip() for a in _ARMS.value if a.strip()]
    seeds = [int(s) for s in _SEEDS.value]
    extra = _overrides(_SET.value)
    for arm in arms + [_BASE_ARM.value]:
        _config_path(arm)
    study.mkdir(parents=True, exist_ok=True)
    record_path = study / "study.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    record.update({"arms": arms, "seeds": seeds, "overrides": _SET.value, "base_arm": _BASE_ARM.value,
                   "base_dir": str(study / "base") if _SHARED_BASE.value else None})
    runs = record.setdefault("runs", {})

    def save():
        if not _DRY_RUN.value:
            record_path.write_text(json.dumps(record, indent=2, sort_keys=True))

    started = time.time()
    base = study / "base"
    if _SHARED_BASE.value and not (base / "pretrain" / "done.json").exists():
        # After the --set overrides, so that a --set=stages=... meant for the arms does not reach the base.
        cmd = main_command(_BASE_ARM.value, base, [*extra, "--config.stages=pretrain", f"--config.seed={seeds[0]}"])
        runs["base"] = {"workdir": str(base), "seconds": _run(cmd, "shared base: pretrain", base / "console.log"),
                        "status": "done"}
        save()
    todo = [(seed, arm) for seed in seeds for arm in arms]
    for i, (seed, arm) in enumerate(todo, start=1):
        workdir = study / arm / f"seed{seed}"
        key = f"{arm}/seed{seed}"
        if _finished(workdir):
            print(f"\n##### {key}: finished earlier ({workdir}); skipping", flush=True)
            continue
        shared = [f"--config.base_dir={base}"] if _SHARED_BASE.value else []
        cmd = main_command(arm, workdir, [*extra, *shared, f"--config.seed={seed}"])
        runs[key] = {"workdir": str(workdir), "arm": arm, "seed": seed, "status": "running"}
        save()
        seconds = _run(cmd, f"{key} (run {i} of {len(todo)})", workdir / "console.log")
        runs[key].update(status="done", seconds=seconds)
        save()
    record["last_invocation_seconds"] = time.time() - started
    save()
    print(f"\nstudy: {len(arms)} arms x {len(seeds)} seeds in {study} "
          f"({(time.time() - started) / 60:.1f} min this invocation)", flush=True)
    if _REPORT.value and not _DRY_RUN.value:
        from study.report import write_report
        out = write_report([study], study / "report")
        print(f"report: {out}", flush=True)


if __name__ == "__main__":
    from midalign_jax.errors import run_absl_main
    run_absl_main(main, prog="tools/run_study.py")
