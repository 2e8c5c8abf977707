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
from contextlib import ExitStack
from importlib import metadata
from pathlib import Path

from spectest.engines import label_of

from .checkout import ROOT, CheckoutRunner, exported_engine
from .errors import BenchError
from .instructions import count, reference_for, table, valgrind
from .kernels import NAMES, Kernel, load_all
from .measure import KernelReport, measure_kernel
from .plot import render_svg
from .programs import PROGRAM_NAMES, load_program
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
        description="Time the Wasm kernels and the C programs on our engine, their "
                    "plain-Python twins, pywasm and wasmtime, check that every result "
                    "agrees, and print medians and ratios.")
    parser.add_argument("--kernel", nargs="+", action="extend", choices=NAMES + PROGRAM_NAMES,
                        metavar="NAME", help="run only these kernels or programs (of: "
                                             f"{', '.join(NAMES + PROGRAM_NAMES)})")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--programs", action="store_true",
                       help="only the C programs (bench/programs)")
    which.add_argument("--no-programs", action="store_true",
                       help="only the hand-written kernels (bench/kernels)")
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
    parser.add_argument("--against", action="append", default=[], metavar="REV",
                        help="also run our engine as of commit REV (exported to a temporary "
                             "folder, run in a child process): column ours@REV (repeatable)")
    parser.add_argument("--against-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="also run the engine package found in DIR (a checkout): "
                             "column ours@NAME-OF-DIR (repeatable)")
    parser.add_argument("--plot", type=Path, metavar="FILE",
                        help="draw the ratios as an SVG bar chart into FILE")
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions per call of ours (and of --against) with "
                             "valgrind's callgrind instead of timing; use with --quick")
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


def _checkouts(options: argparse.Namespace, stack: ExitStack) -> list[tuple[Path, str]]:
    """(folder holding an engine package, name) for each --against commit
    (exported into a temporary folder that ends with ``stack``) and each
    --against-dir folder."""
    found: list[tuple[Path, str]] = []
    for rev in options.against:
        found.append(stack.enter_context(exported_engine(rev)))
    for folder in options.against_dir:
        if not (folder / "engine" / "__init__.py").is_file():
            raise BenchError(f"--against-dir: {folder} holds no engine package")
        found.append((folder.resolve(), folder.resolve().name))
    return found


def _checkout_runners(options: argparse.Namespace, stack: ExitStack) -> list[CheckoutRunner]:
    """A runner for each of :func:`_checkouts`, its child process started
    (and ended with ``stack``)."""
    runners = [CheckoutRunner(folder, name) for folder, name in _checkouts(options, stack)]
    for runner in runners:
        stack.callback(runner.close)
        runner.start()
    return runners


def count_instructions(options: argparse.Namespace, kernels: list[Kernel]) -> int:
    """``--callgrind``: print instructions per call of ours and of each
    --against engine; the exit status."""
    valgrind()
    progress = None if options.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with ExitStack() as stack:
        ours = label_of("engine")
        engines = [(ROOT, "engine", ours)] + [
            (folder, f"engine@{name}", f"{ours}@{name}") for folder, name in _checkouts(options, stack)]
        rows = []
        for kernel in kernels:
            args = kernel.args(options.quick)
            reference = reference_for(kernel, args)
            counts = {}
            for folder, key, label in engines:
                counts[key] = count(folder, kernel, kernel.binary(), args, reference)
                if progress is not None:
                    progress(f"{kernel.name:<10} {label:<12} first call {counts[key].first:,}, "
                             f"warm call {counts[key].warm:,} instructions")
            rows.append((kernel.name, counts))
    print(table(rows, {key: label for _, key, label in engines}))
    print()
    print(f"instructions counted by callgrind (PYTHONHASHSEED=0); "
          f"{'quick' if options.quick else 'full'} workloads; CPython {platform.python_version()}")
    return 0


def selected(options: argparse.Namespace) -> list[Kernel]:
    """The kernels and programs the options choose, in report order."""
    if options.kernel:
        names = list(dict.fromkeys(options.kernel))
    elif options.programs:
        names = list(PROGRAM_NAMES)
    elif options.no_programs:
        names = list(NAMES)
    else:
        names = list(NAMES + PROGRAM_NAMES)
    kernels = load_all([n for n in names if n in NAMES])
    programs = [load_program(n) for n in names if n in PROGRAM_NAMES]
    by_name = {k.name: k for k in kernels + programs}
    return [by_name[n] for n in names]


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
    kernels = selected(options)
    if options.list:
        for kernel in kernels:
            print(f"{kernel.name:<10} {kernel.result}  {kernel.summary}")
        return 0
    if options.callgrind:
        return count_instructions(options, kernels)
    progress = None if options.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with ExitStack() as stack:
        runners = _runners(options) + list(_checkout_runners(options, stack))
        started = time.perf_counter()
        reports: list[KernelReport] = [
            measure_kernel(k, runners, quick=options.quick, repeat=options.repeat,
                           progress=progress)
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
    if options.plot is not None:
        _write(options.plot, render_svg(reports, [environment_note(options)]))

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
