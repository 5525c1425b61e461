"""The import report: what loaded, and every row that did not, with where and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from question_bank.errors import message

if TYPE_CHECKING:
    from question_bank.schema import Question

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One rejected row: ``row`` as the spreadsheet or editor shows it (1-based)."""

    row: int | None
    column: str | None
    code: str
    message: str

    @classmethod
    def of(cls, row: int | None, column: str | None, code: str, **details: object) -> Problem:
        return cls(row, column, code, message(code, column=column or "", **details))

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class Report(Generic[T]):
    """What a reader made of one file: accepted items and rejected rows, in file order."""

    filename: str
    format: str
    accepted: list[T] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def reject(self, problem: Problem) -> None:
        self.rejected.append(problem)

    def rejected_rows(self) -> list[int | None]:
        """Row numbers with at least one problem, in order, each once."""
        seen: dict[int | None, None] = {}
        for problem in self.rejected:
            seen.setdefault(problem.row, None)
        return list(seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "format": self.format,
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": [problem.as_dict() for problem in self.rejected],
        }


QuestionReport: TypeAlias = "Report[Question]"
