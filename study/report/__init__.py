"""The study report: arms side by side after midtraining and after RL, alignment vs RL step, capabilities,
paired differences on the same items, and the study's questions answered from the numbers.

    from study.report import build_report
    report = build_report(["/runs/study"], out="/runs/study/report")   # report.md, report.html, summary.json

The command line is tools/report.py.
"""
from study.report.build import Report, build_report, write_report
from study.report.errors import ReportInputError

__all__ = ["Report", "ReportInputError", "build_report", "write_report"]
