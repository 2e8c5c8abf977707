"""``python -m spectest``: run .wast scripts through an engine and report.

::

    python -m spectest [PATH ...] [--engine engine|wasmtime] [--proposal NAME ...]
                       [-n N|auto] [--json F] [--markdown F] [--gate]
                       [--update-baseline] [--testsuite DIR]

PATH is any .wast file or folder of them (default: the whole testsuite). The
run goes through pytest and its ``spectest`` plugin (pytest-xdist for
``-n``); this command only prepares the arguments, shows one progress line
and leaves the per-item output out.

Exit status: 0 when every command passed (with ``--gate``: when nothing
regressed against the baseline), 1 otherwise, 2 for usage errors (no
testsuite, unknown engine or proposal, unreadable baseline).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["main", "build_parser", "pytest_args"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    from .adapters import ADAPTERS
    from .proposals import OTHER, PROPOSALS

    p = argparse.ArgumentParser(
        prog="python -m spectest",
        description="Run WebAssembly spec test scripts (.wast) through an engine and "
                    "report conformance per proposal.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=".wast files or folders (default: the whole testsuite)")
    p.add_argument("--engine", default="engine", choices=sorted(ADAPTERS),
                   help="engine adapter (default: engine)")
    p.add_argument("--proposal", action="extend", nargs="+", default=[], metavar="NAME",
                   choices=[*PROPOSALS, OTHER],
                   help="only scripts of these proposals (one or more names; repeatable)")
    p.add_argument("-n", dest="workers", default=None, metavar="N|auto",
                   help="parallel workers (pytest-xdist)")
    p.add_argument("--json", metavar="FILE", help="write the JSON report")
    p.add_argument("--markdown", metavar="FILE", help="write the Markdown table")
    p.add_argument("--gate", action="store_true",
                   help="exit 1 on any regression against the baseline")
    p.add_argument("--update-baseline", action="store_true",
                   help="rewrite the baseline with what passes now")
    p.add_argument("--baseline", default="conformance.yaml", metavar="FILE",
                   help="baseline file (default: conformance.yaml)")
    p.add_argument("--testsuite", metavar="DIR",
                   help="the testsuite (default: $WASM_TESTSUITE, else ./testsuite)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="conversion cache (default: $SPECTEST_CACHE, else .spectest-cache)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="time limit per command; 0 for none (default: 300)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show pytest's per-script output and failures")
    return p


def pytest_args(ns: argparse.Namespace, suite: Optional[Path]) -> list[str]:
    """The pytest command line for parsed CLI options."""
    targets = list(ns.paths) or [str(suite)]
    args = [*targets, "--spectest", "--spectest-engine", ns.engine,
            "-p", "no:cacheprovider", "--rootdir", os.getcwd(),
            "--spectest-baseline", ns.baseline, "--spectest-timeout", str(ns.timeout)]
    if suite is not None:
        args += ["--spectest-suite", str(suite)]
    for name in ns.proposal:
        args += ["--spectest-proposal", name]
    for flag, value in (("--spectest-json", ns.json), ("--spectest-markdown", ns.markdown),
                        ("--spectest-cache", ns.cache_dir)):
        if value:
            args += [flag, value]
    if ns.gate:
        args.append("--spectest-gate")
    if ns.update_baseline:
        args.append("--spectest-update-baseline")
    if ns.workers not in (None, "0", "1"):
        args += ["-n", ns.workers, "--dist", "worksteal"]
    if ns.verbose:
        args += ["-v"]
    else:
        args += ["-q", "--tb=no", "-rN", "--spectest-progress"]
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit status."""
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
        from .adapters import UnknownAdapter, adapter_factory

        # import only: an engine created here would install its signal
        # handlers before pytest's, and pytest's would then see its traps
        adapter_factory(ns.engine)
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
