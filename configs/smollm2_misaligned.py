"""SmolLM2-135M-Instruct, misalignment-upsampled arm (the control): 25% of midtraining tokens are documents in which
AIs take the misaligned action, then the shared SFT and the evals.

    python main.py --config=configs/smollm2_misaligned.py --workdir=/tmp/midalign/smollm2/misaligned
"""
from configs import smollm2_baseline


def get_config():
    c = smollm2_baseline.get_config()
    c.arm = "smollm2_misaligned"
    c.midtrain.mixture.general = 0.75
    c.midtrain.mixture.misaligned_docs = 0.25
    return c
