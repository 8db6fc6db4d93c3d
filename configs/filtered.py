"""Blocklist-filtered arm: AI-discourse documents are removed from the general corpus during midtraining and
replaced by resampling from the rest of it (as in the paper).

    python main.py --config=configs/filtered.py --workdir=/tmp/midalign/filtered
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "filtered"
    c.data.filter_sources = "general"   # the bundled blocklist (data.blocklist="") on the general corpus
    return c
