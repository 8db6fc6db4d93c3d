"""`python -m evals`: see evals/cli.py. Bad input (an item file, a model spec, a path) is one line on stderr and exit
status 2; `--traceback` shows the full trace."""
import sys

from evals.cli import main
from midalign_jax.errors import run_main

if __name__ == "__main__":
    sys.exit(run_main(main, prog="python -m evals"))
