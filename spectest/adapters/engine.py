"""The adapter for this project's engine, through its public API only.

The engine reads binary modules only: a module the script gives in the text
format (and no converter could encode) is skipped as ``text-format``.

While the engine does not exist yet, its API raises ``NotImplementedError``;
every command then fails with the message ``not implemented``.

Values at the API: i32/i64 are ints (results signed, arguments given
unsigned), f32 goes through ``engine.f32_from_bits`` / ``engine.f32_to_bits``
so NaN payloads survive, f64 is a float, v128 an unsigned 128-bit int,
references are None, ``engine.Func``, the adapter's :class:`HostRef` objects
(for ``ref.extern N`` / ``ref.host N``), ``engine.StructRef``,
``engine.ArrayRef``, ``engine.I31Ref`` or ``engine.ExnRef``. Results are read
in the kinds of the function's own result types (``func.type(store)``), not
the ones the script expects; a result of the wrong Python type never
matches. For the
same reason a ``None`` result means one null reference when the script
expects exactly one reference result, and no results otherwise.
"""

from __future__ import annotations

import importlib.metadata
import struct
from typing import Any, Callable, Optional, Sequence

import engine

from ..host import SPECTEST, HostFunc, HostGlobal, HostMemory, HostRef, HostRefs, HostTable
from ..proposals import PROPOSALS
from ..outcomes import (Exhausted, InstantiationFailed, Invalid, Malformed, NotImplementedYet,
                        Thrown, Trapped, UnknownExport, Unlinkable, Unsupported)
from ..script import ModuleSource
from ..values import NULL, Foreign, Num, Ref, RefKind, Value, Vec, bits_to_f64

__all__ = ["EngineAdapter", "HostRef"]

_M32, _M64, _M128 = (1 << 32) - 1, (1 << 64) - 1, (1 << 128) - 1
#: No value of a type can be made (see EngineSession._shared_spectest).
_NO_VALUE = object()


def _comp_text(comp: Any) -> Optional[str]:
    """A struct or array type of numeric or packed fields as text (None for
    any other)."""
    fields = getattr(comp, "fields", None)
    if fields is None:
        fields = (comp.field,) if hasattr(comp, "field") else None
    if fields is None:
        return None
    parts = []
    for f in fields:
        z = str(f.storage)
        if z not in ("i8", "i16", "i32", "i64", "f32", "f64", "v128"):
            return None
        parts.append(f"(mut {z})" if f.mutable else z)
    body = " ".join(f"(field {p})" for p in parts) if hasattr(comp, "fields") else parts[0]
    text = f"({'struct' if hasattr(comp, 'fields') else 'array'} {body})"
    return f"(shared {text})" if getattr(comp, "shared", False) else text


def _involves_sharing(t: Any) -> bool:
    """Whether an import type is shared or holds shared references."""
    if getattr(t, "shared", False):
        return True
    for part in (getattr(t, "elem", None), getattr(t, "valtype", None)):
        if getattr(getattr(part, "heap", None), "shared", False):
            return True
    return False


def _engine_reads_text() -> bool:
    try:
        import engine.text  # noqa: F401
    except ImportError:
        return False
    return True


_READS_TEXT = _engine_reads_text()


def _as_text(data: bytes) -> Any:
    """Text-format bytes for ``engine.Module``: a ``str`` when they are
    UTF-8, else the bytes (malformed-UTF-8 tests), which the engine treats
    as text since they do not start with the binary magic."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _kind_of(t: Any) -> str:
    """The reading kind (i32 ... v128, funcref, externref, anyref, exnref) of
    an engine value type."""
    name = str(t)
    if name in ("i32", "i64", "f32", "f64", "v128"):
        return name
    heap = getattr(t, "heap", None)
    kind = getattr(heap, "kind", heap)  # a defined type's kind, or the abstract type
    # a shared heap type (shared-everything-threads) reads as its unshared form
    label = getattr(kind, "name", "").lower().removeprefix("shared_")
    if label in ("func", "nofunc"):
        return "funcref"
    if label in ("extern", "noextern"):
        return "externref"
    if label in ("exn", "noexn"):
        return "exnref"
    return "anyref"


def _valtype(name: str) -> Any:
    return getattr(engine.ValType, name)()


def _engine_call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call the engine, mapping its documented errors onto outcomes."""
    try:
        return fn(*args)
    except NotImplementedError as exc:
        raise NotImplementedYet(str(exc)) from None
    except engine.MalformedError as exc:
        raise Malformed(str(exc)) from None
    except engine.InvalidError as exc:
        raise Invalid(str(exc)) from None
    except engine.LinkError as exc:
        raise Unlinkable(str(exc)) from None
    except engine.Trap as exc:
        if getattr(exc, "code", None) == engine.TrapCode.STACK_OVERFLOW:
            raise Exhausted(str(exc)) from None
        raise Trapped(str(exc)) from None
    except engine.WasmException as exc:
        raise Thrown(str(exc)) from None
    except engine.InstantiationError as exc:
        raise InstantiationFailed(str(exc)) from None


