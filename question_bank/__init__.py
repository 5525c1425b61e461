"""Question banks without a web framework: the canonical schema, readers for every
accepted format, the import report, and writers. Nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

from question_bank.errors import BankFileError
from question_bank.readers import read_bank
from question_bank.report import Problem, Report
from question_bank.schema import TYPE_LABELS, TYPES, Question
from question_bank.writers import template_xlsx, to_csv, to_json, to_xlsx, to_yaml

__all__ = [
    "TYPES",
    "TYPE_LABELS",
    "BankFileError",
    "Problem",
    "Question",
    "Report",
    "read_bank",
    "template_xlsx",
    "to_csv",
    "to_json",
    "to_xlsx",
    "to_yaml",
]
