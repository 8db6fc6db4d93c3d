"""Task lookup by name, including weighted combinations written as a spec string.

``get_task("countdown")`` builds one task; ``get_task("countdown+0.1*format", num_numbers=(3, 3))`` builds a
`WeightedTask` whose first term supplies the problems and receives the keyword arguments, and whose other
terms are built with their defaults. Config files can therefore name the whole reward in one string.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from rl.tasks.agent_files import AgentFilesTask
from rl.tasks.answer_tags import AnswerTagFormat
from rl.tasks.arithmetic import ArithmeticTask
from rl.tasks.combine import WeightedTask
from rl.tasks.countdown import CountdownTask
from rl.tasks.gsm8k import GSM8KTask
from rl.tasks.mcqa_choice import MCQAChoiceTask

_FACTORIES: dict[str, Callable[..., Any]] = {
    "arithmetic": ArithmeticTask,
    "gsm8k": GSM8KTask,
    "countdown": CountdownTask,
    "format": AnswerTagFormat,
    "agent_files": AgentFilesTask,
    "mcqa_choice": MCQAChoiceTask,
}
_TERM_RE = re.compile(r"\s*(?:(?P<weight>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*\s*)?(?P<name>[A-Za-z_][\w]*)\s*")


def register_task(name: str, factory: Callable[..., Any]) -> None:
    """Make ``factory(**kwargs)`` available as ``get_task(name, **kwargs)``."""
    if name in _FACTORIES:
        raise ValueError(f"task {name!r} is already registered")
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"task names must be identifiers, got {name!r}")
    _FACTORIES[name] = factory


def task_names() -> tuple[str, ...]:
    return tuple(sorted(_FACTORIES))


def _build(name: str, kwargs: dict[str, Any]) -> Any:
    if name not in _FACTORIES:
        raise KeyError(f"unknown task {name!r}; known: {', '.join(task_names())}")
    try:
        return _FACTORIES[name](**kwargs)
    except TypeError as e:
        raise TypeError(f"task {name!r}: bad arguments {sorted(kwargs)}: {e}") from e


def get_task(name: str, **kwargs: Any) -> Any:
    """A task by name, or a weighted sum ``"task+w*other"`` (kwargs go to the first term)."""
    if "+" not in name and "*" not in name:
        return _build(name.strip(), kwargs)
    terms = []
    for part in name.split("+"):
        match = _TERM_RE.fullmatch(part)
        if match is None:
            raise ValueError(f"bad reward spec {name!r}: term {part!r} is not 'name' or 'weight*name'")
        terms.append((match.group("name"), float(match.group("weight") or 1.0)))
    (first, first_weight), rest = terms[0], terms[1:]
    components = [(_build(term, {}), weight) for term, weight in rest]
    return WeightedTask(_build(first, kwargs), components, primary_weight=first_weight)


def task_args(rl_cfg, names: list[str]) -> list[dict[str, Any]]:
    """The keyword arguments of each task named in `rl.task`: `rl.task_args` is a JSON object of keyword
    arguments for the (first term of the) one task, or, with several tasks, an object keyed by task name."""
    text = str(rl_cfg.get("task_args") or "").strip()
    if not text:
        return [{} for _ in names]
    try:
        args = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"rl.task_args: not valid JSON ({e.msg} at character {e.pos}): {text!r}") from e
    if not isinstance(args, dict):
        raise ValueError(f"rl.task_args: expected a JSON object of keyword arguments, got {text!r}")
    if len(names) == 1:
        return [args]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise ValueError(f"rl.task_args: keys {unknown} name no task of rl.task={';'.join(names)!r}; with several "
                         "tasks, task_args maps each task name to its keyword arguments")
    return [dict(args.get(name, {})) for name in names]


def task_from_config(rl_cfg) -> Any:
    """The task of an `rl` config section naming one task: `rl.task` (a spec) with `rl.task_args`."""
    return get_task(rl_cfg.task, **task_args(rl_cfg, [str(rl_cfg.task)])[0])
