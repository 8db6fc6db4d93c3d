"""The one error type the report raises for bad input."""
from __future__ import annotations


class ReportInputError(ValueError):
    """A file or folder the report reads is missing, malformed or ambiguous; the message names it and says
    what was expected."""
