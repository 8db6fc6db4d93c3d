"""Conditional-training arm (Korbak et al. 2023): aligned and misaligned documents are both upsampled, each
document prefixed with a tag token (<|good|> for aligned, <|bad|> for misaligned), so the model learns both
behaviours but conditioned on the tag; prompting with <|good|> at eval time selects the aligned one.

    python main.py --config=configs/conditional.py --workdir=/tmp/midalign/conditional
    python tools/inspect_data.py --config=configs/conditional.py   # shows the tags in decoded rows
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "conditional"
    c.data.conditional_tags = "aligned_docs=<|good|>,misaligned_docs=<|bad|>"
    c.midtrain.mixture.general = 0.5
    c.midtrain.mixture.aligned_docs = 0.25
    c.midtrain.mixture.misaligned_docs = 0.25
    return c
