"""Errors raised by the data pipeline, and the policy for records that cannot be used.

Every error names where the problem is (file and line, or file and record) and what was expected, so a bad
record in a corpus of billions of tokens can be found and fixed. `on_bad_record='skip'` turns per-record
errors into counted skips; the counts are part of the iterator state and are logged.
"""
from __future__ import annotations

import logging

log = logging.getLogger("midalign_jax.data")

BAD_RECORD_POLICIES = ("error", "skip")


class DataError(ValueError):
    """Data that the pipeline cannot use: a missing or empty file, an unknown source, a bad config value."""


class BadRecordError(DataError):
    """One record (a JSONL line, a Parquet row, an ArrayRecord record) that cannot be used.

    `where` names the file and the line or record ("corpus.jsonl line 17"), `reason` is a short machine-friendly
    category used for the skip counts ("malformed_json", "missing_field", "not_utf8", "empty", "too_long",
    "bad_chat"), and `detail` says what was found and what was expected.
    """

    def __init__(self, where: str, reason: str, detail: str):
        self.where = where
        self.reason = reason
        self.detail = detail
        super().__init__(f"{where}: {detail}")


def check_policy(policy: str) -> str:
    if policy not in BAD_RECORD_POLICIES:
        raise DataError(f"data.on_bad_record={policy!r}: expected one of {BAD_RECORD_POLICIES}")
    return policy
