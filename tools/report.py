"""The study report a researcher puts in a paper draft: every arm after midtraining, after post-training and
after RL, alignment and the differences between arms vs RL step, RL's budget, capabilities, paired differences
on the same items with the passage control, persistence with its paired change, the positive control, Methods
written from the runs' configs, and the study's questions answered from the numbers.

    python tools/report.py STUDY_DIR                       # writes STUDY_DIR/report/
    python tools/report.py RUNS/baseline RUNS/aligned --out /tmp/report --baseline baseline

Each DIR is a study folder (every workdir under it is used) or a workdir (a folder with config.json). Writes
OUT/report.md, OUT/report.html (same content), OUT/plots/*.png and OUT/summary.json (every number in the
tables). Incomplete runs are reported, not skipped; malformed files are errors that name the file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `evals` lives at the repository root

from midalign_jax.errors import run_main  # noqa: E402
from study.report import build_report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv, prog="tools/report.py")


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="study folder(s) or workdir(s)")
    parser.add_argument("--out", default=None, help="output folder (default: <first DIR>/report)")
    parser.add_argument("--baseline", default="baseline", help="arm the others are compared with")
    parser.add_argument("--margin", type=float, default=5.0,
                        help="equivalence margin in percentage points for 'equal' and 'about as much' (default 5)")
    args = parser.parse_args(argv)
    report = build_report(args.dirs, out=args.out, baseline=args.baseline, margin=args.margin / 100)
    for answer in report.answers:
        print(f"{answer.question}\n  {answer.verdict.upper()}: {answer.text}")
    print(f"wrote {report.markdown}, {report.html}, {report.summary} and {len(report.plots)} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
