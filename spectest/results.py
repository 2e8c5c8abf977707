"""Per-command and per-file results, and their plain-data form (which
pytest-xdist carries from workers to the controller)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["PASSED", "FAILED", "SKIPPED", "CommandResult", "FileResult"]

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(slots=True)
class CommandResult:
    """The outcome of one command: ``message`` is the failure (expected vs
    got) or the skip reason."""

    key: str
    line: int
    kind: str
    status: str
    message: str = ""

    def to_data(self) -> list[Any]:
        return [self.key, self.line, self.kind, self.status, self.message]

    @classmethod
    def from_data(cls, data: list[Any]) -> "CommandResult":
        return cls(*data)


@dataclass(slots=True)
class FileResult:
    """All command results of one script."""

    relpath: str
    proposal: str
    converter: Optional[str]
    results: list[CommandResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many commands ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def passed(self) -> int:
        return self.count(PASSED)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def skipped(self) -> int:
        return self.count(SKIPPED)

    def failures(self) -> list[CommandResult]:
        """The failed commands, in script order."""
        return [r for r in self.results if r.status == FAILED]

    def passed_keys(self) -> set[str]:
        """Keys of the commands that passed (what the baseline records)."""
        return {r.key for r in self.results if r.status == PASSED}

    def skip_reasons(self) -> dict[str, int]:
        """Skip reason -> count."""
        out: dict[str, int] = {}
        for r in self.results:
            if r.status == SKIPPED:
                out[r.message] = out.get(r.message, 0) + 1
        return out

    def to_data(self) -> dict[str, Any]:
        return {"relpath": self.relpath, "proposal": self.proposal, "converter": self.converter,
                "results": [r.to_data() for r in self.results]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "FileResult":
        return cls(data["relpath"], data["proposal"], data["converter"],
                   [CommandResult.from_data(r) for r in data["results"]])
