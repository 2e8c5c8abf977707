"""The command line: ``python -m bench [options]``.

Exit status: 0 when every runner that ran agreed with the twin, 1 when a
result disagreed or a runner failed, 2 for a usage or setup problem.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

from .errors import BenchError
from .kernels import NAMES, load_all
from .measure import KernelReport, measure_kernel
from .report import (fuel_markdown_table, fuel_text_table, json_document, markdown_table,
                     problems, text_table, unavailable_notes)
from .runners import (EngineFuelRunner, EngineRunner, PywasmRunner, Runner, TwinRunner,
                      WasmtimeRunner)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so the options can be documented and tested)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the Wasm kernels on our engine, their plain-Python twins, "
                    "pywasm and wasmtime, check that every result agrees, and print "
                    "medians and ratios.")
    parser.add_argument("--kernel", nargs="+", action="extend", choices=NAMES,
                        metavar="NAME", help=f"run only these kernels (of: {', '.join(NAMES)})")
    parser.add_argument("--quick", action="store_true",
                        help="small workloads, for a smoke test (timings mean little)")
    parser.add_argument("--repeat", type=_positive, default=5, metavar="N",
                        help="timed calls per kernel for ours, python, wasmtime (default 5)")
    parser.add_argument("--pywasm-repeat", type=_positive, default=1, metavar="N",
                        help="timed calls per kernel for pywasm, same workload (default 1)")
    parser.add_argument("--no-pywasm", action="store_true", help="skip pywasm")
    parser.add_argument("--no-wasmtime", action="store_true", help="skip wasmtime")
    parser.add_argument("--no-engine", action="store_true", help="skip our engine")
    parser.add_argument("--fuel", action="store_true",
                        help="also run our engine with fuel metering and show its overhead")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the medians as JSON to FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="write the table as Markdown to FILE")
    parser.add_argument("--list", action="store_true", help="list the kernels and exit")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress lines on stderr")
    return parser


def _runners(options: argparse.Namespace) -> list[Runner]:
    runners: list[Runner] = [TwinRunner()]
    if not options.no_engine:
        runners.append(EngineRunner())
        if options.fuel:
            runners.append(EngineFuelRunner())
    if not options.no_pywasm:
        runners.append(PywasmRunner(repeat=options.pywasm_repeat))
    if not options.no_wasmtime:
        runners.append(WasmtimeRunner())
    return runners


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_note(options: argparse.Namespace) -> str:
    """One line saying what was measured, and with what."""
    size = "quick" if options.quick else "full"
    return (f"{size} workloads; median of {options.repeat} timed calls after one warm-up "
            f"(pywasm: {options.pywasm_repeat}, no warm-up); "
            f"CPython {platform.python_version()}, pywasm {_version('pywasm')}, "
            f"wasmtime {_version('wasmtime')}, {platform.machine()}")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BenchError(f"cannot write {path}: {exc.strerror or exc}") from None


def run(options: argparse.Namespace) -> int:
    """Measure as ``options`` say, print and write the results; the exit status."""
    kernels = load_all(options.kernel or NAMES)
    if options.list:
        for kernel in kernels:
            print(f"{kernel.name:<10} {kernel.result}  {kernel.summary}")
        return 0
    progress = None if options.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    runners = _runners(options)
    started = time.perf_counter()
    reports: list[KernelReport] = [
        measure_kernel(k, runners, quick=options.quick, repeat=options.repeat, progress=progress)
        for k in kernels]
    wall = time.perf_counter() - started

    notes = unavailable_notes(reports) + [environment_note(options)]
    print(text_table(reports))
    print()
    fuel = fuel_text_table(reports)
    if fuel:
        print(fuel)
        print()
    for note in notes:
        print(note)
    print(f"wall time {wall:.1f} s", flush=True)
    if options.json is not None:
        _write(options.json, json.dumps(json_document(reports), indent=2) + "\n")
    if options.markdown is not None:
        fuel_md = fuel_markdown_table(reports)
        _write(options.markdown, markdown_table(reports, notes)
               + ("\nFuel metering (`--fuel`):\n\n" + fuel_md if fuel_md else ""))

    found = problems(reports)
    if found:
        print(file=sys.stderr)
        print("!" * 72, file=sys.stderr)
        for line in found:
            print(f"!! {line}", file=sys.stderr)
        print("!" * 72, file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench``; returns the exit status."""
    options = build_parser().parse_args(argv)
    try:
        return run(options)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
