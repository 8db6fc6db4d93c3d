"""RLVR on a real model on a pod: Qwen2.5-0.5B (a local HF directory), GSM8K word problems, FSDP over all chips,
bfloat16 compute, evals every 50 RL steps. Point the paths at your copies:

    python main.py --config=configs/rl_qwen_pod.py --workdir=/mnt/runs/qwen_rl \
        --config.rl.init_from=/mnt/models/Qwen2.5-0.5B --config.data.tokenizer=/mnt/models/Qwen2.5-0.5B \
        --config.rl.task=gsm8k

On a TPU pod, start the same command on every worker with tools/launch_tpu_pod.sh; on SLURM, tools/launch_slurm.sh.
To use the real GSM8K files, register a task (rl.tasks.register_task) wrapping GSM8KTask(train_path=..., test_path=...)
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "rl_qwen_pod"
    c.stages = "rl,eval,export"
    c.model.preset = "qwen2.5-0.5b"      # replaced by the checkpoint's own config.json when init_from is an HF dir
    c.model.dtype = "bfloat16"
    c.model.remat = "dots_no_batch"
    c.mesh.data = 1
    c.mesh.fsdp = -1
    c.rl.task = "gsm8k"
    c.rl.task_args = ""
    c.rl.prompts_per_step = 64
    c.rl.group_size = 8
    c.rl.max_new_tokens = 512
    c.rl.stop = ""
    c.rl.steps = 500
    c.rl.lr = 1e-6
    c.rl.algo = "grpo"
    c.rl.eval_every = 50
    c.rl.eval_tasks = "task,mcqa"
    c.rl.train_problems = 4096
    c.rl.test_problems = 500
    c.rl.checkpoint_every = 50
    c.eval.batch_size = 64
    return c
