"""Module: decoded, validated, and compiled function by function on demand."""

from __future__ import annotations

import dataclasses
import threading
import types
from typing import Any

from ..errors import InvalidError, MalformedError, UsageError, WasmError
from ..syntax.types import ExternKind


def _features(engine) -> Any:
    return getattr(getattr(engine, "config", None), "_feature_set", None)


def _strict_custom(engine) -> bool:
    return getattr(getattr(engine, "config", None), "strict_custom_sections", False)


def _looks_like_text(data: bytes) -> bool:
    stripped = data.lstrip()
    return stripped[:1] in (b"(", b";")


def _decode(wasm: Any, features: Any = None, strict_custom: bool = False):
    """Decode a module given as binary bytes, or as text (a ``str``, or
    bytes that start like the text format rather than with ``\\0asm``)."""
    from ..binary import decode_module

    if isinstance(wasm, str):
        data = wasm
    else:
        try:
            data = bytes(wasm)
        except TypeError:
            raise UsageError("Module expects the bytes of a module (binary or text)") from None
    try:
        if isinstance(data, str) or (data[:4] != b"\0asm" and _looks_like_text(data)):
            from ..text import parse_module

            data = parse_module(data)
        return decode_module(data, features, strict_custom)
    except WasmError:
        raise
    except (RecursionError, MemoryError) as e:
        raise MalformedError(f"module too complex to decode: {type(e).__name__}") from None


def _validate(syn, features: Any = None, strict_custom: bool = False):
    from ..valid import validate_module

    try:
        return validate_module(syn, features, strict_custom)
    except WasmError:
        raise
    except (RecursionError, MemoryError) as e:
        raise InvalidError(f"module too complex to validate: {type(e).__name__}") from None


class Module:
    """A compiled module: ``Module(engine, wasm)`` where ``wasm`` is the
    binary (bytes) or the text format (a ``str``, or bytes of text).

    Raises :class:`~engine.MalformedError` or :class:`~engine.InvalidError`.
    Function bodies are translated to Python on their first call (from any
    instance) and the code is shared by every instance.
    """

    def __init__(self, engine, wasm: Any):
        features, strict = _features(engine), _strict_custom(engine)
        syn = _decode(wasm, features, strict)
        self._setup(engine, syn, _validate(syn, features, strict))

    @classmethod
    def from_syntax(cls, engine, syn) -> "Module":
        """A module from an already decoded :class:`engine.syntax.Module`
        (validated here)."""
        self = cls.__new__(cls)
        self._setup(engine, syn, _validate(syn, _features(engine), _strict_custom(engine)))
        return self

    def _setup(self, engine, syn, info) -> None:
        from ..compile.context import ModuleContext
        from ..valid.canon import canonicalize

        self.engine = engine
        self._syntax = syn
        self._info = info
        deftypes = getattr(info, "deftypes", None)
        self._deftypes = list(deftypes) if deftypes is not None else canonicalize(syn)
        self._import_types = [self._import_type(imp) for imp in syn.imports]
        from ..compile.fuel import costs_from_config

        self._ctx = ModuleContext(syn, costs_from_config(engine.config))
        self._ctx.deftypes = self._deftypes
        self._code: dict[int, Any] = {}
        self._const_cells: list[types.CellType] = []
        self._lock = threading.RLock()

    @staticmethod
    def validate(engine, wasm: Any) -> None:
        """Raise MalformedError or InvalidError unless ``wasm`` is a valid module."""
        features, strict = _features(engine), _strict_custom(engine)
        _validate(_decode(wasm, features, strict), features, strict)

    @classmethod
    def from_file(cls, engine, path: str) -> "Module":
        """A module read from a ``.wasm`` (or ``.wat``) file."""
        with open(path, "rb") as fh:
            return cls(engine, fh.read())

    def _import_type(self, imp) -> Any:
        from ..runtime.instance import resolve_valtype
        from ..valid.subtyping import TagDesc

        d = self._deftypes
        if imp.kind == ExternKind.FUNC:
            return d[imp.desc]
        if imp.kind == ExternKind.TABLE:
            t = imp.desc
            return dataclasses.replace(t, elem=resolve_valtype(t.elem, d))
        if imp.kind == ExternKind.MEMORY:
            return imp.desc
        if imp.kind == ExternKind.GLOBAL:
            g = imp.desc
            return dataclasses.replace(g, valtype=resolve_valtype(g.valtype, d))
        return TagDesc(d[imp.desc.typeidx])

    @property
    def imports(self) -> list[tuple[str, str, Any]]:
        """``(module, name, type)`` of each import, in order."""
        return [(imp.module, imp.name, t) for imp, t in zip(self._syntax.imports, self._import_types)]

    @property
    def exports(self) -> list[tuple[str, ExternKind]]:
        """``(name, kind)`` of each export, in order."""
        return [(ex.name, ex.kind) for ex in self._syntax.exports]

    def _compiled(self, funcidx: int):
        code = self._code.get(funcidx)
        if code is None:
            from ..compile.codegen import compile_function

            with self._lock:
                code = self._code.get(funcidx)
                if code is None:
                    code = compile_function(self._ctx, funcidx)
                    self._code[funcidx] = code
        return code

    def _constant_cell(self, i: int) -> types.CellType:
        with self._lock:
            cells = self._const_cells
            consts = self._ctx.constants
            while len(cells) <= i:
                cells.append(types.CellType(consts[len(cells)]))
            return cells[i]

    def function_source(self, funcidx: int) -> str:
        """The generated Python source of a defined function (for review)."""
        if not self._ctx.nimported_funcs <= funcidx < len(self._ctx.func_typeidx):
            raise UsageError(f"function {funcidx} is not a defined function of this module")
        return self._compiled(funcidx).source

    def __repr__(self) -> str:
        return f"<Module {len(self._syntax.funcs)} functions>"
