"""SmolLM2-135M-Instruct post-trained on the world's post-training set (agent tool-use episodes, chats, questions
about the assistant's conduct), then the eval suite: makes the model an agent in the evals' `<call>` format.

    python main.py --config=configs/smollm2_sft.py --workdir=/tmp/midalign/smollm2/sft

SFT renders every record with the model's ChatML template and trains on the assistant replies only (their
<|im_end|> included). Target: agentic valid-action rate >= 80% (the untouched model: 0%). Rows of 1024 tokens hold
whole episodes (up to ~540 SmolLM2 tokens); 4 rows x 1024 tokens a step, 40 steps = 164k tokens (30% of them
assistant tokens, the targets), lr 2e-4 with cosine decay.
"""
from configs import smollm2_eval


def sft_section(c):
    """The post-training every SmolLM2 run shares (this file and the arms)."""
    c.sft.steps = 40               # 24 steps gave 80% valid actions (16/20, docs/real_model): 40 for margin
    c.sft.batch_size = 4
    c.sft.seq_len = 1024
    c.sft.lr = 2e-4
    c.sft.warmup_steps = 3
    c.sft.eval_every = 0           # the held-out loss costs a forward per batch; the evals measure the result
    c.sft.log_every = 5
    c.sft.checkpoint_every = 20


def get_config():
    c = smollm2_eval.get_config()
    c.arm = "smollm2_sft"
    c.stages = "sft,eval"
    sft_section(c)
    c.sft.init_from = smollm2_eval.MODEL_DIR
    c.eval.init_from = ""          # evaluate the SFT's params
    return c
