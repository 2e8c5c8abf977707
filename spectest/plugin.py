"""pytest plugin: one test item per ``.wast`` script and engine.

Registered as the ``spectest`` pytest11 entry point, so it is loaded by every
pytest run in the project; it stays inert unless ``--spectest`` is given.
``python -m spectest`` drives it; it can also be used directly::

    pytest --spectest "$WASM_TESTSUITE" --spectest-engine wasmtime -n auto

A failing item lists each failed command as ``file:line kind: expected ...
got ...``. At the end of every run (pytest-xdist included: workers send each
file's results to the controller inside the test report) the per-proposal
table (or, for several engines, the proposal x engine matrix) is printed
and, if asked, written as JSON / Markdown / JUnit / HTML and checked against
the baseline.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from .results import FAILED, CommandResult, FileResult

_PROPERTY = "spectest-result"
_ADAPTERS: dict[str, Any] = {}
_CONVERTER: list[Any] = []
#: failing assertions listed under the table
SHOWN_FAILURES = 20


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spectest", "WebAssembly spec conformance (spectest)")
    group.addoption("--spectest", action="store_true", default=False,
                    help="collect .wast scripts as test items")
    group.addoption("--spectest-engine", action="append", default=[], metavar="NAME",
                    help="engine adapter (repeatable; comma lists too; default: engine)")
    group.addoption("--spectest-suite", default=None, metavar="DIR",
                    help="the testsuite (default: $WASM_TESTSUITE, else ./testsuite)")
    group.addoption("--spectest-proposal", action="append", default=[], metavar="NAME",
                    help="run only scripts of this proposal (repeatable)")
    group.addoption("--spectest-json", default=None, metavar="FILE", help="write the JSON report")
    group.addoption("--spectest-markdown", default=None, metavar="FILE",
                    help="write the Markdown table")
    group.addoption("--spectest-junit", default=None, metavar="FILE",
                    help="write JUnit XML (one testcase per script and engine)")
    group.addoption("--spectest-html", default=None, metavar="FILE",
                    help="write a self-contained HTML report")
    group.addoption("--spectest-gate", action="store_true", default=False,
                    help="fail on any regression against the baseline")
    group.addoption("--spectest-update-baseline", action="store_true", default=False,
                    help="rewrite the baseline with what passes now")
    group.addoption("--spectest-baseline", default="conformance.yaml", metavar="FILE",
                    help="the baseline file (default: conformance.yaml)")
    group.addoption("--spectest-cache", default=None, metavar="DIR",
                    help="conversion cache (default: $SPECTEST_CACHE or .spectest-cache)")
    group.addoption("--spectest-timeout", type=float, default=None, metavar="SECONDS",
                    help="time limit per command, 0 for none (default: the engine's, else 300)")
    group.addoption("--spectest-script-timeout", type=float, default=None, metavar="SECONDS",
                    help="time limit per script, 0 for none (default: the engine's, else none)")
    group.addoption("--spectest-shard", default=None, metavar="K/N",
                    help="run only the K-th of N balanced parts of the scripts")
    group.addoption("--spectest-implicit-register", action="store_true", default=False,
                    help="a named module is importable under its name without register")
    group.addoption("--spectest-progress", action="store_true", default=False,
                    help="one progress line, and the assertion counts as the last line")


def engine_names(values: list[str]) -> list[str]:
    """Engine names from repeated and comma-separated options, in order,
    without repeats (``exec:`` command lines are kept whole)."""
    out: list[str] = []
    for value in values or ["engine"]:
        parts = [value] if value.startswith("exec:") else value.split(",")
        for part in parts:
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out or ["engine"]


def parse_shard(text: Optional[str]) -> Optional[tuple[int, int]]:
    """``K/N`` -> (K, N) with 1 <= K <= N; None for no sharding."""
    if not text:
        return None
    k, sep, n = text.partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        raise ValueError(f"--shard wants K/N, got {text!r}") from None
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise ValueError(f"--shard wants K/N with 1 <= K <= N, got {text!r}")
    return shard


def shard_of(sizes: dict[str, int], count: int) -> dict[str, int]:
    """Deal scripts (name -> size) into ``count`` parts of near-equal total
    size: biggest first, each to the lightest part (ties: the lower part).
    Deterministic: depends only on the names and sizes. Parts are 1-based."""
    totals = [0] * count
    out: dict[str, int] = {}
    for name in sorted(sizes, key=lambda n: (-sizes[n], n)):
        part = min(range(count), key=lambda i: (totals[i], i))
        totals[part] += sizes[name]
        out[name] = part + 1
    return out


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("spectest"):
        config.pluginmanager.register(SpectestSession(config), "spectest-session")


def adapter_for(name: str) -> Any:
    """The adapter of ``name``, one per process."""
    from .adapters import get_adapter

    if name not in _ADAPTERS:
        _ADAPTERS[name] = get_adapter(name)
    return _ADAPTERS[name]


def _converter(cache: Optional[str]) -> Any:
    from .convert import Converter

    if not _CONVERTER:
        _CONVERTER.append(Converter(Path(cache) if cache else None))
    return _CONVERTER[0]


def _limits(config: pytest.Config, adapter: Any) -> Any:
    """Per-command and per-script limits: the options, else the adapter's
    defaults (slow engines declare tighter ones), else 300 s / none."""
    from .runner import RunLimits

    command = config.getoption("spectest_timeout")
    script = config.getoption("spectest_script_timeout")
    if command is None:
        command = getattr(adapter, "command_timeout", 300.0)
    if script is None:
        script = getattr(adapter, "script_timeout", None)
    return RunLimits(command or None, script or None)


class WastFailures(Exception):
    """Raised by an item whose script had failed commands."""

    def __init__(self, result: FileResult):
        super().__init__(f"{result.failed} failed command(s)")
        self.result = result


class WastItem(pytest.Item):
    """One script run by one engine: runs every command, fails if any failed."""

    def __init__(self, *, relpath: str, proposal: str, engine: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.relpath = relpath
        self.proposal = proposal
        self.engine = engine

    def runtest(self) -> None:
        from .runner import run_file

        config = self.config
        adapter = adapter_for(self.engine)
        result = run_file(self.path, self.relpath, self.proposal, adapter,
                          _converter(config.getoption("spectest_cache")),
                          limits=_limits(config, adapter),
                          implicit_register=config.getoption("spectest_implicit_register"))
        data = result.to_data()
        data["engine"] = self.engine
        self.user_properties.append((_PROPERTY, json.dumps(data)))
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
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, Optional[int], str]:
        return self.path, None, f"{self.relpath} [{self.engine}]"


class WastFile(pytest.File):
    """A .wast file: one item per engine."""

    def __init__(self, *, relpath: str, proposal: str, engines: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.relpath = relpath
        self.proposal = proposal
        self.engines = engines

    def collect(self) -> Iterator[WastItem]:
        for engine in self.engines:
            name = self.relpath if len(self.engines) == 1 else f"{self.relpath}[{engine}]"
            yield WastItem.from_parent(self, name=name, relpath=self.relpath,
                                       proposal=self.proposal, engine=engine)


class SpectestSession:
    """Collection, progress and the end-of-run report of one pytest session."""

    def __init__(self, config: pytest.Config):
        from .suite import find_testsuite

        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.suite = find_testsuite(config.getoption("spectest_suite"), required=False)
        self.roots = [Path(a.split("::")[0]).resolve() for a in config.args]
        self.only = set(config.getoption("spectest_proposal") or [])
        self.engines = engine_names(config.getoption("spectest_engine"))
        self.shard = parse_shard(config.getoption("spectest_shard"))
        self.results: dict[tuple[str, str], FileResult] = {}
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.progress = config.getoption("spectest_progress")
        self.report: Any = None
        self.gates: list[Any] = []
        self.gate_error: Optional[str] = None

    # -- collection ------------------------------------------------------------------

    def _describe(self, path: Path) -> tuple[str, str]:
        from .proposals import proposal_of
        from .suite import script_file

        resolved = path.resolve()
        base = next((r for r in self.roots if r.is_dir() and resolved.is_relative_to(r)),
                    resolved.parent)
        sf = script_file(resolved, base, self.suite)
        return sf.relpath, proposal_of(sf.relpath, sf.in_suite, root=base if not sf.in_suite else None)

    @pytest.hookimpl
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Optional[pytest.Collector]:
        if file_path.suffix != ".wast":
            return None
        relpath, proposal = self._describe(file_path)
        if self.only and proposal not in self.only:
            return None
        return WastFile.from_parent(parent, path=file_path, relpath=relpath, proposal=proposal,
                                    engines=self.engines)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        def size(item: pytest.Item) -> int:
            try:
                return os.path.getsize(item.path) if isinstance(item, WastItem) else 0
            except OSError:
                return 0

        if self.shard is not None:
            k, n = self.shard
            sizes = {i.relpath: size(i) for i in items if isinstance(i, WastItem)}
            parts = shard_of(sizes, n)
            keep = [i for i in items if not isinstance(i, WastItem) or parts[i.relpath] == k]
            dropped = [i for i in items if i not in keep]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = keep
        # biggest scripts first, the slowest engines' items first among
        # equals: with work stealing the last worker to finish is then
        # never stuck on the largest file
        order = {name: n for n, name in enumerate(self.engines)}
        items.sort(key=lambda i: (-size(i), order.get(getattr(i, "engine", ""), 0)))
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
            raw = json.loads(str(data))
            engine = raw.pop("engine")
            result = FileResult.from_data(raw)
        elif report.failed and "::" in report.nodeid and ".wast" in report.nodeid.split("::")[0]:
            # the item died without reporting (a crashed worker): count it
            from .proposals import proposal_of

            name = report.nodeid.split("::")[-1]
            relpath, engine = name, self.engines[0]
            if name.endswith("]") and "[" in name:
                relpath, _, engine = name[:-1].rpartition("[")
            if (engine, relpath) in self.results:
                return
            message = str(report.longrepr).strip().splitlines()[-1:] or ["crashed"]
            result = FileResult(relpath, proposal_of(relpath), None,
                                [CommandResult("0", 0, "run", FAILED, f"crashed: {message[0]}")])
        else:
            return
        if (engine, result.relpath) in self.results:
            return
        self.results[(engine, result.relpath)] = result
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

    def _build_report(self) -> Any:
        from .adapters import version_of
        from .report import MultiReport
        from .suite import testsuite_commit

        commit = testsuite_commit(self.suite) if self.suite else None
        # the JSON shape wants a path: without a suite, the first folder given
        where = self.suite or (self.roots[0] if self.roots else Path.cwd())
        multi = MultiReport(str(where), commit)
        for engine in self.engines:
            version = version_of(adapter_for(engine)) if self._loadable(engine) else engine
            multi.report(engine, version)
        for (engine, relpath) in sorted(self.results):
            multi.report(engine).add(self.results[(engine, relpath)])
        return multi

    @staticmethod
    def _loadable(engine: str) -> bool:
        try:
            adapter_for(engine)
        except Exception:  # noqa: BLE001 - the version is informative only
            return False
        return True

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            return
        from .gate import BaselineError, compare, load_baseline, update_baseline, write_baseline

        report = self._build_report()
        self.report = report
        option = self.config.getoption
        if option("spectest_json"):
            report.write_json(Path(option("spectest_json")))
        if option("spectest_markdown"):
            report.write_markdown(Path(option("spectest_markdown")))
        if option("spectest_junit"):
            from .junit import write_junit

            write_junit(Path(option("spectest_junit")), report)
        if option("spectest_html"):
            from .html import write_html

            write_html(Path(option("spectest_html")), report)
        baseline_path = Path(option("spectest_baseline"))
        try:
            if option("spectest_gate"):
                baseline = load_baseline(baseline_path)
                self.gates = [compare(baseline, r) for r in report.engines.values()]
                ok = all(g.ok for g in self.gates) and self.results
                session.exitstatus = 0 if ok else 1
            if option("spectest_update_baseline"):
                baseline = load_baseline(baseline_path)
                for r in report.engines.values():
                    baseline = update_baseline(baseline, r)
                write_baseline(baseline_path, baseline)
        except BaselineError as exc:
            self.gate_error = str(exc)
            session.exitstatus = 2

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.report is None:
            return
        tr = terminalreporter
        multi = self.report
        option = self.config.getoption
        several = len(multi.engines) > 1
        tr.section("spectest: " + ", ".join(multi.engines))
        if not self.results:
            tr.write_line("no .wast scripts ran")
        elif several:
            tr.write_line(multi.table())
            for name, r in multi.engines.items():
                self._engine_notes(tr, name, r, prefix=f"{name}: ")
        else:
            name, r = next(iter(multi.engines.items()))
            tr.write_line(r.table())
            self._engine_notes(tr, name, r, prefix="")
        self._failure_list(tr)
        if self.gate_error:
            tr.write_line(f"gate: {self.gate_error}")
        for gate in self.gates:
            tr.write_line(gate.summary())
        if option("spectest_update_baseline") and not self.gate_error:
            tr.write_line(f"baseline written: {option('spectest_baseline')}")
        for key, what in (("spectest_json", "JSON report"), ("spectest_markdown", "Markdown table"),
                          ("spectest_junit", "JUnit XML"), ("spectest_html", "HTML report")):
            if option(key):
                tr.write_line(f"{what} written: {option(key)}")
        if self.progress:
            # the last line counts assertions (commands), not scripts
            tr.write_line(f"time: {time.monotonic() - self.started:.1f} s")
            tr.summary_stats = lambda: tr.write_line(self.counts_line())

    def counts_line(self) -> str:
        """``spectest: N passed, N failed, N skipped`` over every command run."""
        p = sum(r.passed for r in self.results.values())
        f = sum(r.failed for r in self.results.values())
        s = sum(r.skipped for r in self.results.values())
        return f"spectest: {p} passed, {f} failed, {s} skipped"

    def _engine_notes(self, tr: Any, name: str, r: Any, prefix: str) -> None:
        from .adapters import claims_of
        from .proposals import OTHER
        from .report import pass_percent

        reasons = r.skip_reasons()
        if reasons:
            tr.write_line(prefix + "skipped: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
        if not prefix:
            tr.write_line("converted by: " + ", ".join(f"{k} {v}" for k, v in r.converters().items()))
        if not self._loadable(name):
            return
        claims = claims_of(adapter_for(name))
        rows = r.proposals()
        unclaimed = sorted(p for p in rows if p not in claims and p != OTHER)
        if not unclaimed:
            return
        kept = [row for p, row in rows.items() if p in claims]
        p, f, s = (sum(row[k] for row in kept) for k in ("passed", "failed", "skipped"))
        tr.write_line(f"{prefix}{name} does not claim {', '.join(unclaimed)}; over the "
                      f"other proposals: {p} passed, {f} failed, {s} skipped "
                      f"({pass_percent(p, f, s):.2f}% passed)")

    def _failure_list(self, tr: Any) -> None:
        several = len(self.report.engines) > 1
        failures = [(name, relpath, res) for name, r in self.report.engines.items()
                    for relpath, res in r.failures()]
        if not failures:
            return
        tr.write_line(f"failed assertions ({len(failures)}"
                      + (f", the first {SHOWN_FAILURES}" if len(failures) > SHOWN_FAILURES else "")
                      + "):")
        for name, relpath, res in failures[:SHOWN_FAILURES]:
            who = f"[{name}] " if several else ""
            tr.write_line(f"  {who}{relpath}:{res.line} {res.kind}: {res.message[:300]}")
