"""Alignment-upsampled arm: synthetic documents in which AIs take the aligned action make up 25% of
midtraining tokens (a tiny model that sees 0.6M midtraining tokens needs a large share; real runs use far
less). Expected on the bundled world: a clearly lower MCQA article-split misalignment rate than baseline.

    python main.py --config=configs/aligned_upsample.py --workdir=/tmp/midalign/aligned
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "aligned_upsample"
    c.midtrain.mixture.general = 0.75
    c.midtrain.mixture.aligned_docs = 0.25
    return c
