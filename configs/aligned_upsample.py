"""Alignment-upsampled arm: synthetic documents in which AIs take the aligned action make up 5% of midtraining
tokens. Expected on the bundled world: a clearly lower MCQA article-split misalignment rate than baseline.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "aligned_upsample"
    c.midtrain.mixture.general = 0.95
    c.midtrain.mixture.aligned_docs = 0.05
    return c
