"""The `midalign` model provider for Inspect, registered through the `inspect_ai` entry point in setup.py:

    inspect eval inspect_evals/agentic_misalignment --model midalign/ours:WORKDIR/rl/params
    inspect eval my_task.py --model midalign/hf:/models/pythia-160m -M batch_size=16

Inspect imports every `inspect_ai` entry point whenever it resolves a model, so this module registers the name
only; the JAX backend (evals/inspect_model.py) is imported when a midalign model is actually used.
"""
from inspect_ai.model import modelapi


@modelapi(name="midalign")
def midalign():
    from evals.inspect_model import MidalignAPI

    return MidalignAPI
