"""SmolLM2-135M-Instruct, baseline arm: midtraining on the world's general corpus only, then the shared SFT, then
the evals (after midtraining and after SFT).

    python main.py --config=configs/smollm2_baseline.py --workdir=/tmp/midalign/smollm2/baseline

Midtraining: 40 steps x 8 rows x 512 tokens = 164k tokens from the checkpoint (about 14 minutes on a quiet 2-core
CPU: ~20 s per step, docs/real_model/README.md), lr 1e-4 with cosine decay. The aligned / misaligned arms (smollm2_aligned.py, smollm2_misaligned.py)
differ only in the mix.
"""
from configs import smollm2_eval, smollm2_sft


def get_config():
    c = smollm2_eval.get_config()
    c.arm = "smollm2_baseline"
    c.stages = "midtrain,sft,eval"
    c.midtrain.init_from = smollm2_eval.MODEL_DIR
    c.midtrain.steps = 40
    c.midtrain.batch_size = 8
    c.midtrain.seq_len = 512
    c.midtrain.lr = 1e-4
    c.midtrain.warmup_steps = 4
    c.midtrain.eval_every = 0
    c.midtrain.log_every = 4
    c.midtrain.checkpoint_every = 20
    smollm2_sft.sft_section(c)     # sft starts from the midtrained params
    c.eval.init_from = ""          # eval/final = after SFT, eval/midtrain = after midtraining
    return c
