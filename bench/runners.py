"""The things that run a kernel: our engine, the Python twin, pywasm and
wasmtime, behind one small interface.

A runner turns (kernel, wasm bytes, arguments) into a :class:`Prepared`
call. Preparing is not timed as part of the kernel: only the call is. A
runner that cannot run at all here (package missing, engine not written
yet) raises :class:`Unavailable` with the reason to print.
"""

from __future__ import annotations

import io
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

from spectest.engines import label_of

from .kernels import Kernel

Args = tuple[int | float, ...]


class Unavailable(Exception):
    """The runner cannot run here; ``str()`` is the short reason."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A kernel made ready to run: ``call()`` runs ``run`` once with its
    arguments bound and returns the result; ``setup`` is the seconds spent
    compiling and instantiating, when that is meaningful."""

    call: Callable[[], object]
    setup: float | None = None


class Runner(ABC):
    """One way of running a kernel."""

    #: Key in the JSON output.
    key: str
    #: Column heading in the tables.
    label: str
    #: Whether one untimed call precedes the timed ones.
    warmup: bool = True
    #: Whether a run takes long enough to be worth announcing when it starts.
    slow: bool = False

    def __init__(self, repeat: int | None = None):
        #: Timed calls per kernel; None means the run's default.
        self.repeat = repeat

    @abstractmethod
    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        """Make ``kernel`` ready to be called with ``args``."""


def not_implemented(exc: BaseException) -> str:
    """The n/a reason for an engine that lacks what a kernel needs."""
    detail = str(exc).strip()
    path = getattr(exc, "path", None)
    if path:
        # Keep machine paths out of notes that may end up in the README.
        detail = detail.replace(f" ({path})", "")
    return "not implemented" + (f" ({type(exc).__name__}: {detail})" if detail else "")


def _missing(package: str) -> Unavailable:
    return Unavailable(f"not installed ({package})")


class TwinRunner(Runner):
    """The plain-Python twin: the reference result and the practical limit
    for a pure-Python engine."""

    key = "python"
    label = "python"

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        twin = kernel.twin
        return Prepared(lambda: twin(*args))


class EngineRunner(Runner):
    """This project's engine, through its public embedding API."""

    key = "engine"
    label = label_of("engine")

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        try:
            import engine
        except ImportError as exc:
            raise Unavailable(f"cannot import the engine ({exc})") from None
        try:
            eng = engine.Engine(engine.Config())
            store = engine.Store(eng)
            start = time.perf_counter()
            module = engine.Module(eng, wasm)
            instance = engine.Linker(eng).instantiate(store, module)
            run = instance.exports(store)["run"]
            setup = time.perf_counter() - start
        except (NotImplementedError, ImportError) as exc:
            # While the engine is being written, a missing piece shows up as
            # one of these: the engine cannot run yet, which is not a failure.
            raise Unavailable(not_implemented(exc)) from None
        return Prepared(lambda: run(store, *args), setup)


class EngineFuelRunner(Runner):
    """Our engine with fuel metering on (and fuel to spare): what metering
    costs, for ``--fuel``."""

    key = "engine_fuel"
    label = label_of("engine") + "+fuel"

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        try:
            import engine
        except ImportError as exc:
            raise Unavailable(f"cannot import the engine ({exc})") from None
        try:
            eng = engine.Engine(engine.Config(consume_fuel=True))
            store = engine.Store(eng)
            start = time.perf_counter()
            module = engine.Module(eng, wasm)
            instance = engine.Linker(eng).instantiate(store, module)
            run = instance.exports(store)["run"]
            setup = time.perf_counter() - start
        except (NotImplementedError, ImportError, TypeError) as exc:
            raise Unavailable(not_implemented(exc)) from None

        def call():
            store.set_fuel(1 << 62)
            return run(store, *args)

        return Prepared(call, setup)


class PywasmRunner(Runner):
    """pywasm, the pure-Python interpreter we compare against. It is a few
    hundred times slower than the twin, so it runs unwarmed and, by
    default, once."""

    key = "pywasm"
    label = label_of("pywasm")
    warmup = False
    slow = True

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        try:
            import pywasm
        except ImportError:
            raise _missing("pywasm") from None
        if not kernel.pywasm:
            raise Unavailable("pywasm does not support this kernel's proposals")
        start = time.perf_counter()
        runtime = pywasm.core.Runtime()
        module = pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm))
        instance = runtime.instance(module)
        setup = time.perf_counter() - start
        arg_list = list(args)
        # invocate returns the list of results; every kernel has exactly one.
        return Prepared(lambda: runtime.invocate(instance, "run", arg_list)[0], setup)


class WasmtimeRunner(Runner):
    """wasmtime through wasmtime-py: the native yardstick."""

    key = "wasmtime"
    label = label_of("wasmtime")

    def prepare(self, kernel: Kernel, wasm: bytes, args: Args) -> Prepared:
        try:
            import wasmtime
        except ImportError:
            raise _missing("wasmtime") from None
        start = time.perf_counter()
        config = wasmtime.Config()
        # the proposals the kernels use beyond the defaults (GC)
        for flag in ("wasm_gc", "wasm_function_references"):
            if hasattr(config, flag):
                setattr(config, flag, True)
        eng = wasmtime.Engine(config)
        store = wasmtime.Store(eng)
        module = wasmtime.Module(eng, wasm)
        instance = wasmtime.Instance(store, module, [])
        run = instance.exports(store)["run"]
        setup = time.perf_counter() - start
        return Prepared(lambda: run(store, *args), setup)


#: JSON keys in output order (also the order of the table's time columns).
KEYS: tuple[str, ...] = ("engine", "python", "pywasm", "wasmtime")
