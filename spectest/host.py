"""The ``spectest`` host module, as the reference interpreter defines it.

Scripts import these by name (``(import "spectest" "print_i32" ...)``). The
table below is the single description; each adapter builds the items its own
way (host functions, or a small Wasm module for engines whose host API cannot
express every item, e.g. a table with 64-bit addresses).

* ``print*``: functions with no results whose parameters are printed by the
  reference interpreter (here they do nothing: output is not checked);
* ``global_i32`` / ``global_i64`` = 666, ``global_f32`` / ``global_f64`` = 666.6,
  all immutable;
* ``table``: 10..20 funcref; ``table64``: the same with i64 addresses;
* ``memory``: 1..2 pages; ``shared_memory``: 1..2 pages, shared.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional, Union

__all__ = ["HostFunc", "HostGlobal", "HostTable", "HostMemory", "HostItem", "SPECTEST",
           "spectest_wat", "HostRef", "HostRefs"]


@dataclass(frozen=True, slots=True)
class HostFunc:
    """A function with these parameter types and no results."""

    name: str
    params: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HostGlobal:
    """An immutable global; ``bits`` is the value's bit pattern."""

    name: str
    type: str
    bits: int


@dataclass(frozen=True, slots=True)
class HostTable:
    """A funcref table."""

    name: str
    minimum: int
    maximum: Optional[int]
    address64: bool = False


@dataclass(frozen=True, slots=True)
class HostMemory:
    """A linear memory of 64 KiB pages."""

    name: str
    minimum: int
    maximum: Optional[int]
    shared: bool = False


HostItem = Union[HostFunc, HostGlobal, HostTable, HostMemory]


class HostRef:
    """The host value of ``ref.extern N`` (and, internalized, ``ref.host N``):
    an object an engine carries as an opaque external reference."""

    __slots__ = ("number",)

    def __init__(self, number: int):
        self.number = number

    def __repr__(self) -> str:
        return f"HostRef({self.number})"


class HostRefs:
    """The host values of one session: the same number is always the same
    object (engines compare external references by identity)."""

    def __init__(self) -> None:
        self._refs: dict[int, HostRef] = {}

    def __call__(self, number: int) -> HostRef:
        ref = self._refs.get(number)
        if ref is None:
            ref = self._refs[number] = HostRef(number)
        return ref

_F32_666_6 = struct.unpack("<I", struct.pack("<f", 666.6))[0]
_F64_666_6 = struct.unpack("<Q", struct.pack("<d", 666.6))[0]

#: Every item of the spectest module.
SPECTEST: tuple[HostItem, ...] = (
    HostFunc("print", ()),
    HostFunc("print_i32", ("i32",)),
    HostFunc("print_i64", ("i64",)),
    HostFunc("print_f32", ("f32",)),
    HostFunc("print_f64", ("f64",)),
    HostFunc("print_i32_f32", ("i32", "f32")),
    HostFunc("print_f64_f64", ("f64", "f64")),
    HostGlobal("global_i32", "i32", 666),
    HostGlobal("global_i64", "i64", 666),
    HostGlobal("global_f32", "f32", _F32_666_6),
    HostGlobal("global_f64", "f64", _F64_666_6),
    HostTable("table", 10, 20),
    HostTable("table64", 10, 20, address64=True),
    HostMemory("memory", 1, 2),
    HostMemory("shared_memory", 1, 2, shared=True),
)


def _limits(minimum: int, maximum: Optional[int]) -> str:
    return f"{minimum} {maximum}" if maximum is not None else f"{minimum}"


def spectest_wat() -> str:
    """The spectest module as Wasm text, for adapters that build it as a module.

    Numbers are written as bit patterns so the values are exact.
    """
    lines = ["(module"]
    for item in SPECTEST:
        if isinstance(item, HostFunc):
            params = f" (param {' '.join(item.params)})" if item.params else ""
            lines.append(f'  (func (export "{item.name}"){params})')
        elif isinstance(item, HostGlobal):
            if item.type == "f32":
                # hex float literals are exact; the f32 value widens to a
                # double without rounding
                init = f"(f32.const {struct.unpack('<f', struct.pack('<I', item.bits))[0].hex()})"
            elif item.type == "f64":
                init = f"(f64.const {struct.unpack('<d', struct.pack('<Q', item.bits))[0].hex()})"
            else:
                init = f"({item.type}.const {item.bits})"
            lines.append(f'  (global (export "{item.name}") {item.type} {init})')
        elif isinstance(item, HostTable):
            addr = " i64" if item.address64 else ""
            lines.append(f'  (table (export "{item.name}"){addr} {_limits(item.minimum, item.maximum)} funcref)')
        elif isinstance(item, HostMemory):
            shared = " shared" if item.shared else ""
            lines.append(f'  (memory (export "{item.name}") {_limits(item.minimum, item.maximum)}{shared})')
    lines.append(")")
    return "\n".join(lines)
