"""Findings: one problem in one place, collected as values and reported once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is: errors fail the check, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """A problem in a file, with where it is, what is wrong and how to fix it."""

    file: str
    line: int = 0
    column: int = 0
    path: str = ""
    message: str = ""
    hint: str = ""
    code: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        """`file:line:column`, leaving out what is unknown."""
        parts = [self.file]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass
class CheckResult:
    """Everything `personas check` found, plus what it looked at."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list, repr=False)  # loaded persona documents
    manifest: Any = field(default=None, repr=False)  # the research manifest the rules used

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted(self) -> list[Finding]:
        """Findings by file, then line; findings about a whole folder (such as the persona budget over
        personas/) after those of the files in it, which they build on."""
        files = {f.file for f in self.findings}
        folders = {
            f.file for f in self.findings if not f.line and any(o.startswith(f"{f.file}/") for o in files)
        }

        def key(f: Finding) -> tuple[str, int, int, str, str]:
            return (
                f"{f.file}/\U0010ffff" if f.file in folders else f.file,
                f.line,
                f.column,
                f.path,
                f.message,
            )

        return sorted(self.findings, key=key)
