"""``python -m spectest``: run .wast scripts through engines and report.

::

    python -m spectest [PATH ...] [--engine NAME[,NAME...]]... [--proposal NAME ...]
                       [-n N|auto] [--json F] [--markdown F] [--junit F] [--html F]
                       [--gate] [--update-baseline] [--testsuite DIR] [--shard K/N]
                       [--timeout S] [--script-timeout S] [--implicit-register]
    python -m spectest merge REPORT.json ... [--json F] [--markdown F] [--junit F]
                       [--html F] [--gate] [--baseline FILE]

PATH is any .wast file or folder of them (default: the whole testsuite);
scripts outside the testsuite belong to the proposal their folder is named
after. NAME is ``engine``, ``wasmtime``, ``pywasm``, ``node``, ``wabt``, an
engine added through the ``spectest.adapters`` entry-point group, or
``exec:COMMAND`` for a driver speaking ``spectest/PROTOCOL.md``. The run goes
through pytest and its ``spectest`` plugin (pytest-xdist for ``-n``); this
command only prepares the arguments, shows one progress line and leaves the
per-item output out. ``merge`` joins the JSON reports of shards (or of
separate runs) into one report and gate.

Exit status: 0 when every command passed (with ``--gate``: when nothing
regressed against the baseline), 1 otherwise, 2 for usage errors (no
testsuite, unknown engine or proposal, unreadable baseline or report).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["main", "build_parser", "pytest_args", "merge_main"]


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write the JSON report")
    p.add_argument("--markdown", metavar="FILE", help="write the Markdown table (or matrix)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--gate", action="store_true",
                   help="exit 1 on any regression against the baseline")
    p.add_argument("--baseline", default="conformance.yaml", metavar="FILE",
                   help="baseline file (default: conformance.yaml)")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (of a run; ``merge`` has its own)."""
    from .proposals import OTHER, PROPOSALS

    p = argparse.ArgumentParser(
        prog="python -m spectest",
        description="Run WebAssembly spec test scripts (.wast) through engines and "
                    "report conformance per proposal. 'python -m spectest merge -h' for merging.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=".wast files or folders (default: the whole testsuite)")
    p.add_argument("--engine", action="append", default=[], metavar="NAME[,NAME...]",
                   help="engine(s): engine, wasmtime, pywasm, node, wabt, an entry-point "
                        "adapter, or exec:COMMAND (repeatable; default: engine)")
    p.add_argument("--proposal", action="extend", nargs="+", default=[], metavar="NAME",
                   choices=[*PROPOSALS, OTHER],
                   help="only scripts of these proposals (one or more names; repeatable)")
    p.add_argument("-n", dest="workers", default=None, metavar="N|auto",
                   help="parallel workers (pytest-xdist)")
    _add_outputs(p)
    p.add_argument("--update-baseline", action="store_true",
                   help="rewrite the baseline of the engines that ran with what passes now")
    p.add_argument("--testsuite", metavar="DIR",
                   help="the testsuite (default: $WASM_TESTSUITE, else ./testsuite)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="conversion cache (default: $SPECTEST_CACHE, else .spectest-cache)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit per command; 0 for none (default: the engine's, else 300)")
    p.add_argument("--script-timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit per script; 0 for none (default: the engine's, else none)")
    p.add_argument("--shard", metavar="K/N",
                   help="run only the K-th of N parts of the scripts, balanced by size")
    p.add_argument("--implicit-register", action="store_true",
                   help="make a named module importable under its name without register "
                        "(wasmtime-style scripts)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show pytest's per-script output and failures")
    return p


def pytest_args(ns: argparse.Namespace, suite: Optional[Path]) -> list[str]:
    """The pytest command line for parsed CLI options."""
    targets = list(ns.paths) or [str(suite)]
    args = [*targets, "--spectest", "-p", "no:cacheprovider", "--rootdir", os.getcwd(),
            "--spectest-baseline", ns.baseline]
    for name in ns.engine or ["engine"]:
        args += [f"--spectest-engine={name}"]
    if suite is not None:
        args += ["--spectest-suite", str(suite)]
    for name in ns.proposal:
        args += ["--spectest-proposal", name]
    for flag, value in (("--spectest-json", ns.json), ("--spectest-markdown", ns.markdown),
                        ("--spectest-junit", ns.junit), ("--spectest-html", ns.html),
                        ("--spectest-cache", ns.cache_dir), ("--spectest-shard", ns.shard),
                        ("--spectest-timeout", ns.timeout),
                        ("--spectest-script-timeout", ns.script_timeout)):
        if value is not None:
            args += [flag, str(value)]
    for flag, on in (("--spectest-gate", ns.gate), ("--spectest-update-baseline", ns.update_baseline),
                     ("--spectest-implicit-register", ns.implicit_register)):
        if on:
            args.append(flag)
    if ns.workers not in (None, "0", "1"):
        args += ["-n", ns.workers, "--dist", "worksteal"]
    if ns.verbose:
        args += ["-v"]
    else:
        args += ["-q", "--tb=no", "-rN", "--spectest-progress"]
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["merge"]:
        return merge_main(argv[1:])
    from .plugin import engine_names, parse_shard
    from .suite import SuiteNotFound, find_testsuite

    ns = build_parser().parse_args(argv)
    try:
        suite = find_testsuite(ns.testsuite, required=not ns.paths)
    except SuiteNotFound as exc:
        print(f"spectest: {exc}", file=sys.stderr)
        return 2
    for path in ns.paths:
        if not Path(path).exists():
            print(f"spectest: no such file or folder: {path}", file=sys.stderr)
            return 2
    try:
        parse_shard(ns.shard)
    except ValueError as exc:
        print(f"spectest: {exc}", file=sys.stderr)
        return 2
    ns.engine = engine_names(ns.engine)
    try:
        from .adapters import UnknownAdapter, adapter_factory

        # import only: an engine created here would install its signal
        # handlers before pytest's, and pytest's would then see its traps
        for name in ns.engine:
            adapter_factory(name)
    except UnknownAdapter as exc:
        print(f"spectest: {exc}", file=sys.stderr)
        return 2

    import pytest

    # the entry point may or may not be installed: block it and name the
    # module instead, so the plugin is loaded exactly once, in the controller
    # and in every xdist worker (which rebuild their configuration from these
    # arguments)
    status = pytest.main(["-p", "no:spectest", "-p", "spectest.plugin",
                          "-W", "ignore::pytest.PytestAssertRewriteWarning",
                          *pytest_args(ns, suite)])
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("spectest: no .wast scripts found", file=sys.stderr)
        return 1
    return int(status) if int(status) in (0, 1, 2) else 1


def merge_main(argv: Sequence[str]) -> int:
    """``python -m spectest merge``: join JSON reports, print, write, gate."""
    from .gate import BaselineError, compare, load_baseline
    from .report import ReportFormatError, load_reports

    p = argparse.ArgumentParser(prog="python -m spectest merge",
                                description="Join the JSON reports of shards or runs into one.")
    p.add_argument("reports", nargs="+", metavar="REPORT.json")
    _add_outputs(p)
    ns = p.parse_args(list(argv))
    try:
        merged = load_reports(Path(r) for r in ns.reports)
    except ReportFormatError as exc:
        print(f"spectest merge: {exc}", file=sys.stderr)
        return 2
    several = len(merged.engines) > 1
    print(merged.table() if several else next(iter(merged.engines.values())).table())
    if ns.json:
        merged.write_json(Path(ns.json))
    if ns.markdown:
        merged.write_markdown(Path(ns.markdown))
    if ns.junit:
        from .junit import write_junit

        write_junit(Path(ns.junit), merged)
    if ns.html:
        from .html import write_html

        write_html(Path(ns.html), merged)
    status = 0 if all(r.totals()["failed"] == 0 for r in merged.engines.values()) else 1
    if ns.gate:
        try:
            baseline = load_baseline(Path(ns.baseline))
        except BaselineError as exc:
            print(f"spectest merge: {exc}", file=sys.stderr)
            return 2
        gates = [compare(baseline, r) for r in merged.engines.values()]
        for g in gates:
            print(g.summary())
        status = 0 if all(g.ok for g in gates) else 1
    p_, f_, s_ = (sum(r.totals()[k] for r in merged.engines.values())
                  for k in ("passed", "failed", "skipped"))
    print(f"spectest: {p_} passed, {f_} failed, {s_} skipped")
    return status
