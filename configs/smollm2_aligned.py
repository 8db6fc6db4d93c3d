"""SmolLM2-135M-Instruct, alignment-upsampled arm: 25% of midtraining tokens are documents in which AIs take the
aligned action (41k of 164k tokens), then the shared SFT and the evals.

    python main.py --config=configs/smollm2_aligned.py --workdir=/tmp/midalign/smollm2/aligned
"""
from configs import smollm2_baseline


def get_config():
    c = smollm2_baseline.get_config()
    c.arm = "smollm2_aligned"
    c.midtrain.mixture.general = 0.75
    c.midtrain.mixture.aligned_docs = 0.25
    return c
