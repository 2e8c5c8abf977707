"""The adapter for pywasm, the pure-Python interpreter (the ``bench`` extra).

pywasm keeps every value as 16 raw bytes (``ValInst``), so values cross the
boundary bit-exactly: arguments are written and results read as bit
patterns through its machine (``Machine.invocate``), never through Python
floats.

What pywasm does not tell apart, and how this adapter reads it (all on the
conservative side for the verdicts that matter, and listed in the README):

* it does not validate: a module that decodes is accepted, so
  ``assert_invalid`` fails unless decoding already refuses the module; a
  module that does not decode is :class:`~spectest.outcomes.Rejected`;
* it has no trap signal of its own: a trap is a Python ``AssertionError``
  (``unreachable``, bounds, ...) or an arithmetic error, so any exception
  while running Wasm code counts as a trap, and as exhaustion when the call
  stack is at its limit of 1024 frames;
* import types are checked here, before instantiation, exactly as pywasm
  would check them, so a mismatch is unlinkable and not a trap.

It is very slow (a few hundred times slower than this project's engine), so
its default limits are tight: 5 s per command and 60 s per script; what runs
past them fails as "timed out", and the report says so.
"""

from __future__ import annotations

import importlib.metadata
import io
import struct
from typing import Any, Optional, Sequence

from pywasm import core

from ..host import SPECTEST, HostFunc, HostGlobal, HostMemory, HostTable
from ..outcomes import (Exhausted, Rejected, Trapped, UnknownExport, Unlinkable, Unsupported)
from ..script import ModuleSource
from ..values import NULL, Num, Ref, RefKind, Value, Vec

__all__ = ["PywasmAdapter", "CLAIMS"]

#: the proposals pywasm 2 implements
CLAIMS = frozenset({
    "core", "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd",
})

_BYTES = {"i32": 4, "i64": 8, "f32": 4, "f64": 8}
_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
          0x70: "funcref", 0x6F: "externref"}
_MAX_FRAMES = 1024


def _valinst(t: core.ValType, value: Value) -> core.ValInst:
    kind = _TYPES.get(t.data)
    if kind in _BYTES and isinstance(value, Num) and value.type == kind:
        raw = value.bits.to_bytes(_BYTES[kind], "little")
        return core.ValInst(t, bytearray(raw) + bytearray(16 - len(raw)))
    if kind == "v128" and isinstance(value, Vec):
        return core.ValInst(t, bytearray(value.bits.to_bytes(16, "little")))
    if kind in ("funcref", "externref") and isinstance(value, Ref):
        if value.kind is RefKind.NULL:
            return core.ValInst.zero(t)
        if kind == "externref" and value.kind is RefKind.EXTERN and value.host is not None:
            return core.ValInst(t, bytearray(struct.pack("<i", value.host)) + b"\x01"
                                + bytearray(11))
    raise Unsupported("host-boundary", f"cannot pass {value} as {kind}")


def _value(v: core.ValInst) -> Value:
    kind = _TYPES.get(v.type.data, "?")
    if kind in _BYTES:
        return Num(kind, int.from_bytes(bytes(v.data[:_BYTES[kind]]), "little"))
    if kind == "v128":
        return Vec(int.from_bytes(bytes(v.data[:16]), "little"))
    if v.data[4] == 0:
        return NULL
    if kind == "externref":
        return Ref(RefKind.EXTERN, struct.unpack("<i", bytes(v.data[:4]))[0])
    return Ref(RefKind.FUNC)


class _Instance:
    __slots__ = ("inst", "exports")

    def __init__(self, inst: core.ModuleInst):
        self.inst = inst
        self.exports = {e.name: e.data for e in inst.exps}


