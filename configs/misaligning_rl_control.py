"""Positive control for persistence: the aligned arm's midtraining and post-training, then the same RL plus a task
whose reward pays for the misaligned option of two-option choices (new instances of the article scenarios, never
the eval's items: rl/tasks/mcqa_choice.py). Without it, "the difference persists through RL" could not be told
apart from "RL cannot move MCQA". Expected: the aligned arm's article-split advantage shrinks or reverses.

    python main.py --config=configs/misaligning_rl_control.py --workdir=/tmp/midalign/control
    python tools/run_study.py --study_dir=/tmp/study --arms=baseline,aligned_upsample,misaligning_rl_control
"""
import json

from configs import aligned_upsample


def get_config():
    c = aligned_upsample.get_config()
    c.arm = "aligned_upsample+misaligning_rl"
    c.rl.task = c.rl.task + ";mcqa_choice"
    c.rl.task_prompts = f"{c.rl.prompts_per_step},16"
    c.rl.task_args = json.dumps({c.rl.task.split(";")[0]: json.loads(c.rl.task_args),
                                 "mcqa_choice": {"reward_for": "misaligned"}})
    return c