def _int_result(value: Any, ntype: str) -> Value:
    width = 32 if ntype == "i32" else 64
    if type(value) is not int or not -(1 << (width - 1)) <= value < (1 << width):
        return Foreign(f"{type(value).__name__} {value!r:.60} as {ntype}")
    return Num(ntype, value & ((1 << width) - 1))


def _f32_result(value: Any) -> Value:
    if type(value) is not float:
        return Foreign(f"{type(value).__name__} {value!r:.60} as f32")
    return Num("f32", engine.f32_to_bits(value) & _M32)


def _f64_result(value: Any) -> Value:
    if type(value) is not float:
        return Foreign(f"{type(value).__name__} {value!r:.60} as f64")
    return Num("f64", struct.unpack("<Q", struct.pack("<d", value))[0])


def _v128_result(value: Any) -> Value:
    if type(value) is not int or not 0 <= value <= _M128:
        return Foreign(f"{type(value).__name__} {value!r:.60} as v128")
    return Vec(value)


def _ref_result(value: Any, hierarchy: str) -> Value:
    if value is None:
        return NULL
    if isinstance(value, HostRef):
        kind = RefKind.EXTERN if hierarchy == "externref" else RefKind.HOST
        return Ref(kind, value.number)
    if isinstance(value, engine.Func):
        return Ref(RefKind.FUNC)
    if isinstance(value, engine.ExnRef):
        return Ref(RefKind.EXN)
    for cls, kind in ((engine.I31Ref, RefKind.I31), (engine.StructRef, RefKind.STRUCT),
                      (engine.ArrayRef, RefKind.ARRAY)):
        if isinstance(value, cls):
            # a GC value seen as an externref is an externalized reference
            return Ref(RefKind.EXTERN) if hierarchy == "externref" else Ref(kind)
    return Foreign(f"{type(value).__name__} {value!r:.60} as {hierarchy}")


_RESULT_READERS: dict[str, Callable[[Any], Value]] = {
    "i32": lambda v: _int_result(v, "i32"),
    "i64": lambda v: _int_result(v, "i64"),
    "f32": _f32_result,
    "f64": _f64_result,
    "v128": _v128_result,
    "funcref": lambda v: _ref_result(v, "funcref"),
    "externref": lambda v: _ref_result(v, "externref"),
    "anyref": lambda v: _ref_result(v, "anyref"),
    "exnref": lambda v: _ref_result(v, "exnref"),
}


_REF_HINTS = frozenset({"funcref", "externref", "anyref", "exnref"})


def read_result(value: Any, hint: Optional[str]) -> Value:
    """An engine result as a harness value, read as the kind ``hint``."""
    reader = _RESULT_READERS.get(hint or "")
    if reader is None:
        return Foreign(f"{type(value).__name__} result (no expected type)")
    return reader(value)


