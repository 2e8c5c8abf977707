"""The benchmark programs: real C programs compiled to Wasm, beside the
hand-written kernels.

Each program is ``src/<name>.c`` (written for this benchmark), built by
``scripts/build-bench-programs`` with clang for wasm32-wasi at -O2 into
``<name>.wasm`` (committed). A program exports one function, ``run(n)``,
which does ``n`` rounds of the same work on fresh pseudo-random input,
checks itself (a failed check traps) and returns a checksum; it imports
nothing, so every runner calls it like a kernel. The build script also
runs the same C built natively on every workload and records the results
in ``expected.txt``: every runner, the twin included, must return them.

``<name>.py`` declares, as a kernel's twin module does, ``RESULT``,
``FULL``, ``QUICK`` and ``run`` (the plain-Python twin: the same
algorithm), plus ``REDUCED``, the workload pywasm runs instead (its time
is scaled up to the full workload: a program's work is proportional to
its number of rounds).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import BenchError
from ..kernels import Kernel, declared

#: Program names in the order the report lists them.
PROGRAM_NAMES: tuple[str, ...] = ("lz", "json", "raytrace", "vm", "chacha", "sort", "matmul")

_HERE = Path(__file__).resolve().parent
EXPECTED_FILE = _HERE / "expected.txt"


def _module(name: str):
    if name not in PROGRAM_NAMES:
        raise BenchError(f"unknown program {name!r}; known: {', '.join(PROGRAM_NAMES)}")
    return importlib.import_module(f"{__name__}.{name}")


def workloads(name: str) -> list[int]:
    """Every ``n`` the benchmark may call program ``name``'s ``run`` with."""
    module = _module(name)
    sizes = {args[0] for args in (module.FULL, module.QUICK, module.REDUCED)}
    return sorted(sizes)


def read_expected(path: Path = EXPECTED_FILE) -> dict[str, dict[int, int]]:
    """expected.txt as {program: {n: canonical result bits}}."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise BenchError(f"no {path.name}: run scripts/build-bench-programs") from None
    table: dict[str, dict[int, int]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            name, n, bits = line.split()
            table.setdefault(name, {})[int(n)] = int(bits)
        except ValueError:
            raise BenchError(f"{path.name}:{number}: expected 'program n result'") from None
    return table


def load_program(name: str) -> Kernel:
    """Program ``name`` as a kernel (BenchError if it is unknown, unbuilt,
    or lacks a recorded result for one of its workloads)."""
    module = _module(name)
    wasm_path = _HERE / f"{name}.wasm"
    if not wasm_path.is_file():
        raise BenchError(f"program {name!r} has no {wasm_path.name}: run scripts/build-bench-programs")
    if not hasattr(module, "REDUCED"):
        raise BenchError(f"program {name!r}: its module lacks REDUCED")
    recorded = read_expected().get(name, {})
    missing = [n for n in workloads(name) if n not in recorded]
    if missing:
        raise BenchError(f"program {name!r}: no native result for n = {missing}; "
                         "run scripts/build-bench-programs")
    return declared(module, wasm_path, required=("RESULT", "FULL", "QUICK"), what="program",
                    expected=tuple(((n,), bits) for n, bits in sorted(recorded.items())),
                    reduced=tuple(module.REDUCED), group="program")
