"""A problem `paperledge validate` found, and how the lines about them are worded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"
NOTE = "note"
"""What validate reports that needs nothing done (whose Content Credentials a file carries)."""


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
    n_err, n_warn = len(errors(problems)), sum(p.severity == WARNING for p in problems)
    if not n_err:
        verdict = "ready to publish"
        return f"{what}: {verdict}" + (f" ({plural(n_warn, 'warning')})" if n_warn else "")
    return f"{what}: {plural(n_err, 'error')}, {plural(n_warn, 'warning')}; not ready to publish"


def credential_problems(path: Path, data: bytes | None = None) -> list[Problem]:
    """The file's Content Credentials as the C2PA reference reader judges them: changed bytes
    fail it; none at all is a warning (the EU AI Act asks for machine-readable marking); valid
    ones are a note naming the signer."""
    from ..credentials.read import MISSING, TAMPERED, UNREADABLE, read_credentials

    found = read_credentials(path, data=data)
    if found.verdict in (TAMPERED, UNREADABLE):
        return [Problem(path, found.line() + ": make it again")]
    if found.verdict == MISSING or not found.generated or not found.ours:
        return [Problem(path, found.line(), WARNING)]
    return [Problem(path, found.line(), NOTE)]
