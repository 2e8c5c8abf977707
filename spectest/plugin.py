"""pytest plugin: one test item per ``.wast`` script.

Registered as the ``spectest`` pytest11 entry point, so it is loaded by every
pytest run in the project; it stays inert unless ``--spectest`` is given.
``python -m spectest`` drives it; it can also be used directly::

    pytest --spectest "$WASM_TESTSUITE" --spectest-engine wasmtime -n auto

A failing item lists each failed command as ``file:line kind: expected ...
got ...``. At the end of every run (pytest-xdist included: workers send each
file's results to the controller inside the test report) the per-proposal
table is printed and, if asked, written as JSON / Markdown and checked
against the baseline.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from .results import FAILED, CommandResult, FileResult

_PROPERTY = "spectest-result"
_ADAPTERS: dict[str, Any] = {}
_CONVERTER: list[Any] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spectest", "WebAssembly spec conformance (spectest)")
    group.addoption("--spectest", action="store_true", default=False,
                    help="collect .wast scripts as test items")
    group.addoption("--spectest-engine", default="engine", metavar="NAME",
                    help="engine adapter: engine (this project) or wasmtime (reference)")
    group.addoption("--spectest-suite", default=None, metavar="DIR",
                    help="the testsuite (default: $WASM_TESTSUITE, else ./testsuite)")
    group.addoption("--spectest-proposal", action="append", default=[], metavar="NAME",
                    help="run only scripts of this proposal (repeatable)")
    group.addoption("--spectest-json", default=None, metavar="FILE", help="write the JSON report")
    group.addoption("--spectest-markdown", default=None, metavar="FILE",
                    help="write the Markdown table")
    group.addoption("--spectest-gate", action="store_true", default=False,
                    help="fail on any regression against the baseline")
    group.addoption("--spectest-update-baseline", action="store_true", default=False,
                    help="rewrite the baseline with what passes now")
    group.addoption("--spectest-baseline", default="conformance.yaml", metavar="FILE",
                    help="the baseline file (default: conformance.yaml)")
    group.addoption("--spectest-cache", default=None, metavar="DIR",
                    help="conversion cache (default: $SPECTEST_CACHE or .spectest-cache)")
    group.addoption("--spectest-timeout", type=float, default=300.0, metavar="SECONDS",
                    help="time limit per command, 0 for none (default: 300)")
    group.addoption("--spectest-progress", action="store_true", default=False,
                    help="one progress line instead of pytest's per-item output")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("spectest"):
        config.pluginmanager.register(SpectestSession(config), "spectest-session")


def _adapter(name: str) -> Any:
    from .adapters import get_adapter

    if name not in _ADAPTERS:
        _ADAPTERS[name] = get_adapter(name)
    return _ADAPTERS[name]


def _converter(cache: Optional[str]) -> Any:
    from .convert import Converter

    if not _CONVERTER:
        _CONVERTER.append(Converter(Path(cache) if cache else None))
    return _CONVERTER[0]


class WastFailures(Exception):
    """Raised by an item whose script had failed commands."""

    def __init__(self, result: FileResult):
        super().__init__(f"{result.failed} failed command(s)")
        self.result = result


class WastItem(pytest.Item):
    """One script: runs every command, fails if any command failed."""

    def __init__(self, *, relpath: str, proposal: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.relpath = relpath
        self.proposal = proposal

    def runtest(self) -> None:
        from .runner import run_file

        config = self.config
        result = run_file(self.path, self.relpath, self.proposal,
                          _adapter(config.getoption("spectest_engine")),
                          _converter(config.getoption("spectest_cache")),
                          config.getoption("spectest_timeout") or None)
        self.user_properties.append((_PROPERTY, json.dumps(result.to_data())))
        if result.failed:
            raise WastFailures(result)
        if not result.passed and result.skipped:
            pytest.skip("; ".join(f"{n} skipped: {r}" for r, n in result.skip_reasons().items()))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, WastFailures):
            failures = excinfo.value.result.failures()
            lines = [f"{self.relpath}:{r.line} {r.kind}: {r.message}" for r in failures[:500]]
            if len(failures) > 500:
                lines.append(f"... and {len(failures) - 500} more failed commands")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, Optional[int], str]:
        return self.path, None, self.relpath


class WastFile(pytest.File):
    """A .wast file: collects its one item."""

    def __init__(self, *, relpath: str, proposal: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.relpath = relpath
        self.proposal = proposal

    def collect(self):  # type: ignore[override]
        yield WastItem.from_parent(self, name=self.relpath, relpath=self.relpath,
                                   proposal=self.proposal)


class SpectestSession:
    """Collection, progress and the end-of-run report of one pytest session."""

    def __init__(self, config: pytest.Config):
        from .suite import find_testsuite

        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.suite = find_testsuite(config.getoption("spectest_suite"), required=False)
        self.roots = [Path(a.split("::")[0]).resolve() for a in config.args]
        self.only = set(config.getoption("spectest_proposal") or [])
        self.results: dict[str, FileResult] = {}
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.progress = config.getoption("spectest_progress")
        self.report: Any = None
        self.gate: Any = None
        self.gate_error: Optional[str] = None
        self._last_shown = -1

    # -- collection ------------------------------------------------------------------

    def _describe(self, path: Path) -> tuple[str, str]:
        from .proposals import proposal_of
        from .suite import _script_file

        resolved = path.resolve()
        base = next((r for r in self.roots if r.is_dir() and resolved.is_relative_to(r)),
                    resolved.parent)
        sf = _script_file(resolved, base, self.suite)
        return sf.relpath, proposal_of(sf.relpath, sf.in_suite)

    @pytest.hookimpl
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Optional[pytest.Collector]:
        if file_path.suffix != ".wast":
            return None
        relpath, proposal = self._describe(file_path)
        if self.only and proposal not in self.only:
            return None
        return WastFile.from_parent(parent, path=file_path, relpath=relpath, proposal=proposal)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # biggest scripts first: with work stealing the last worker to finish
        # is then never stuck on the largest file
        def size(item: pytest.Item) -> int:
            try:
                return -os.path.getsize(item.path) if isinstance(item, WastItem) else 0
            except OSError:
                return 0
        items.sort(key=size)
        self.total = sum(1 for i in items if isinstance(i, WastItem))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.total = max(self.total, len(ids))

    # -- results ---------------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        if self.progress and report.when == "call":
            return report.outcome, "", ""
        return None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        data = next((v for k, v in report.user_properties if k == _PROPERTY), None)
        if data is not None:
            result = FileResult.from_data(json.loads(data))
        elif report.failed and "::" in report.nodeid and report.nodeid.split("::")[0].endswith(".wast"):
            # the item died without reporting (a crashed worker): count it
            from .proposals import proposal_of

            relpath = report.nodeid.split("::")[-1]
            if relpath in self.results:
                return
            message = str(report.longrepr).strip().splitlines()[-1:] or ["crashed"]
            result = FileResult(relpath, proposal_of(relpath), None,
                                [CommandResult("0", 0, "run", FAILED, f"crashed: {message[0]}")])
        else:
            return
        if result.relpath in self.results:
            return
        self.results[result.relpath] = result
        self.done += 1
        if self.progress:
            self._show_progress(result)

    def _show_progress(self, last: FileResult) -> None:
        p = sum(r.passed for r in self.results.values())
        f = sum(r.failed for r in self.results.values())
        s = sum(r.skipped for r in self.results.values())
        total = self.total or self.done
        elapsed = time.monotonic() - self.started
        line = (f"[{self.done}/{total}] passed {p}  failed {f}  skipped {s}  "
                f"{elapsed:5.1f}s  {last.relpath}")
        if sys.stderr.isatty():
            width = 100
            sys.stderr.write("\r" + line[:width].ljust(width))
            if self.done == total:
                sys.stderr.write("\n")
        else:
            step = max(1, total // 10)
            if self.done % step == 0 or self.done == total:
                sys.stderr.write(line + "\n")
        sys.stderr.flush()

    # -- end of run ----------------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        from .gate import BaselineError, compare, load_baseline, update_baseline, write_baseline
        from .report import RunReport
        from .suite import testsuite_commit

        engine = self.config.getoption("spectest_engine")
        commit = testsuite_commit(self.suite) if self.suite else None
        # the JSON shape wants a path: without a suite, the first folder given
        where = self.suite or (self.roots[0] if self.roots else Path.cwd())
        report = RunReport(engine, str(where), commit)
        report.extend(self.results[k] for k in sorted(self.results))
        self.report = report
        if self.config.getoption("spectest_json"):
            report.write_json(Path(self.config.getoption("spectest_json")))
        if self.config.getoption("spectest_markdown"):
            report.write_markdown(Path(self.config.getoption("spectest_markdown")))
        baseline_path = Path(self.config.getoption("spectest_baseline"))
        try:
            if self.config.getoption("spectest_gate"):
                self.gate = compare(load_baseline(baseline_path), report)
                session.exitstatus = 0 if self.gate.ok and self.results else 1
            if self.config.getoption("spectest_update_baseline"):
                write_baseline(baseline_path, update_baseline(load_baseline(baseline_path), report))
        except BaselineError as exc:
            self.gate_error = str(exc)
            session.exitstatus = 2

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.report is None:
            return
        tr = terminalreporter
        report = self.report
        tr.section(f"spectest: {report.engine}")
        if not report.files:
            tr.write_line("no .wast scripts ran")
        else:
            tr.write_line(report.table())
            reasons = report.skip_reasons()
            if reasons:
                tr.write_line("skipped: " + ", ".join(f"{r} {n}" for r, n in reasons.items()))
            converters: dict[str, int] = {}
            for f in report.files.values():
                key = f.converter or "not converted"
                converters[key] = converters.get(key, 0) + 1
            tr.write_line("converted by: " + ", ".join(f"{k} {v}" for k, v in sorted(converters.items())))
            self._supported_line(tr)
        if self.gate_error:
            tr.write_line(f"gate: {self.gate_error}")
        elif self.gate is not None:
            tr.write_line(self.gate.summary())
        if self.config.getoption("spectest_update_baseline") and not self.gate_error:
            tr.write_line(f"baseline written: {self.config.getoption('spectest_baseline')}")
        for option, what in (("spectest_json", "JSON report"), ("spectest_markdown", "Markdown table")):
            if self.config.getoption(option):
                tr.write_line(f"{what} written: {self.config.getoption(option)}")

    def _supported_line(self, tr: Any) -> None:
        from .adapters import ADAPTERS
        from .report import pass_percent

        engine = self.report.engine
        if engine not in ADAPTERS:
            return
        from .adapters import adapter_factory

        unsupported = getattr(adapter_factory(engine), "unsupported_proposals", frozenset())
        if not unsupported:
            return
        rows = [r for name, r in self.report.proposals().items() if name not in unsupported]
        p, f, s = (sum(r[k] for r in rows) for k in ("passed", "failed", "skipped"))
        tr.write_line(f"{engine} does not claim {', '.join(sorted(unsupported))}; over the "
                      f"other proposals: {p} passed, {f} failed, {s} skipped "
                      f"({pass_percent(p, f, s):.2f}% passed)")
