"""The reference adapter, on the ``wasmtime`` package.

Every proposal wasmtime's ``Config`` can switch on is on. What wasmtime-py's
host API cannot carry (v128, f32 NaN payloads, GC references, exnref) goes
through trampolines (:mod:`spectest.adapters.wasmbin`), so results are still
checked bit-exactly; wasmtime-py is never asked for the type of a function or
global whose type it cannot describe (it aborts the process on those).

Differences from a strict engine, all on the conservative side:

* wasmtime's errors do not say whether a module was malformed or invalid, so
  a rejected module is :class:`~spectest.outcomes.Rejected`, which satisfies
  either expectation (acceptance of a bad module is still caught);
* text modules are compiled by wasmtime's own text parser.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from typing import Any, Optional, Sequence

import wasmtime

from ..host import HostRef, HostRefs, spectest_wat
from ..proposals import PROPOSALS
from ..outcomes import (Exhausted, InstantiationFailed, Rejected, Thrown, Trapped,
                        UnknownExport, Unlinkable, Unsupported)
from ..script import ModuleSource
from ..values import NULL, Num, Ref, RefKind, Value, Vec, bits_to_f64, f64_bits
from . import wasmbin

__all__ = ["WasmtimeAdapter", "FEATURES"]

#: The Config switches turned on (those this wasmtime-py version has).
FEATURES = (
    "wasm_bulk_memory", "wasm_multi_value", "wasm_reference_types", "wasm_simd",
    "wasm_relaxed_simd", "wasm_tail_call", "wasm_multi_memory", "wasm_memory64",
    "wasm_threads", "wasm_function_references", "wasm_gc", "wasm_exceptions",
    "wasm_wide_arithmetic", "wasm_custom_page_sizes", "gc_support", "shared_memory",
)

_M32, _M64 = (1 << 32) - 1, (1 << 64) - 1
_UNLINKABLE_MARKERS = ("unknown import", "incompatible import type", "types incompatible",
                       "type mismatch", "not compatible")
_EXCEPTION_MARKER = "thrown wasm exception"


def _signed(bits: int, width: int) -> int:
    return bits - (1 << width) if bits >> (width - 1) else bits


class _Module:
    __slots__ = ("module", "binary", "_info")

    def __init__(self, module: wasmtime.Module, binary: bytes):
        self.module = module
        self.binary = binary
        self._info: Optional[wasmbin.ModuleInfo] = None

    @property
    def info(self) -> wasmbin.ModuleInfo:
        if self._info is None:
            self._info = wasmbin.read_module_info(self.binary)
        return self._info


class _Instance:
    __slots__ = ("instance", "module", "exports", "trampolines")

    def __init__(self, instance: wasmtime.Instance, module: _Module, exports: Any):
        self.instance = instance
        self.module = module
        self.exports = exports
        self.trampolines: dict[tuple[str, str], Any] = {}


def _classify_trap(exc: BaseException) -> Exception:
    text = str(exc)
    if _EXCEPTION_MARKER in text.lower():
        return Thrown(text)
    code = getattr(exc, "trap_code", None)
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return Exhausted(text)
    return Trapped(text)


class WasmtimeSession:
    """One script's store, linker and spectest instance."""

    def __init__(self, adapter: "WasmtimeAdapter"):
        self.adapter = adapter
        self.engine = adapter.engine
        self.store = wasmtime.Store(self.engine)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.allow_shadowing = True
        host = wasmtime.Instance(self.store, adapter.spectest_module(), [])
        self.linker.define_instance(self.store, "spectest", host)
        self._host = HostRefs()

    # -- modules --------------------------------------------------------------

    def compile(self, source: ModuleSource) -> _Module:
        binary = source.binary()
        if binary is None:
            text = source.text() or b""
            try:
                binary = bytes(wasmtime.wat2wasm(text))
            except wasmtime.WasmtimeError as exc:
                raise Rejected(str(exc)) from None
        try:
            module = wasmtime.Module(self.engine, binary)
        except wasmtime.WasmtimeError as exc:
            raise Rejected(str(exc)) from None
        return _Module(module, binary)

    def instantiate(self, module: _Module) -> _Instance:
        try:
            instance = self.linker.instantiate(self.store, module.module)
        except wasmtime.Trap as exc:
            raise _classify_trap(exc) from None
        except wasmtime.WasmtimeError as exc:
            text = str(exc)
            if _EXCEPTION_MARKER in text.lower():
                raise Thrown(text) from None
            if any(marker in text for marker in _UNLINKABLE_MARKERS):
                raise Unlinkable(text) from None
            raise InstantiationFailed(text) from None
        return _Instance(instance, module, instance.exports(self.store))

    def register(self, name: str, instance: _Instance) -> None:
        self.linker.define_instance(self.store, name, instance.instance)

    # -- values -------------------------------------------------------------------

    def _ref_arg(self, value: Value) -> Any:
        if not isinstance(value, Ref):
            raise Unsupported("host-boundary", f"expected a reference argument, got {value}")
        if value.kind is RefKind.NULL:
            return None
        if value.host is not None:
            return self._host(value.host)
        raise Unsupported("host-boundary", f"cannot pass {value} from the host")

    def _boundary_args(self, info: wasmbin.ModuleInfo, types: Sequence[wasmbin.ValType],
                       args: Sequence[Value]) -> list[Any]:
        out: list[Any] = []
        for t, v in zip(types, args):
            kind = wasmbin.boundary_kind(info, t)
            if kind in ("i32", "i64", "f32", "f64"):
                if not isinstance(v, Num):
                    raise Unsupported("host-boundary", f"argument {v} for a {kind} parameter")
                if kind == "f64":
                    out.append(bits_to_f64(v.bits))
                elif kind == "i64":
                    out.append(_signed(v.bits, 64))
                else:  # i32, and f32 passed as its bit pattern
                    out.append(_signed(v.bits, 32))
            elif kind == "v128":
                if not isinstance(v, Vec):
                    raise Unsupported("host-boundary", f"argument {v} for a v128 parameter")
                out.append(_signed(v.bits & _M64, 64))
                out.append(_signed(v.bits >> 64, 64))
            elif kind == "exn":
                if v != NULL:
                    raise Unsupported("host-boundary", "only a null exnref can be passed")
            else:
                out.append(self._ref_arg(v))
        return out

    def _boundary_results(self, info: wasmbin.ModuleInfo, types: Sequence[wasmbin.ValType],
                          raw: list[Any]) -> list[Value]:
        values: list[Value] = []
        it = iter(raw)
        for t in types:
            kind = wasmbin.boundary_kind(info, t)
            if kind in ("i32", "f32"):
                values.append(Num(kind, next(it) & _M32))
            elif kind == "i64":
                values.append(Num("i64", next(it) & _M64))
            elif kind == "f64":
                values.append(Num("f64", f64_bits(next(it))))
            elif kind == "v128":
                lo, hi = next(it) & _M64, next(it) & _M64
                values.append(Vec(lo | hi << 64))
            elif kind == "func":
                values.append(NULL if next(it) is None else Ref(RefKind.FUNC))
            elif kind == "exn":
                values.append(Ref(RefKind.EXN) if next(it) else NULL)
            else:
                tag, host = next(it), next(it)
                values.append(self._ref_result(kind, tag, host))
        return values

    def _ref_result(self, hierarchy: str, tag: int, host: Any) -> Ref:
        if tag == 0:
            return NULL
        if hierarchy == "extern":
            if tag == 1:
                return Ref(RefKind.EXTERN, host.number if isinstance(host, HostRef) else None)
            return Ref(RefKind.EXTERN)
        kinds = {1: RefKind.I31, 2: RefKind.STRUCT, 3: RefKind.ARRAY}
        if tag in kinds:
            return Ref(kinds[tag])
        return Ref(RefKind.HOST, host.number if isinstance(host, HostRef) else None)

    # -- calls --------------------------------------------------------------------------

    def _export(self, instance: _Instance, field: str) -> Any:
        try:
            return instance.exports[field]
        except KeyError:
            raise UnknownExport(f"no export {field!r}") from None

    def _trampoline(self, instance: _Instance, kind: str, field: str, build: Any) -> Any:
        key = (kind, field)
        func = instance.trampolines.get(key)
        if func is None:
            binary = build()
            module = self.adapter.trampoline_module(binary)
            try:
                tramp = wasmtime.Instance(self.store, module, [self._export(instance, field)])
            except wasmtime.WasmtimeError as exc:
                raise wasmbin.BinaryFormatError(f"trampoline not instantiable: {exc}") from None
            func = instance.trampolines[key] = tramp.exports(self.store)["f"]
        return func

    def _call(self, func: Any, args: Sequence[Any], nresults: int) -> list[Any]:
        try:
            result = func(self.store, *args)
        except wasmtime.Trap as exc:
            raise _classify_trap(exc) from None
        except wasmtime.WasmtimeError as exc:
            if _EXCEPTION_MARKER in str(exc).lower():
                raise Thrown(str(exc)) from None
            raise Trapped(str(exc)) from None
        # wasmtime-py returns None for no result, the value for one, a list
        # for several (and None is also a null reference)
        if nresults == 0:
            return []
        if nresults == 1:
            return [result]
        return list(result)

    def invoke(self, instance: _Instance, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        func = self._export(instance, field)
        if not isinstance(func, wasmtime.Func):
            raise UnknownExport(f"export {field!r} is not a function")
        try:
            info = instance.module.info
            type_index, sig = info.export_func(field)
            if len(args) != len(sig.params):
                raise Unsupported("host-boundary",
                                  f"{len(args)} arguments for {len(sig.params)} parameters")
            boundary = self._boundary_args(info, sig.params, args)
            if wasmbin.is_direct(sig):
                raw = self._call(func, boundary, len(sig.results))
            else:
                tramp = self._trampoline(
                    instance, "func", field,
                    lambda: wasmbin.build_func_trampoline(info, type_index))
                raw = self._call(tramp, boundary, wasmbin.boundary_width(info, sig.results))
            return self._boundary_results(info, sig.results, raw)
        except wasmbin.BinaryFormatError as exc:
            raise Unsupported("host-boundary", str(exc)) from None

    def get(self, instance: _Instance, field: str, hint: Optional[str] = None) -> Value:
        glob = self._export(instance, field)
        if not isinstance(glob, wasmtime.Global):
            raise UnknownExport(f"export {field!r} is not a global")
        try:
            info = instance.module.info
            valtype, mutable = info.export_global(field)
            tramp = self._trampoline(
                instance, "global", field,
                lambda: wasmbin.build_global_trampoline(info, valtype, mutable))
            raw = self._call(tramp, [], wasmbin.boundary_width(info, (valtype,)))
            return self._boundary_results(info, (valtype,), raw)[0]
        except wasmbin.BinaryFormatError as exc:
            raise Unsupported("host-boundary", str(exc)) from None

    def close(self) -> None:
        self.store = None  # type: ignore[assignment]
        self.linker = None  # type: ignore[assignment]


#: proposal -> the wasmtime switches to turn off with it (features that
#: build on a disabled one go too, or wasmtime refuses the configuration)
_FLAGS_OFF: dict[str, tuple[str, ...]] = {
    # the spectest host module holds two memories (memory, shared_memory)
    "multi-memory": (),
    # wasmtime cannot run without reference types (the engine aborts the
    # process when asked to): left on, the tests that need it off fail
    "reference-types": (),
    # the spectest host module exports a table64
    "memory64": (),
    "threads": ("wasm_threads", "shared_memory"),
    "simd": ("wasm_simd", "wasm_relaxed_simd"),
    "relaxed-simd": ("wasm_relaxed_simd",),
    "tail-call": ("wasm_tail_call",),
    "gc": ("wasm_gc",),
    "function-references": ("wasm_function_references", "wasm_gc"),
    "exception-handling": ("wasm_exceptions",),
    "wide-arithmetic": ("wasm_wide_arithmetic",),
    "custom-page-sizes": ("wasm_custom_page_sizes",),
}


class WasmtimeAdapter:
    """Reference adapter (see the module docstring)."""

    name = "wasmtime"
    reads_text = True
    checks_custom = False
    #: what wasmtime's Config switches on (legacy exceptions, custom
    #: descriptors and the proposals outside the suite it does not have)
    claims = frozenset(PROPOSALS) - frozenset(
        {"exception-handling-legacy", "custom-descriptors", "stack-switching",
         "compact-import-section", "shared-everything-threads", "rounding-mode-control"})

    def version(self) -> str:
        """``wasmtime VERSION`` (of the wasmtime package)."""
        try:
            return f"wasmtime {importlib.metadata.version('wasmtime')}"
        except importlib.metadata.PackageNotFoundError:
            return "wasmtime"

    def __init__(self, disabled: frozenset[str] = frozenset()) -> None:
        config = wasmtime.Config()
        off = {flag for name in disabled for flag in _FLAGS_OFF.get(name, ())}
        for feature in FEATURES:
            # write-only properties: hasattr() cannot see them, the class can
            if hasattr(type(config), feature):
                setattr(config, feature, feature not in off)
        self.engine = wasmtime.Engine(config)
        self._spectest: Optional[wasmtime.Module] = None
        self._trampolines: dict[bytes, wasmtime.Module] = {}
        self._variants: dict[frozenset[str], "WasmtimeAdapter"] = {}

    def spectest_module(self) -> wasmtime.Module:
        """The compiled spectest host module (compiled once per process)."""
        if self._spectest is None:
            self._spectest = wasmtime.Module(self.engine, spectest_wat())
        return self._spectest

    def trampoline_module(self, binary: bytes) -> wasmtime.Module:
        """A compiled trampoline, shared by every instance with the same types."""
        key = hashlib.sha256(binary).digest()
        module = self._trampolines.get(key)
        if module is None:
            try:
                module = wasmtime.Module(self.engine, binary)
            except wasmtime.WasmtimeError as exc:
                raise wasmbin.BinaryFormatError(f"trampoline rejected: {exc}") from None
            if len(self._trampolines) > 4096:
                self._trampolines.clear()
            self._trampolines[key] = module
        return module

    def session(self, disabled: frozenset[str] = frozenset()) -> WasmtimeSession:
        """A fresh store for one script, with the ``disabled`` features off
        (an engine per feature set, made once)."""
        disabled = frozenset(n for n in disabled if _FLAGS_OFF.get(n))
        if not disabled:
            return WasmtimeSession(self)
        variant = self._variants.get(disabled)
        if variant is None:
            variant = self._variants[disabled] = WasmtimeAdapter(disabled)
        return WasmtimeSession(variant)
