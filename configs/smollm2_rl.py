"""SmolLM2-135M-Instruct, a few RLVR steps on GSM8K-format word problems: the RL loop at the size of a real model.

    python main.py --config=configs/smollm2_rl.py --workdir=/tmp/midalign/smollm2/rl

rl.task gsm8k with no data files draws synthetic grade-school problems (rl/tasks/gsm8k_synthetic.py). Each problem
("Question: ...\nAnswer:") is the user turn of a ChatML conversation (rl.prompt_format chat), the layout this
instruct model answers in (as plain text, a 3-step trial had reward 0.0 in every group). The model was never taught
GSM8K's "#### 42" line, so the reward reads the last number of the completion (answer_mode last_number), which ends
at the model's end of turn. Each step samples 4 prompts x 4 completions of up to 128 tokens; TensorBoard
(WORKDIR/rl/tb) has rl/time_sampling_s and rl/time_learning_s per step, and eval/task_accuracy (greedy, 32 held-out
problems) before and after. Public GSM8K instead:
--config.rl.task_args='{"train_path": ".../train.jsonl", "test_path": ".../test.jsonl", "answer_mode": "last_number"}'.
"""
from configs import smollm2_eval


def get_config():
    c = smollm2_eval.get_config()
    c.arm = "smollm2_rl"
    c.stages = "rl"
    c.rl.init_from = smollm2_eval.MODEL_DIR
    c.eval.init_from = ""
    c.rl.task = "gsm8k"
    c.rl.task_args = '{"answer_mode": "last_number"}'
    c.rl.train_problems = 256          # synthetic problems are unbounded: draw this many per split
    c.rl.test_problems = 32
    c.rl.steps = 5
    c.rl.prompts_per_step = 4
    c.rl.group_size = 4
    c.rl.max_new_tokens = 128          # room for a few lines of working before the answer
    c.rl.stop = ""                     # the end-of-turn token ends a completion, not the first newline
    c.rl.prompt_format = "chat"
    c.rl.lr = 2e-6                     # a pretrained 135M model: small steps (the tiny world's 8e-4 would wreck it)
    c.rl.schedule = "constant"
    c.rl.min_lr_ratio = 1.0
    c.rl.warmup_steps = 1
    c.rl.eval_every = 0                # held-out accuracy before and after only
    c.rl.eval_tasks = "task"
    c.rl.log_every = 1
    c.rl.checkpoint_every = 5
    return c
