"""Verifiable RL tasks: deterministic offline problem sets with exact, adversarially robust checkers.

Typical use::

    from rl.tasks import get_task
    task = get_task("countdown+0.1*format", answer_tags_hint=True)
    problems = task.problems("train", n=1024, seed=0)
    rewards = [task.reward(p, completion) for p, completion in zip(problems, completions)]
"""
from rl.tasks.answer_tags import AnswerTagFormat
from rl.tasks.arithmetic import ArithmeticTask
from rl.tasks.base import Problem, RewardFn, Task
from rl.tasks.combine import WeightedTask
from rl.tasks.countdown import CountdownTask
from rl.tasks.gsm8k import GSM8KTask, read_gsm8k_jsonl
from rl.tasks.registry import get_task, register_task, task_from_config, task_names

__all__ = [
    "AnswerTagFormat", "ArithmeticTask", "CountdownTask", "GSM8KTask", "Problem", "RewardFn", "Task",
    "WeightedTask", "get_task", "read_gsm8k_jsonl", "register_task", "task_from_config", "task_names",
]
