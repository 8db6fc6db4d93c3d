"""SmolLM2-135M-Instruct, untouched: the eval suite only, with the model's own tokenizer and ChatML template.

    python tools/fetch_model.py smollm2-135m-instruct --out=$HOME/.cache/midalign_jax/models/smollm2-135m-instruct
    python main.py --config=configs/smollm2_eval.py --workdir=/tmp/midalign/smollm2/eval

Writes WORKDIR/eval/final/results.json: MCQA on the world's article and textbook splits (with the passage-ablated
control), chat, agentic with competence gates, capabilities. The untouched model made no tool call in our
`<call>` format (0 of 20 episodes), so its agentic rates are "not measurable" (docs/real_model/README.md). Add
`--config.eval.limit=20` for a quick look. Every smollm2_* config finds the model in
$MIDALIGN_CACHE/models/smollm2-135m-instruct (default ~/.cache/midalign_jax/...); elsewhere, override
`data.tokenizer` and the first stage's `init_from` (here `--config.eval.init_from=DIR`).
"""
import os
from pathlib import Path

from configs import common

MODEL_DIR = str(Path(os.environ.get("MIDALIGN_CACHE") or "~/.cache/midalign_jax").expanduser()
                / "models" / "smollm2-135m-instruct")


def get_config():
    c = common.get_config()
    c.arm = "smollm2"
    c.stages = "eval"
    c.model.preset = "smollm2-135m"   # the shapes; the architecture itself is read from the checkpoint
    c.data.tokenizer = MODEL_DIR      # the model's own tokenizer (49,152 tokens) and chat template
    c.data.chat_template = "tokenizer"   # ChatML, as the evals render it; SFT finds its replies by rendering
    c.eval.init_from = MODEL_DIR
    # Training stages: a rolled layer scan with full remat holds 1.8 GiB of temporaries at 4 x 1024 tokens where
    # storing every layer's activations takes 10 GiB, for ~10-15% more time per step.
    c.model.remat = "full"
    # 8 rows: measured to fit (8.2 GB peak with the agentic eval's ~1.5k-token prompts); a prefill's logits alone
    # are rows x tokens x 49,152 floats.
    c.eval.batch_size = 8
    return c
