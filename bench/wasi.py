"""WASI kernels: real WASI command programs, timed on every runner.

``python -m bench.wasi`` measures the WASI kernels (``kernels.WASI_NAMES``:
``wasi_digest``, the SHA-256 mode of the test program tests/wasi/src/digest.c)
the way ``python -m bench`` measures the others, with the same table, JSON
and Markdown output and the same result check against the plain-Python twin.

A WASI kernel is a prebuilt command module ``kernels/<name>.wasm`` (built
from C by scripts/build-wasi-tests, committed) and a twin module
``kernels/<name>.py`` with ``RESULT``, ``FULL``, ``QUICK`` and ``run`` as
usual, plus ``argv(*args)`` (the program's command line for a workload) and
``parse(stdout)`` (the result read from what the program printed).

One call runs the command once: a fresh instance with the WASI imports
(stdout captured in memory, or in a file for wasmtime-py, which cannot
capture otherwise), ``_start``, and the parse. Instantiating is therefore
inside the timed call, for every runner alike (a command cannot run twice
on one instance); compiling is not. WASI comes from ``engine.wasi`` for
ours, pywasm's own ``pywasm.wasi.Preview1`` for pywasm, and wasmtime's own
WASI for wasmtime.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import shutil
import sys
import tempfile
import weakref
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import BenchError
from .kernels import Kernel
from .measure import OK, KernelReport, Outcome, run_one
from .report import json_document, markdown_table, problems, text_table, unavailable_notes
from .runners import (EngineRunner, Prepared, PywasmRunner, Runner, TwinRunner, Unavailable,
                      WasmtimeRunner, not_implemented, _missing)

#: The WASI kernels, in report order.
WASI_NAMES: tuple[str, ...] = ("wasi_digest",)

_KERNELS = Path(__file__).resolve().parent / "kernels"


@dataclass(frozen=True, slots=True)
class WasiKernel:
    """A WASI kernel: the benchmark kernel plus how to run its command."""

    kernel: Kernel
    wasm: bytes
    argv: Callable[..., list[str]]
    parse: Callable[[bytes], int | float]


def load(name: str) -> WasiKernel:
    """The WASI kernel called ``name`` (BenchError if unknown or incomplete)."""
    if name not in WASI_NAMES:
        raise BenchError(f"unknown WASI kernel {name!r}; known: {', '.join(WASI_NAMES)}")
    module = importlib.import_module(f"{__package__}.kernels.{name}")
    path = _KERNELS / f"{name}.wasm"
    try:
        wasm = path.read_bytes()
    except OSError:
        raise BenchError(f"WASI kernel {name!r} has no {path.name} "
                         "(scripts/build-wasi-tests builds it)") from None
    try:
        kernel = Kernel(name=name, summary=(module.__doc__ or name).strip().splitlines()[0],
                        result=module.RESULT, full=tuple(module.FULL),
                        quick=tuple(module.QUICK), twin=module.run, wat_path=path)
        return WasiKernel(kernel, wasm, module.argv, module.parse)
    except AttributeError as exc:
        raise BenchError(f"WASI kernel {name!r}: twin module lacks {exc.name}") from None


class _ExitStatus(Exception):
    """The command exited with a non-zero status: a failed run."""


def _checked(code: int) -> None:
    if code != 0:
        raise _ExitStatus(f"the program exited with status {code}")


class WasiEngineRunner(EngineRunner):
    """Our engine, with ``engine.wasi``."""

    def __init__(self, commands: dict[str, WasiKernel], repeat: int | None = None):
        super().__init__(repeat)
        self.commands = commands

    def prepare(self, kernel: Kernel, wasm: bytes, args) -> Prepared:
        try:
            import engine
            from engine.wasi import run_command
        except ImportError as exc:
            raise Unavailable(f"cannot import the engine ({exc})") from None
        command = self.commands[kernel.name]
        argv = command.argv(*args)
        try:
            eng = engine.Engine(engine.Config())
            start = time.perf_counter()
            module = engine.Module(eng, wasm)
            setup = time.perf_counter() - start
        except (NotImplementedError, ImportError) as exc:
            raise Unavailable(not_implemented(exc)) from None

        def call():
            out = io.BytesIO()
            _checked(run_command(module, argv, stdin=None, stdout=out, stderr=None, engine=eng))
            return command.parse(out.getvalue())

        return Prepared(call, setup)


class WasiPywasmRunner(PywasmRunner):
    """pywasm with its own WASI (``pywasm.wasi.Preview1``)."""

    def __init__(self, commands: dict[str, WasiKernel], repeat: int | None = None):
        super().__init__(repeat)
        self.commands = commands

    def prepare(self, kernel: Kernel, wasm: bytes, args) -> Prepared:
        try:
            import pywasm
            import pywasm.wasi
        except ImportError:
            raise _missing("pywasm") from None
        command = self.commands[kernel.name]
        argv = command.argv(*args)
        start = time.perf_counter()
        desc = pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm))
        setup = time.perf_counter() - start

        def call():
            runtime = pywasm.core.Runtime()
            # Preview1 asks the process's stdio for their fds even when they
            # are not used (stdout is replaced below); give it the real ones
            # where they have been replaced (by pytest's capture, say).
            saved = sys.stdin, sys.stdout, sys.stderr
            try:
                sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__
                wasi = pywasm.wasi.Preview1(argv, {}, {})
            finally:
                sys.stdin, sys.stdout, sys.stderr = saved
            wasi.fd[1].pipe = io.BytesIO()
            wasi.bind(runtime)
            _checked(wasi.main(runtime, runtime.instance(desc)))
            return command.parse(wasi.fd[1].pipe.getvalue())

        return Prepared(call, setup)


class WasiWasmtimeRunner(WasmtimeRunner):
    """wasmtime with its own WASI; stdout goes to a temporary file."""

    def __init__(self, commands: dict[str, WasiKernel], repeat: int | None = None):
        super().__init__(repeat)
        self.commands = commands
        # removed with the runner, quietly (an implicitly cleaned
        # TemporaryDirectory warns, an error under -W error)
        self._tmp = tempfile.mkdtemp(prefix="wasi-bench-")
        weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)

    def prepare(self, kernel: Kernel, wasm: bytes, args) -> Prepared:
        try:
            import wasmtime
        except ImportError:
            raise _missing("wasmtime") from None
        command = self.commands[kernel.name]
        argv = command.argv(*args)
        out = Path(self._tmp) / f"{kernel.name}.out"
        start = time.perf_counter()
        eng = wasmtime.Engine()
        module = wasmtime.Module(eng, wasm)
        linker = wasmtime.Linker(eng)
        linker.define_wasi()
        setup = time.perf_counter() - start

        def call():
            store = wasmtime.Store(eng)
            config = wasmtime.WasiConfig()
            config.argv = argv
            config.stdout_file = str(out)
            store.set_wasi(config)
            instance = linker.instantiate(store, module)
            try:
                instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as exc:
                _checked(exc.code)
            return command.parse(out.read_bytes())

        return Prepared(call, setup)


def runners(commands: dict[str, WasiKernel], *, pywasm: bool = True, wasmtime: bool = True,
            ours: bool = True, pywasm_repeat: int = 1) -> list[Runner]:
    """The twin and the WASI-aware runners."""
    chosen: list[Runner] = [TwinRunner()]
    if ours:
        chosen.append(WasiEngineRunner(commands))
    if pywasm:
        chosen.append(WasiPywasmRunner(commands, repeat=pywasm_repeat))
    if wasmtime:
        chosen.append(WasiWasmtimeRunner(commands))
    return chosen


def measure(command: WasiKernel, chosen: list[Runner], *, quick: bool, repeat: int,
            progress: Callable[[str], None] | None = None) -> KernelReport:
    """Run ``chosen`` on one WASI kernel; the twin runs first and sets the
    reference result."""
    kernel = command.kernel
    args = kernel.args(quick)
    ordered = sorted(chosen, key=lambda r: not isinstance(r, TwinRunner))
    outcomes: dict[str, Outcome] = {}
    reference = None
    for runner in ordered:
        count = runner.repeat if runner.repeat is not None else repeat
        if progress is not None and runner.slow:
            progress(f"{kernel.name:<12} {runner.label:<9} running {count} call(s)...")
        outcome, bits = run_one(runner, kernel, command.wasm, args, count, reference)
        if isinstance(runner, TwinRunner) and outcome.status == OK:
            reference = bits
        outcomes[runner.key] = outcome
        if progress is not None:
            shown = (f"{outcome.median:.6f} s -> {outcome.result}" if outcome.status == OK
                     else f"{outcome.status.upper()}: {outcome.reason}")
            progress(f"{kernel.name:<12} {runner.label:<9} {shown}")
    from .values import show

    return KernelReport(kernel, args, show(reference, kernel.result) if reference is not None
                        else None, outcomes)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.wasi``: measure, print, write; the exit status
    (0 all agree, 1 a result disagreed or a runner failed, 2 setup problem)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.wasi",
        description="Time the WASI kernels (real WASI programs built from C) on our "
                    "engine, their plain-Python twins, pywasm and wasmtime.")
    parser.add_argument("--kernel", nargs="+", choices=WASI_NAMES, metavar="NAME")
    parser.add_argument("--quick", action="store_true", help="small workloads (smoke test)")
    parser.add_argument("--repeat", type=int, default=5, metavar="N")
    parser.add_argument("--pywasm-repeat", type=int, default=1, metavar="N")
    parser.add_argument("--no-pywasm", action="store_true")
    parser.add_argument("--no-wasmtime", action="store_true")
    parser.add_argument("--no-engine", action="store_true")
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE")
    parser.add_argument("-q", "--quiet", action="store_true")
    options = parser.parse_args(argv)
    if options.repeat < 1 or options.pywasm_repeat < 1:
        parser.error("repeat counts must be positive")
    try:
        commands = {name: load(name) for name in options.kernel or WASI_NAMES}
        progress = None if options.quiet else (
            lambda line: print(line, file=sys.stderr, flush=True))
        chosen = runners(commands, pywasm=not options.no_pywasm,
                         wasmtime=not options.no_wasmtime, ours=not options.no_engine,
                         pywasm_repeat=options.pywasm_repeat)
        reports = [measure(c, chosen, quick=options.quick, repeat=options.repeat,
                           progress=progress) for c in commands.values()]
        note = (f"{'quick' if options.quick else 'full'} workloads; median of "
                f"{options.repeat} timed calls after one warm-up (pywasm: "
                f"{options.pywasm_repeat}, no warm-up); each call instantiates and runs "
                f"the command")
        notes = unavailable_notes(reports) + [note]
        print(text_table(reports))
        print()
        for line in notes:
            print(line)
        for path, text in ((options.json, lambda: json.dumps(json_document(reports), indent=2) + "\n"),
                           (options.markdown, lambda: markdown_table(reports, notes))):
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text(), encoding="utf-8")
                except OSError as exc:
                    raise BenchError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BenchError as exc:
        print(f"bench.wasi: error: {exc}", file=sys.stderr)
        return 2
    found = problems(reports)
    for line in found:
        print(f"!! {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
