"""Module: decoded, validated, and compiled function by function on demand."""

from __future__ import annotations

import dataclasses
import threading
import types
from typing import Any

from ..errors import InvalidError, MalformedError, UsageError, WasmError
from ..syntax.types import ExternKind
from .managed import Managed


def _features(engine) -> Any:
    return getattr(getattr(engine, "config", None), "_feature_set", None)


def _strict_custom(engine) -> bool:
    return getattr(getattr(engine, "config", None), "strict_custom_sections", False)


def _looks_like_text(data: bytes) -> bool:
    stripped = data.lstrip()
    return stripped[:1] in (b"(", b";")


def _binary(wasm: Any) -> bytes:
    """The binary of a module given as binary bytes, or as text (a ``str``,
    or bytes that start like the text format rather than with ``\\0asm``)."""
    if isinstance(wasm, str):
        data = wasm
    elif isinstance(wasm, int):  # bytes(n) would be n zero bytes
        raise UsageError(f"Module expects the bytes of a module (binary or text), not {type(wasm).__name__}")
    else:
        try:
            data = bytes(wasm)
        except TypeError:
            raise UsageError("Module expects the bytes of a module (binary or text)") from None
    if isinstance(data, str) or (data[:4] != b"\0asm" and _looks_like_text(data)):
        from ..text import parse_module

        try:
            return parse_module(data, names=True)
        except WasmError:
            raise
        except (RecursionError, MemoryError) as e:
            raise MalformedError(f"module too complex to decode: {type(e).__name__}") from None
    return data


def _decode(wasm: Any, features: Any = None, strict_custom: bool = False):
    """Decode a module given as binary bytes or as text (see :func:`_binary`)."""
    return _decode_binary(_binary(wasm), features, strict_custom)


def _decode_binary(data: bytes, features: Any = None, strict_custom: bool = False):
    from ..binary import decode_module

    try:
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


