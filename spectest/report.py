"""The end-of-run report: a table per proposal, JSON and Markdown forms, for
one engine (:class:`RunReport`) or several side by side (:class:`MultiReport`).

The JSON of one engine (``--json`` with one engine) has this shape; CI and
other tools read it, and ``python -m spectest merge`` reads it back::

    {"engine": str,
     "version": str,                       # the engine's own version string
     "testsuite": {"path": str, "commit": str | null},
     "totals": {"passed": n, "failed": n, "skipped": n},
     "proposals": {name: {"files": n, "passed": n, "failed": n, "skipped": n}},
     "files": {relpath: {"proposal": str,
                         "converter": "wast2json" | "wasm-tools" | "engine.text" | null,
                         "passed": n, "failed": n, "skipped": n,
                         "failures": [{"key": str, "line": n, "command": str,
                                       "message": str}],
                         "skips": [{"key": str, "line": n, "command": str,
                                    "message": str}],
                         "passed_keys": [str]}}}

``key`` is the command's identity in the baseline (its line, ``line.N`` for
the N-th command on a line); ``passed_keys`` lists the commands that passed,
so a merged report can be gated exactly like a direct run.

With several engines (``--engine a,b``) the file is::

    {"testsuite": {"path": str, "commit": str | null},
     "engines": {name: <the one-engine object above>}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .proposals import report_order
from .results import FAILED, PASSED, SKIPPED, CommandResult, FileResult

__all__ = ["RunReport", "MultiReport", "pass_percent", "ReportFormatError", "load_reports",
           "key_order"]


class ReportFormatError(Exception):
    """A JSON report cannot be read back."""


def pass_percent(passed: int, failed: int, skipped: int) -> float:
    """passed / all commands, in percent (100 for an empty set)."""
    total = passed + failed + skipped
    return 100.0 * passed / total if total else 100.0


def key_order(key: str) -> tuple[int, int]:
    """Sort key of a command key (``12``, ``12.2``): line, then position."""
    line, _, n = key.partition(".")
    try:
        return int(line), int(n or 1)
    except ValueError:
        return (0, 0)


def _entries(f: FileResult, status: str) -> list[dict[str, Any]]:
    return [{"key": r.key, "line": r.line, "command": r.kind, "message": r.message}
            for r in f.results if r.status == status]


@dataclass
class RunReport:
    """Everything one engine's run produced."""

    engine: str
    testsuite_path: Optional[str]
    testsuite_commit: Optional[str]
    files: dict[str, FileResult] = field(default_factory=dict)
    version: str = ""

    def add(self, result: FileResult) -> None:
        """Record one file's results."""
        self.files[result.relpath] = result

    def extend(self, results: Iterable[FileResult]) -> None:
        """Record several files' results."""
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

    def converters(self) -> dict[str, int]:
        """Converter -> number of scripts it converted ("not converted" for failures)."""
        out: dict[str, int] = {}
        for f in self.files.values():
            key = f.converter or "not converted"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def failures(self) -> list[tuple[str, CommandResult]]:
        """(relpath, result) of every failed command, by file then line."""
        return [(relpath, r) for relpath in sorted(self.files)
                for r in self.files[relpath].failures()]

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
                "failures": _entries(f, FAILED),
                "skips": _entries(f, SKIPPED),
                "passed_keys": sorted(f.passed_keys(), key=key_order),
            }
        return {
            "engine": self.engine,
            "version": self.version,
            "testsuite": {"path": self.testsuite_path, "commit": self.testsuite_commit},
            "totals": self.totals(),
            "proposals": self.proposals(),
            "files": files,
        }

    @classmethod
    def from_json(cls, data: Any) -> "RunReport":
        """A report read back from :meth:`to_json` (for merging)."""
        try:
            report = cls(str(data["engine"]), data["testsuite"]["path"],
                         data["testsuite"]["commit"], version=str(data.get("version") or ""))
            for relpath, f in data["files"].items():
                results = [CommandResult(str(k), key_order(str(k))[0], "", PASSED)
                           for k in f.get("passed_keys", [])]
                for status, name in ((FAILED, "failures"), (SKIPPED, "skips")):
                    for e in f.get(name, []):
                        results.append(CommandResult(str(e.get("key", e["line"])), int(e["line"]),
                                                     str(e["command"]), status, str(e["message"])))
                if len(results) != f["passed"] + f["failed"] + f["skipped"]:
                    raise ReportFormatError(
                        f"{relpath}: the report lists {len(results)} commands but counts "
                        f"{f['passed'] + f['failed'] + f['skipped']} (written by an older spectest?)")
                results.sort(key=lambda r: key_order(r.key))
                report.add(FileResult(relpath, str(f["proposal"]), f.get("converter"), results))
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportFormatError(f"not a spectest report: {exc!r}") from None
        return report

    def write_json(self, path: Path) -> None:
        """Write :meth:`to_json` to ``path``."""
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
        return _text_table([self._HEADER] + self._rows())

    def markdown(self) -> str:
        """The per-proposal table in Markdown, with a title line."""
        commit = self.testsuite_commit or "unknown"
        title = f"Conformance of `{self.engine}` (testsuite {commit[:12]})"
        return title + "\n\n" + _markdown_table(self._HEADER, self._rows())

    def write_markdown(self, path: Path) -> None:
        """Write :meth:`markdown` to ``path``."""
        Path(path).write_text(self.markdown(), encoding="utf-8")


