"""The benchmark kernels: each one a ``<name>.wat`` exporting ``run`` and a
``<name>.py`` holding its plain-Python twin.

A twin module defines:

``RESULT``
    the Wasm result type of ``run``: ``"i32"``, ``"i64"`` or ``"f64"``;
``FULL`` / ``QUICK``
    the arguments of ``run`` for a measured run and for a smoke test (the
    same for every runner, so ratios compare equal work);
``run(*args)``
    the same algorithm in plain Python, returning the value the Wasm
    ``run`` returns (integers may come back unsigned);
``PYWASM`` (optional)
    False when pywasm cannot run the kernel (it has no GC support).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import BenchError
from ..wat import compile_wat

#: Kernel names in the order the report lists them.
NAMES: tuple[str, ...] = (
    "fib", "loop", "memscan", "calls", "dispatch", "hash64", "integrate",
    "simd", "simd_scalar", "gctree",
)

#: The result types a kernel may declare.
RESULT_TYPES: frozenset[str] = frozenset({"i32", "i64", "f64"})

_HERE = Path(__file__).resolve().parent


Args = tuple[int | float, ...]


@dataclass(frozen=True, slots=True)
class Kernel:
    """One benchmark kernel: its Wasm source and its Python twin.

    The C programs (:mod:`bench.programs`) are kernels too: their
    ``wat_path`` names a prebuilt ``.wasm``, their ``expected`` results come
    from the same C built natively, and ``reduced`` is the smaller workload
    the slowest runner (pywasm) runs in their place.
    """

    name: str
    summary: str
    result: str
    full: Args
    quick: Args
    #: the plain-Python twin; None where no fair twin exists
    twin: Callable[..., int | float] | None
    #: the kernel's module: ``.wat`` text compiled at bench time, or ``.wasm``
    wat_path: Path
    #: False when pywasm cannot run the kernel (e.g. GC types)
    pywasm: bool = True
    #: (arguments, canonical result bits) pairs known in advance
    expected: tuple[tuple[Args, int], ...] = ()
    #: a smaller workload for the slowest runner; the work must be
    #: proportional to the first argument (see :meth:`scaled`)
    reduced: Args | None = None
    #: "kernel" (written by hand) or "program" (compiled from C): the
    #: report gives each group its own geometric mean
    group: str = "kernel"

    def args(self, quick: bool) -> Args:
        """The arguments of ``run`` for the chosen workload size."""
        return self.quick if quick else self.full

    def binary(self) -> bytes:
        """The kernel's Wasm module."""
        if self.wat_path.suffix == ".wasm":
            try:
                return self.wat_path.read_bytes()
            except OSError as exc:
                raise BenchError(f"kernel {self.name!r}: cannot read {self.wat_path.name} "
                                 f"({exc.strerror or exc})") from None
        return compile_wat(self.wat_path)

    def expected_for(self, args: Args) -> int | None:
        """The canonical result known in advance for ``args``, if any."""
        for known, bits in self.expected:
            if known == args:
                return bits
        return None

    def scaled(self, args: Args) -> tuple[Args, float]:
        """The workload a slow runner runs in place of ``args``, and the
        factor that scales its time back to ``args``: the reduced workload
        where the kernel has one smaller than ``args``, else ``args`` itself."""
        if self.reduced is None or self.reduced[0] >= args[0]:
            return args, 1.0
        return self.reduced, args[0] / self.reduced[0]


def load(name: str) -> Kernel:
    """The kernel called ``name``; :class:`BenchError` if it is unknown or
    its twin module does not declare what the runner needs."""
    if name not in NAMES:
        raise BenchError(f"unknown kernel {name!r}; known: {', '.join(NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    wat_path = _HERE / f"{name}.wat"
    if not wat_path.is_file():
        raise BenchError(f"kernel {name!r} has no {wat_path.name}")
    return declared(module, wat_path, required=("RESULT", "FULL", "QUICK", "run"))


def declared(module, path: Path, *, required: tuple[str, ...], what: str = "kernel",
             **extra) -> Kernel:
    """The kernel a twin module declares (``RESULT``, ``FULL``, ``QUICK``,
    ``run``, ``PYWASM``; the name is the module's), its binary at ``path``;
    ``extra`` sets further fields. BenchError if a ``required`` name is
    missing or ``RESULT`` is not a result type."""
    name = module.__name__.rpartition(".")[2]
    missing = [attr for attr in required if not hasattr(module, attr)]
    if missing:
        raise BenchError(f"{what} {name!r}: twin module lacks {missing[0]}")
    if module.RESULT not in RESULT_TYPES:
        raise BenchError(f"{what} {name!r}: RESULT must be one of {sorted(RESULT_TYPES)}")
    summary = (module.__doc__ or name).strip().splitlines()[0]
    return Kernel(name, summary, module.RESULT, tuple(module.FULL), tuple(module.QUICK),
                  getattr(module, "run", None), path, getattr(module, "PYWASM", True), **extra)


def load_all(names: tuple[str, ...] | list[str] = NAMES) -> list[Kernel]:
    """The kernels called ``names``, in that order."""
    return [load(name) for name in names]