class Module(Managed):
    """A compiled module: ``Module(engine, wasm)`` where ``wasm`` is the
    binary (bytes) or the text format (a ``str``, or bytes of text).

    Raises :class:`~engine.MalformedError` or :class:`~engine.InvalidError`.
    Function bodies are translated to Python on their first call (from any
    instance) and the code is shared by every instance.
    """

    def __init__(self, engine, wasm: Any):
        if getattr(engine, "config", None) is None:
            raise UsageError(f"expected an Engine, got {type(engine).__name__}")
        features, strict = _features(engine), _strict_custom(engine)
        binary = _binary(wasm)
        syn = _decode_binary(binary, features, strict)
        self._setup(engine, syn, _validate(syn, features, strict))
        self._binary = binary

    @classmethod
    def from_syntax(cls, engine, syn) -> "Module":
        """A module from an already decoded :class:`engine.syntax.Module`
        (validated here)."""
        self = cls.__new__(cls)
        self._setup(engine, syn, _validate(syn, _features(engine), _strict_custom(engine)))
        self._binary = None
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

        self._ctx = ModuleContext(syn, costs_from_config(engine.config),
                                  epoch=bool(getattr(engine.config, "epoch_interruption", False)))
        self._ctx.deftypes = self._deftypes
        self._code: dict[int, Any] = {}
        self._const_cells: list[types.CellType] = []
        self._lock = threading.RLock()

    @classmethod
    def validate(cls, engine, wasm: Any) -> None:
        """Raise MalformedError or InvalidError unless ``wasm`` is a valid
        module for ``engine``'s features."""
        features, strict = _features(engine), _strict_custom(engine)
        _validate(_decode(wasm, features, strict), features, strict)

    @classmethod
    def from_file(cls, engine, path: Any) -> "Module":
        """A module read from a ``.wasm`` (or ``.wat``) file (a path as str,
        bytes or ``os.PathLike``; ``OSError`` when it cannot be read)."""
        with open(path, "rb") as fh:
            return cls(engine, fh.read())

    def serialize(self) -> bytearray:
        """The module in a byte string that :meth:`deserialize` turns back
        into a module (see :mod:`engine.runtime.serialize`: a versioned
        container of the module's binary, recompiled when deserialised)."""
        if self._binary is None:
            raise UsageError("a module made from a decoded syntax tree has no binary to serialize")
        from .serialize import pack

        return pack(self._binary)

    @classmethod
    def deserialize(cls, engine, encoded: Any) -> "Module":
        """The module :meth:`serialize` wrote, compiled for ``engine``.
        Refuses (``WasmtimeError``) bytes another engine version wrote, and
        anything else; deserialise only bytes you trust."""
        from .serialize import unpack

        return cls(engine, unpack(encoded))

    @classmethod
    def deserialize_file(cls, engine, path: Any) -> "Module":
        """:meth:`deserialize` the contents of the file at ``path``."""
        with open(path, "rb") as fh:
            return cls.deserialize(engine, fh.read())

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
    def imports(self) -> list:
        """The module's imports in order: :class:`~engine.ImportType`
        ``(module, name, type)``, the type a FuncType, TableType, MemoryType,
        GlobalType or TagType."""
        from .apitypes import ImportType

        return [ImportType(imp.module, imp.name, self._api_type(imp.kind, t))
                for imp, t in zip(self._syntax.imports, self._import_types)]

    @property
    def exports(self) -> list:
        """The module's exports in order: :class:`~engine.ExportType`
        ``(name, type)``."""
        from .apitypes import ExportType

        spaces = self._extern_types()
        return [ExportType(ex.name, spaces[ex.kind][ex.index]) for ex in self._syntax.exports]

    def _api_type(self, kind: ExternKind, t: Any) -> Any:
        """The API's form of an external type of this module."""
        from .apitypes import TagType

        if kind == ExternKind.FUNC:
            return t.comp
        if kind == ExternKind.TAG:
            return TagType(t.type.comp)  # a TagDesc: the tag's canonical function type
        return t

    def _extern_types(self) -> dict[ExternKind, list]:
        """The API types of every function, table, memory, global and tag,
        by kind and index (imports first)."""
        from ..runtime.instance import resolve_valtype
        from .apitypes import TagType

        d = self._deftypes
        syn = self._syntax
        spaces: dict[ExternKind, list] = {k: [] for k in ExternKind}
        for imp, t in zip(syn.imports, self._import_types):
            spaces[imp.kind].append(self._api_type(imp.kind, t))
        spaces[ExternKind.FUNC] += [d[f.typeidx].comp for f in syn.funcs]
        spaces[ExternKind.TABLE] += [
            dataclasses.replace(tab.type, elem=resolve_valtype(tab.type.elem, d))
            for tab in syn.tables]
        spaces[ExternKind.MEMORY] += list(syn.mems)
        spaces[ExternKind.GLOBAL] += [
            dataclasses.replace(g.type, valtype=resolve_valtype(g.type.valtype, d)) for g in syn.globals]
        spaces[ExternKind.TAG] += [TagType(d[tag.typeidx].comp) for tag in syn.tags]
        return spaces

    def _compiled(self, funcidx: int):
        code = self._code.get(funcidx)
        if code is None:
            from ..compile.codegen import compile_function

            with self._lock:
                code = self._code.get(funcidx)
                if code is None:
                    code = compile_function(self._ctx, funcidx)
                    self._register_frames(funcidx, code)
                    self._code[funcidx] = code
        return code

    def _register_frames(self, funcidx: int, code: Any) -> None:
        """Let traps name this function's frames (``Trap.frames``)."""
        from ..errors import register_wasm_code
        from .frames import ModuleFrames

        frames = getattr(self, "_frames", None)
        if frames is None:
            frames = self._frames = ModuleFrames(self._syntax, getattr(self, "_binary", None),
                                                 self._ctx.nimported_funcs)
        register_wasm_code(code.code, frames.describer(funcidx, code.pc_of_line))

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
