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

#: Kernel names in the order the report lists them.
NAMES: tuple[str, ...] = (
    "fib", "loop", "memscan", "calls", "dispatch", "hash64", "integrate",
    "simd", "simd_scalar", "gctree",
)

#: The result types a kernel may declare.
RESULT_TYPES: frozenset[str] = frozenset({"i32", "i64", "f64"})

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Kernel:
    """One benchmark kernel: its Wasm source and its Python twin."""

    name: str
    summary: str
    result: str
    full: tuple[int | float, ...]
    quick: tuple[int | float, ...]
    twin: Callable[..., int | float]
    wat_path: Path
    #: False when pywasm cannot run the kernel (e.g. GC types)
    pywasm: bool = True

    def args(self, quick: bool) -> tuple[int | float, ...]:
        """The arguments of ``run`` for the chosen workload size."""
        return self.quick if quick else self.full


def load(name: str) -> Kernel:
    """The kernel called ``name``; :class:`BenchError` if it is unknown or
    its twin module does not declare what the runner needs."""
    if name not in NAMES:
        raise BenchError(f"unknown kernel {name!r}; known: {', '.join(NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    wat_path = _HERE / f"{name}.wat"
    if not wat_path.is_file():
        raise BenchError(f"kernel {name!r} has no {wat_path.name}")
    try:
        result, full, quick, twin = module.RESULT, module.FULL, module.QUICK, module.run
    except AttributeError as exc:
        raise BenchError(f"kernel {name!r}: twin module lacks {exc.name}") from None
    if result not in RESULT_TYPES:
        raise BenchError(f"kernel {name!r}: RESULT must be one of {sorted(RESULT_TYPES)}")
    summary = (module.__doc__ or name).strip().splitlines()[0]
    return Kernel(name, summary, result, tuple(full), tuple(quick), twin, wat_path,
                  getattr(module, "PYWASM", True))


def load_all(names: tuple[str, ...] | list[str] = NAMES) -> list[Kernel]:
    """The kernels called ``names``, in that order."""
    return [load(name) for name in names]
