"""The study report: arms side by side after midtraining, after post-training and after RL, alignment and the
differences between arms vs RL step, RL's budget, capabilities, paired differences on the same items with the
passage control, persistence with its paired change, the positive control, Methods from the configs, and the
study's questions answered from the numbers.

    from study.report import build_report
    report = build_report(["/runs/study"], out="/runs/study/report")   # report.md, report.html, summary.json

The command line is tools/report.py.
"""
from study.report.build import Report, build_report, write_report
from study.report.errors import ReportInputError

__all__ = ["Report", "ReportInputError", "build_report", "write_report"]
