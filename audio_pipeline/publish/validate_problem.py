"""A problem `paperledge validate` found, and how the lines about them are worded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    severity: str = ERROR

    def line(self) -> str:
        return f"{self.path}: {self.severity}: {self.message}"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """ "1 episode", "2 episodes" (`many` for an irregular plural)."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def summary(problems: list[Problem], what: Path) -> str:
    """The closing line: how many errors and warnings, and whether a directory would accept it."""
    n_err, n_warn = len(errors(problems)), len(problems) - len(errors(problems))
    if not n_err:
        verdict = "ready to publish"
        return f"{what}: {verdict}" + (f" ({plural(n_warn, 'warning')})" if n_warn else "")
    return f"{what}: {plural(n_err, 'error')}, {plural(n_warn, 'warning')}; not ready to publish"
