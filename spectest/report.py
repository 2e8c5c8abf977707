"""The end-of-run report: a table per proposal, JSON and Markdown forms.

The JSON shape is fixed (CI and other tools read it)::

    {"engine": str,
     "testsuite": {"path": str, "commit": str | null},
     "totals": {"passed": n, "failed": n, "skipped": n},
     "proposals": {name: {"files": n, "passed": n, "failed": n, "skipped": n}},
     "files": {relpath: {"proposal": str,
                         "converter": "wast2json" | "wasm-tools" | null,
                         "passed": n, "failed": n, "skipped": n,
                         "failures": [{"line": n, "command": str, "message": str}]}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .proposals import report_order
from .results import FileResult

__all__ = ["RunReport", "pass_percent"]


def pass_percent(passed: int, failed: int, skipped: int) -> float:
    """passed / all commands, in percent (100 for an empty set)."""
    total = passed + failed + skipped
    return 100.0 * passed / total if total else 100.0


@dataclass
class RunReport:
    """Everything a run produced."""

    engine: str
    testsuite_path: Optional[str]
    testsuite_commit: Optional[str]
    files: dict[str, FileResult] = field(default_factory=dict)

    def add(self, result: FileResult) -> None:
        """Record one file's results."""
        self.files[result.relpath] = result

    def extend(self, results: Iterable[FileResult]) -> None:
        for r in results:
            self.add(r)

    # -- aggregation ---------------------------------------------------------------

    def totals(self) -> dict[str, int]:
        """Command counts over all files."""
        return {
            "passed": sum(f.passed for f in self.files.values()),
            "failed": sum(f.failed for f in self.files.values()),
            "skipped": sum(f.skipped for f in self.files.values()),
        }

    def proposals(self) -> dict[str, dict[str, int]]:
        """Per proposal: number of files and command counts (table order)."""
        rows: dict[str, dict[str, int]] = {}
        for f in self.files.values():
            row = rows.setdefault(f.proposal, {"files": 0, "passed": 0, "failed": 0, "skipped": 0})
            row["files"] += 1
            row["passed"] += f.passed
            row["failed"] += f.failed
            row["skipped"] += f.skipped
        return {name: rows[name] for name in report_order(set(rows))}

    def skip_reasons(self) -> dict[str, int]:
        """Skip reason -> count over all files."""
        out: dict[str, int] = {}
        for f in self.files.values():
            for reason, n in f.skip_reasons().items():
                out[reason] = out.get(reason, 0) + n
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    # -- output forms ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The report in the documented JSON shape."""
        files = {}
        for relpath in sorted(self.files):
            f = self.files[relpath]
            files[relpath] = {
                "proposal": f.proposal,
                "converter": f.converter,
                "passed": f.passed,
                "failed": f.failed,
                "skipped": f.skipped,
                "failures": [{"line": r.line, "command": r.kind, "message": r.message}
                             for r in f.failures()],
            }
        return {
            "engine": self.engine,
            "testsuite": {"path": self.testsuite_path, "commit": self.testsuite_commit},
            "totals": self.totals(),
            "proposals": self.proposals(),
            "files": files,
        }

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    def _rows(self) -> list[list[str]]:
        rows = []
        for name, row in self.proposals().items():
            pct = pass_percent(row["passed"], row["failed"], row["skipped"])
            rows.append([name, str(row["files"]), str(row["passed"]), str(row["failed"]),
                         str(row["skipped"]), f"{pct:.1f}"])
        t = self.totals()
        pct = pass_percent(t["passed"], t["failed"], t["skipped"])
        rows.append(["total", str(len(self.files)), str(t["passed"]), str(t["failed"]),
                     str(t["skipped"]), f"{pct:.1f}"])
        return rows

    _HEADER = ["proposal", "files", "passed", "failed", "skipped", "pass %"]

    def table(self) -> str:
        """The per-proposal table as aligned plain text."""
        rows = [self._HEADER] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEADER))]
        lines = []
        for n, r in enumerate(rows):
            cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
            lines.append("  ".join(cells))
            if n == 0 or n == len(rows) - 2:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def markdown(self) -> str:
        """The per-proposal table in Markdown, with a title line."""
        commit = self.testsuite_commit or "unknown"
        out = [f"Conformance of `{self.engine}` (testsuite {commit[:12]})", "",
               "| " + " | ".join(self._HEADER) + " |",
               "|" + "|".join(["---"] + ["---:"] * (len(self._HEADER) - 1)) + "|"]
        for r in self._rows():
            cells = list(r)
            if cells[0] == "total":
                cells = [f"**{c}**" for c in cells]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out) + "\n"

    def write_markdown(self, path: Path) -> None:
        Path(path).write_text(self.markdown(), encoding="utf-8")