class PywasmSession:
    """One script's pywasm runtime, with the spectest module (what pywasm can
    express of it: no shared memory, no 64-bit table)."""

    def __init__(self) -> None:
        self.runtime = core.Runtime()
        self.machine = self.runtime.machine
        host: dict[str, core.Extern] = {}
        for item in SPECTEST:
            extern = self._host_item(item)
            if extern is not None:
                host[item.name] = extern
        self.runtime.imports = {"spectest": host}

    def _host_item(self, item: Any) -> Optional[core.Extern]:
        rt = self.runtime
        if isinstance(item, HostFunc):
            params = [core.ValType({"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C}[p])
                      for p in item.params]
            return rt.allocate_func_host(core.FuncType(params, []), lambda *args: [])
        if isinstance(item, HostGlobal):
            t = core.ValType({"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C}[item.type])
            return rt.allocate_global(core.GlobalType(t, 0), _valinst(t, Num(item.type, item.bits)))
        if isinstance(item, HostTable) and not item.address64:
            return rt.allocate_table(core.TableType(core.ValType.ref_func(),
                                                    core.Limits(item.minimum, item.maximum or 0)))
        if isinstance(item, HostMemory) and not item.shared:
            return rt.allocate_memory(core.MemType(core.Limits(item.minimum, item.maximum or 0)))
        return None

    def _reset(self) -> None:
        # a failed run leaves frames, labels and values behind
        self.machine.stack = core.Stack()

    def compile(self, source: ModuleSource) -> Any:
        binary = source.binary()
        if binary is None:
            raise Unsupported("text-format", "pywasm reads binary modules only")
        try:
            return core.ModuleDesc.from_reader(io.BytesIO(binary))
        except Exception as exc:  # noqa: BLE001 - pywasm reports a bad module any way it fails
            raise Rejected(f"{type(exc).__name__}: {exc}") from None

    def _check_imports(self, module: core.ModuleDesc) -> list[core.Extern]:
        store = self.machine.store
        externs = []
        for imp in module.imps:
            extern = self.runtime.imports.get(imp.module, {}).get(imp.name)
            where = f"{imp.module}.{imp.name}"
            if extern is None:
                raise Unlinkable(f"unknown import {where}")
            ok = extern.kind == imp.kind
            if ok and imp.kind == 0x00:
                ok = store.func[extern.data].type == module.type[imp.desc]
            elif ok and imp.kind == 0x01:
                table = store.tabl[extern.data]
                ok = table.type.type == imp.desc.type and table.suit(imp.desc.limits)
            elif ok and imp.kind == 0x02:
                ok = store.mems[extern.data].suit(imp.desc.limits)
            elif ok and imp.kind == 0x03:
                glob = store.glob[extern.data]
                ok = glob.data.type == imp.desc.type and glob.mut == imp.desc.mut
            if not ok:
                raise Unlinkable(f"incompatible import type for {where}")
            externs.append(extern)
        return externs

    def instantiate(self, module: Any) -> _Instance:
        externs = self._check_imports(module)
        try:
            return _Instance(self.machine.instance(module, externs))
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            self._reset()
            raise Trapped(f"{type(exc).__name__}: {exc}") from None

    def register(self, name: str, instance: _Instance) -> None:
        self.runtime.imports[name] = dict(instance.exports)

    def _export(self, instance: _Instance, field: str, kind: int) -> int:
        extern = instance.exports.get(field)
        if extern is None or extern.kind != kind:
            raise UnknownExport(f"no such export {field!r}")
        return int(extern.data)

    def invoke(self, instance: _Instance, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        addr = self._export(instance, field, 0x00)
        func = self.machine.store.func[addr]
        if len(args) != len(func.type.args):
            raise Unsupported("host-boundary", f"{len(args)} arguments for {len(func.type.args)}")
        values = [_valinst(t, a) for t, a in zip(func.type.args, args)]
        try:
            results = self.machine.invocate(addr, values)
        except Exception as exc:  # noqa: BLE001 - see the module docstring
            deep = len(self.machine.stack.frame) >= _MAX_FRAMES
            self._reset()
            if deep:
                raise Exhausted(f"call stack at pywasm's limit of {_MAX_FRAMES} frames") from None
            raise Trapped(f"{type(exc).__name__}: {exc}") from None
        return [_value(v) for v in results]

    def get(self, instance: _Instance, field: str, hint: Optional[str] = None) -> Value:
        addr = self._export(instance, field, 0x03)
        return _value(self.machine.store.glob[addr].data)

    def close(self) -> None:
        self.runtime = None  # type: ignore[assignment]


class PywasmAdapter:
    """pywasm (see the module docstring)."""

    name = "pywasm"
    reads_text = False
    checks_custom = False
    claims = CLAIMS
    #: pywasm runs a few hundred times slower than this project's engine
    command_timeout = 5.0
    script_timeout = 60.0

    def session(self, disabled: frozenset[str] = frozenset()) -> PywasmSession:
        """A fresh runtime (pywasm has no switches: ``disabled`` is ignored)."""
        return PywasmSession()

    def version(self) -> str:
        """``pywasm VERSION``."""
        try:
            return f"pywasm {importlib.metadata.version('pywasm')}"
        except importlib.metadata.PackageNotFoundError:
            return "pywasm"