def _text_table(rows: list[list[str]]) -> str:
    """Aligned columns; a rule under the header and above the last row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells))
        if n == 0 or n == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for r in rows:
        cells = [f"**{c}**" for c in r] if r[0] == "total" else list(r)
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


@dataclass
class MultiReport:
    """Several engines' reports over the same scripts."""

    testsuite_path: Optional[str]
    testsuite_commit: Optional[str]
    engines: dict[str, RunReport] = field(default_factory=dict)

    def report(self, engine: str, version: str = "") -> RunReport:
        """The report of ``engine`` (created empty on first use)."""
        if engine not in self.engines:
            self.engines[engine] = RunReport(engine, self.testsuite_path, self.testsuite_commit,
                                             version=version)
        return self.engines[engine]

    def proposals(self) -> list[str]:
        """Every proposal any engine ran, in table order."""
        return report_order({f.proposal for r in self.engines.values() for f in r.files.values()})

    def cell(self, engine: str, proposal: Optional[str]) -> tuple[int, int, int]:
        """(passed, failed, skipped) of one engine over one proposal (None: all)."""
        r = self.engines[engine]
        files = [f for f in r.files.values() if proposal is None or f.proposal == proposal]
        return (sum(f.passed for f in files), sum(f.failed for f in files),
                sum(f.skipped for f in files))

    def _matrix(self) -> tuple[list[str], list[list[str]]]:
        from .engines import label_of

        names = list(self.engines)
        header = ["proposal"] + [label_of(n) if len(label_of(n)) < 24 else n[:21] + "..."
                                 for n in names]
        rows = []
        for proposal in [*self.proposals(), None]:
            row = [proposal or "total"]
            for n in names:
                p, f, s = self.cell(n, proposal)
                row.append(f"{p}/{p + f + s} ({pass_percent(p, f, s):.1f}%)" if p + f + s else "-")
            rows.append(row)
        return header, rows

    def table(self) -> str:
        """The proposal x engine matrix (passed/commands and pass %), plain text."""
        header, rows = self._matrix()
        return _text_table([header] + rows)

    def markdown(self) -> str:
        """The matrix in Markdown, with a title line."""
        header, rows = self._matrix()
        commit = (self.testsuite_commit or "unknown")[:12]
        return (f"Conformance per proposal and engine (testsuite {commit}); "
                "cells: passed/commands (pass %)\n\n" + _markdown_table(header, rows))

    def to_json(self) -> dict[str, Any]:
        """One engine: that engine's object; several: the documented wrapper."""
        if len(self.engines) == 1:
            return next(iter(self.engines.values())).to_json()
        return {"testsuite": {"path": self.testsuite_path, "commit": self.testsuite_commit},
                "engines": {n: r.to_json() for n, r in self.engines.items()}}

    def write_json(self, path: Path) -> None:
        """Write :meth:`to_json` to ``path``."""
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    def write_markdown(self, path: Path) -> None:
        """One engine: its per-proposal table; several: the matrix."""
        if len(self.engines) == 1:
            next(iter(self.engines.values())).write_markdown(path)
        else:
            Path(path).write_text(self.markdown(), encoding="utf-8")


def load_reports(paths: Iterable[Path]) -> MultiReport:
    """Read JSON reports (either shape) and join them: per engine, the files
    of every report (a file in two reports of one engine is an error)."""
    merged: Optional[MultiReport] = None
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportFormatError(f"cannot read {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ReportFormatError(f"{path}: not a spectest report")
        objects = data.get("engines") if "engines" in data else {data.get("engine"): data}
        if not isinstance(objects, dict):
            raise ReportFormatError(f"{path}: 'engines' is not a mapping")
        for obj in objects.values():
            part = RunReport.from_json(obj)
            if merged is None:
                merged = MultiReport(part.testsuite_path, part.testsuite_commit)
            elif part.testsuite_commit != merged.testsuite_commit:
                raise ReportFormatError(f"{path}: testsuite {part.testsuite_commit} differs from "
                                        f"{merged.testsuite_commit}")
            target = merged.report(part.engine, part.version)
            for relpath, fr in part.files.items():
                if relpath in target.files:
                    raise ReportFormatError(f"{path}: {part.engine} {relpath} is in two reports")
                target.add(fr)
    if merged is None:
        raise ReportFormatError("no reports given")
    return merged
