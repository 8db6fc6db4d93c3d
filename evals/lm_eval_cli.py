"""lm-evaluation-harness's own command line, with our model registered under the name `midalign`:

    python -m evals.lm_eval_cli run --model midalign --model_args spec=ours:WORKDIR/rl/params \\
        --tasks hellaswag --output_path runs/lm_eval

lm-eval 0.4 finds a model only among the classes imported into its registry and has no plugin entry point for them,
so its `lm-eval` script cannot see ours; this module imports the adapter, then hands over to lm-eval's CLI
unchanged (every lm-eval flag works; results are written in lm-eval's own format under --output_path).
"""
from lm_eval.__main__ import cli_evaluate

import evals.lm_eval_adapter  # noqa: F401  (registers the "midalign" model)

if __name__ == "__main__":
    cli_evaluate()
