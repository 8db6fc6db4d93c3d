"""Find the runs behind the command-line folders: study folders (many workdirs) or workdirs.

A study folder (from tools/run_study.py) holds `study.json` {"arms": [...], "seeds": [...]} (optional), the
shared pretraining workdir `base/`, and one workdir per arm and seed. Every folder below it with a
`config.json` is a workdir; one whose stages produce no evals (the shared pretraining base) is left out with
a note. Arms and seeds that study.json expects but no workdir provides are reported as missing.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from study.report.errors import ReportInputError
from study.report.runs import Run, load_run

# Arms in the order the study discusses them; others follow alphabetically.
CANONICAL_ARM_ORDER = ("baseline", "filtered", "aligned_upsample", "misaligned_upsample", "conditional",
                       "aligned_upsample+misaligning_rl")
_EVAL_PRODUCING_STAGES = {"midtrain", "sft", "rl", "eval"}


@dataclasses.dataclass
class Study:
    runs: list[Run]
    arms: list[str]  # display order
    notes: list[str]  # workdirs left out, expected runs absent


def _workdirs_under(folder: Path) -> list[Path]:
    found = []
    for root, dirnames, filenames in os.walk(folder):
        if "config.json" in filenames:
            found.append(Path(root))
            dirnames.clear()  # a workdir holds no other workdirs
        else:
            dirnames.sort()
    return found


def _stages_of(workdir: Path) -> set[str]:
    try:
        config = json.loads((workdir / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return set(_EVAL_PRODUCING_STAGES)  # let load_run report the bad file
    return {s.strip() for s in str(config.get("stages", "")).split(",") if s.strip()} if isinstance(config, dict) \
        else set(_EVAL_PRODUCING_STAGES)


def _read_study_json(folder: Path) -> dict:
    path = folder / "study.json"
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{path} line {error.lineno}: not valid JSON ({error.msg}); expected "
                               '{"arms": [...], "seeds": [...]}') from None
    if not isinstance(doc, dict):
        raise ReportInputError(f'{path}: expected an object {{"arms": [...], "seeds": [...]}}')
    for field, kind in (("arms", str), ("seeds", int)):
        if field in doc and not (isinstance(doc[field], list) and all(isinstance(x, kind) for x in doc[field])):
            raise ReportInputError(f"{path}: '{field}' must be a list of {kind.__name__}, got {doc[field]!r}")
    return doc


def discover(folders: list[str | Path]) -> Study:
    """Every run under `folders`, each (arm, seed) once."""
    runs: list[Run] = []
    notes: list[str] = []
    expected: list[tuple[str, int, Path, Path]] = []
    study_arms: list[str] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise ReportInputError(f"{folder}: no such folder; expected a study folder or a workdir")
        if (folder / "config.json").exists():
            runs.append(load_run(folder))
            continue
        study = _read_study_json(folder)
        study_arms += [a for a in study.get("arms", []) if a not in study_arms]
        # study.json names arms by their config file (tools/run_study.py --arms), which need not be the arm a run
        # records (configs/misaligning_rl_control.py runs arm "aligned_upsample+misaligning_rl"): a run is found
        # by its workdir.
        listed = study.get("runs") if isinstance(study.get("runs"), dict) else {}
        expected += [(arm, seed, Path(listed.get(f"{arm}/seed{seed}", {}).get("workdir")
                                      or folder / arm / f"seed{seed}"), folder)
                     for arm in study.get("arms", []) for seed in study.get("seeds", [])]
        workdirs = _workdirs_under(folder)
        if not workdirs:
            raise ReportInputError(f"{folder}: no workdir (a folder with config.json) in it; expected a study "
                                   "folder or a workdir")
        for workdir in workdirs:
            if not (workdir / "eval").exists() and not (_stages_of(workdir) & _EVAL_PRODUCING_STAGES):
                notes.append(f"left out {workdir}: its stages produce no evals (a shared pretraining base)")
                continue
            runs.append(load_run(workdir))

    seen: dict[tuple[str, int], Path] = {}
    for run in runs:
        if (run.arm, run.seed) in seen:
            raise ReportInputError(f"two workdirs for arm {run.arm!r} seed {run.seed}: {seen[(run.arm, run.seed)]} "
                                   f"and {run.workdir}; pass only one of them")
        seen[(run.arm, run.seed)] = run.workdir
    found = {run.workdir.resolve() for run in runs}
    for arm, seed, workdir, folder in expected:
        if workdir.resolve() not in found and (arm, seed) not in seen:
            notes.append(f"missing run: arm {arm} seed {seed} (listed in {folder / 'study.json'}, no workdir found)")
    if not runs:
        raise ReportInputError(f"no runs found in {', '.join(map(str, folders))}")

    present = {run.arm for run in runs}
    order = [a for a in study_arms if a in present]
    order += [a for a in CANONICAL_ARM_ORDER if a in present and a not in order]
    order += sorted(present - set(order))
    runs.sort(key=lambda r: (order.index(r.arm), r.seed))
    return Study(runs, order, notes)
