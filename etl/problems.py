"""Problems found in input files: each names the file, the row and the column, so a user can fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            kind = "key" if self.file.endswith((".yml", ".yaml")) else "column"
            where.append(f"{kind} {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class Problems:
    """Collects every problem of a run instead of stopping at the first (lazy validation)."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str | Path, message: str, row: int | None = None, column: str | None = None,
            severity: str = "error") -> None:
        self.items.append(Problem(str(file), message, row, column, severity))

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise InputError(self)


class InputError(Exception):
    """Raised when input files are invalid; carries every problem found."""

    def __init__(self, problems: Problems | Problem):
        if isinstance(problems, Problem):
            problems = Problems([problems])
        self.problems = problems
        super().__init__(self.report())

    def report(self, limit: int = 200) -> str:
        errors = self.problems.errors
        lines = [f"{len(errors)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in errors[:limit]]
        if len(errors) > limit:
            lines.append(f"  … and {len(errors) - limit} more")
        return "\n".join(lines)
