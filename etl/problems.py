"""Problems found in input files: each names the file, the row and the column, so a user can fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Where a PDF table row sits: "p12" (page 12) or "p12L" / "p12R" (a half of a 2-up spread), see etl/pdf.py.
PDF_PAGE = re.compile(r"^p(\d+)([LR]?)$")
HALVES = {"L": ", left half", "R": ", right half", "": ""}


def is_pdf(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".pdf"


def located(path: str | Path, sheet: str) -> str:
    """How problems name a part of a file: 'report.xlsx [sheet 总指数]' or 'report.pdf, page 12'."""
    page = PDF_PAGE.match(sheet) if sheet and is_pdf(path) else None
    if page:
        return f"{path}, page {page.group(1)}{HALVES[page.group(2)]}"
    return f"{path} [sheet {sheet}]" if sheet else str(path)


def source_name(path: Path, sheet: str) -> str:
    """The file part of an observation's source_ref: 'report.xlsx#总指数', 'report.pdf:p12' (then ':row')."""
    if not sheet:
        return path.name
    return f"{path.name}:{sheet}" if is_pdf(path) else f"{path.name}#{sheet}"


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