class EngineSession:
    """One script's store and linker, with the spectest module defined."""

    engine: Any
    store: Any
    linker: Any
    spectest: dict[str, Any]

    def __init__(self, disabled: frozenset[str] = frozenset(),
                 parent: Optional["EngineSession"] = None) -> None:
        def setup() -> None:
            if parent is not None:
                # a thread of the script: the same store (so shared
                # instances and their memories are the same objects), its
                # own registry
                self.engine, self.store = parent.engine, parent.store
                self.spectest = parent.spectest
            else:
                # the assert_*_custom commands check the custom sections the
                # engine reads, which it only rejects when asked to
                features = set(engine.Config().features) - set(disabled) if disabled else None
                config = engine.Config(features=features, strict_custom_sections=True)
                self.engine = engine.Engine(config)
                self.store = engine.Store(self.engine)
                self.spectest = {item.name: self._host_item(item) for item in SPECTEST}
            self.linker = engine.Linker(self.engine)
            self.linker.allow_shadowing = True
            for name, extern in self.spectest.items():
                self.linker.define(self.store, "spectest", name, extern)

        self._host: HostRefs = parent._host if parent is not None else HostRefs()
        self.disabled = disabled
        _engine_call(setup)

    def thread(self) -> "EngineSession":
        """A session for a thread of the script (see :class:`ThreadingSession`)."""
        return EngineSession(self.disabled, parent=self)

    def _host_item(self, item: Any) -> Any:
        store = self.store
        if isinstance(item, HostFunc):
            ftype = engine.FuncType([_valtype(p) for p in item.params], [])
            return engine.Func(store, ftype, lambda *args: None)
        if isinstance(item, HostGlobal):
            value: Any
            if item.type == "f32":
                value = engine.f32_from_bits(item.bits)
            elif item.type == "f64":
                value = bits_to_f64(item.bits)
            else:
                value = item.bits
            return engine.Global(store, engine.GlobalType(_valtype(item.type), False), value)
        if isinstance(item, HostTable):
            funcref: Any = engine.ValType.funcref()
            ttype = engine.TableType(funcref, item.minimum, item.maximum,
                                     table64=item.address64)
            return engine.Table(store, ttype, None)
        if isinstance(item, HostMemory):
            return engine.Memory(store, engine.MemoryType(item.minimum, item.maximum,
                                                          shared=item.shared))
        raise TypeError(f"unknown host item {item!r}")

    def compile(self, source: ModuleSource) -> Any:
        if source.is_text:
            # the engine reads the text format itself: a module the script
            # gave as text is parsed by the engine, not by a converter
            text = source.text() or b""
            if not _READS_TEXT:
                binary = source.binary()
                if binary is None:
                    raise Unsupported("text-format", "the engine reads binary modules only")
                return _engine_call(engine.Module, self.engine, binary)
            return _engine_call(engine.Module, self.engine, _as_text(text))
        return _engine_call(engine.Module, self.engine, source.binary())

    def instantiate(self, module: Any) -> Any:
        shared = _engine_call(self._shared_spectest, module)
        for name, item in shared.items():
            self.linker.define(self.store, "spectest", name, item)
        try:
            return _engine_call(self.linker.instantiate, self.store, module)
        finally:
            # the next module sees the reference host module again
            for name in shared:
                if name in self.spectest:
                    self.linker.define(self.store, "spectest", name, self.spectest[name])

    def _shared_spectest(self, module: Any) -> dict[str, Any]:
        """Shared items for a module's shared imports from ``spectest``.

        The shared-everything-threads tests import shared globals, tables and
        functions from ``spectest`` (under names that say their types, and
        once one name with two types); the reference host module has no
        shared item. For each such import the host makes a fresh item of
        exactly the imported type: a global holding the default value of its
        type, a table of default elements, a function returning default
        results. A non-null reference type needs a value: ``(shared i31)``,
        ``(shared eq)`` and ``(shared any)`` get ``(ref.i31 0)``,
        ``(shared extern)`` a host value, ``(shared func)`` and shared
        function types a host function; no other is made (the bottom types
        have no value at all), so such an import stays unlinkable.
        """
        items: dict[str, Any] = {}
        imports = getattr(module, "imports", None) or ()
        for mod, name, t in imports:
            if mod != "spectest" or not _involves_sharing(t):
                continue
            item: Any = None
            if hasattr(t, "elem"):  # a table type
                value = self._shared_value(t.elem)
                if value is not _NO_VALUE:
                    item = engine.Table(self.store, t, value)
            elif hasattr(t, "valtype"):  # a global type
                value = self._shared_value(t.valtype)
                if value is not _NO_VALUE:
                    item = engine.Global(self.store, t, value)
            elif isinstance(t, engine.FuncType):  # Module.imports gives function types
                item = self._shared_func(t)
            if item is not None:
                items[name] = item
        return items

    def _shared_aggregate(self, kind: str) -> Any:
        """A shared struct or array (of an empty struct type, an i8 array
        type)."""
        return self._aggregate_of("(shared (struct))" if kind == "struct" else "(shared (array i8))")

    def _aggregate_of(self, comp: Optional[str]) -> Any:
        """A struct or array of the composite type ``comp`` (text) with
        default contents, made by a module in the session's store (a final
        type alone in its group is the same type as the importer's)."""
        if comp is None:
            return None
        new = "(struct.new_default 0)" if "(struct" in comp else "(array.new_fixed 0 0)"
        module = engine.Module(self.engine, f'(module (type {comp}) (global (export "v") (ref 0) {new}))')
        instance = engine.Linker(self.engine).instantiate(self.store, module)
        return instance.exports(self.store)["v"].value(self.store)

    def _shared_func(self, functype: Any) -> Any:
        results = [self._shared_value(r) for r in functype.results]
        if any(r is _NO_VALUE for r in results):
            return None
        value = results[0] if len(results) == 1 else tuple(results) if results else None
        return engine.Func(self.store, functype, lambda *args: value)

    def _shared_value(self, t: Any) -> Any:
        """The default value of a value type, or a value of a non-null
        reference type (see :meth:`_shared_spectest`); ``_NO_VALUE`` if none."""
        name = str(t)
        if name in ("i32", "i64", "v128"):
            return 0
        if name in ("f32", "f64"):
            return 0.0
        if getattr(t, "nullable", False):
            return None
        heap = getattr(t, "heap", None)
        label = getattr(heap, "name", "").lower().removeprefix("shared_")
        if label in ("i31", "eq", "any"):
            return engine.I31Ref(0)
        if label == "extern":
            return self._host(0)
        if label == "func":
            return self._shared_func(engine.FuncType([], [], shared=True))
        if label in ("struct", "array"):
            return self._shared_aggregate(label)
        comp = getattr(heap, "comp", None)
        if comp is not None and hasattr(comp, "params"):
            return self._shared_func(comp) or _NO_VALUE
        if comp is not None and getattr(heap, "final", False):
            value = self._aggregate_of(_comp_text(comp))
            return _NO_VALUE if value is None else value
        return _NO_VALUE

    def register(self, name: str, instance: Any) -> None:
        _engine_call(self.linker.define_instance, self.store, name, instance)

    def _arg(self, value: Value) -> Any:
        if isinstance(value, Num):
            if value.type == "f32":
                return _engine_call(engine.f32_from_bits, value.bits)
            if value.type == "f64":
                return bits_to_f64(value.bits)
            return value.bits
        if isinstance(value, Vec):
            return value.bits
        if isinstance(value, Ref):
            if value.kind is RefKind.NULL:
                return None
            if value.host is not None:
                return self._host(value.host)
        raise Unsupported("host-boundary", f"cannot pass {value} to the engine")

    def _export(self, instance: Any, field: str, cls: type) -> Any:
        exports = _engine_call(instance.exports, self.store)
        item = exports.get(field) if hasattr(exports, "get") else None
        if item is None or not isinstance(item, cls):
            raise UnknownExport(f"no exported {cls.__name__.lower()} {field!r}")
        return item

    def invoke(self, instance: Any, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        func = self._export(instance, field, engine.Func)
        py_args = [self._arg(a) for a in args]
        result = _engine_call(func, self.store, *py_args)
        # the function's own result types say how many values came back and
        # how to read each one; without them (an engine lacking Func.type)
        # the script's expected kinds stand in
        try:
            kinds: list = [_kind_of(t) for t in func.type(self.store).results]
        except (AttributeError, TypeError):
            kinds = []
            hints = list(hints or [])
            if result is None:
                # None is both "no results" and "one null reference"
                raw: list[Any] = [None] if len(hints) == 1 and hints[0] in _REF_HINTS else []
            else:
                raw = list(result) if isinstance(result, tuple) else [result]
            return [read_result(v, hints[i] if i < len(hints) else None) for i, v in enumerate(raw)]
        if not kinds:
            raw = []
        elif len(kinds) == 1:
            raw = [result]
        else:
            raw = list(result) if isinstance(result, tuple) else [result]
        return [read_result(v, kinds[i] if i < len(kinds) else None) for i, v in enumerate(raw)]

    def get(self, instance: Any, field: str, hint: Optional[str] = None) -> Value:
        glob = self._export(instance, field, engine.Global)
        # the global's own type says how to read its value (the script's
        # expectation is only a fallback)
        try:
            gtype = glob.type(self.store)
            kind: Optional[str] = _kind_of(getattr(gtype, "valtype", None) or gtype.content)
        except (AttributeError, TypeError):
            kind = hint
        return read_result(_engine_call(glob.value, self.store), kind)

    def close(self) -> None:
        self.store = None


class EngineAdapter:
    """This project's engine (see the module docstring)."""

    name = "engine"
    reads_text = True
    # the text parser checks @custom, @name and branch-hint annotations; the
    # session's Config(strict_custom_sections=True) checks branch hint sections
    checks_custom = True
    #: every proposal of the suite (the engine's Config switches them)
    claims: frozenset[str] = frozenset(PROPOSALS) - frozenset(
        {"stack-switching", "compact-import-section"})

    def version(self) -> str:
        """``transwasm VERSION`` (the installed distribution's version)."""
        try:
            return f"transwasm {importlib.metadata.version('transwasm')}"
        except importlib.metadata.PackageNotFoundError:
            return "transwasm (not installed)"

    def session(self, disabled: frozenset[str] = frozenset()) -> EngineSession:
        """A fresh store for one script, with the ``disabled`` features off
        (raises NotImplementedYet until the engine exists)."""
        return EngineSession(disabled)
