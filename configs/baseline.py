"""Baseline arm: midtraining on the unfiltered general corpus only (no synthetic documents).

    python main.py --config=configs/baseline.py --workdir=/tmp/midalign/baseline
"""
from configs import common


def get_config():
    c = common.get_config()
    c.arm = "baseline"
    return c
