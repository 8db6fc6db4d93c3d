"""RLVR only, on the bundled world, from an arm's midtrained checkpoint (the arm configs already include RL;
this one re-runs it, e.g. with another algorithm or seed, without retraining):

    python main.py --config=configs/rl_world.py --workdir=/tmp/midalign/aligned_rl_seed1 \
        --config.rl.init_from=/tmp/midalign/aligned/midtrain/params --config.seed=1

Expect rl/reward_mean and eval/task_accuracy to rise over the run, with eval/mcqa/* logged every
rl.eval_every steps (rl/eval_log.jsonl holds the alignment-rate-vs-step curve).
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "rl_world"
    c.stages = "rl,eval"
    c.eval.tasks = "mcqa,capabilities"
    return c
