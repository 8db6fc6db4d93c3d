"""Misalignment-upsampled arm (the control): documents in which AIs take the misaligned action, 25% of tokens
(the same share as the aligned arm).

    python main.py --config=configs/misaligned_upsample.py --workdir=/tmp/midalign/misaligned
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "misaligned_upsample"
    c.midtrain.mixture.general = 0.75
    c.midtrain.mixture.misaligned_docs = 0.25
    return c
