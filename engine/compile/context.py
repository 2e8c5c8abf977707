"""What the translator needs to know about the module around a function.

:class:`ModuleContext` is built once per Module: the function type of every
function index, global mutability, and a pool of constants (values that
cannot be written as literals, such as NaNs with payloads or br_table maps).
:class:`FunctionContext` records, for one function, which instance-bound
names (``F3``, ``M0``, ``G2``, ``K7`` ...) its code uses: they become the
free variables of the generated function, bound per instance through closure
cells.
"""

from __future__ import annotations

import struct
import threading

from ..syntax import types as T
from ..syntax.module import Func, Module
from ..syntax.types import ExternKind


class ModuleContext:
    """Per-module facts shared by the translations of its functions."""

    def __init__(self, module: Module, fuel=None, epoch: bool = False):
        self.module = module
        self.fuel = fuel  # fuel.Costs to emit, or None
        self.epoch = epoch  # emit epoch deadline checks
        self.func_typeidx: list[int] = [
            imp.desc for imp in module.imports if imp.kind == ExternKind.FUNC
        ]
        self.nimported_funcs = len(self.func_typeidx)
        self.func_typeidx.extend(f.typeidx for f in module.funcs)
        self.global_mut: list[bool] = [
            imp.desc.mutable for imp in module.imports if imp.kind == ExternKind.GLOBAL
        ]
        self.global_mut.extend(g.type.mutable for g in module.globals)
        self.tag_typeidx: list[int] = [
            imp.desc.typeidx for imp in module.imports if imp.kind == ExternKind.TAG
        ]
        self.tag_typeidx.extend(t.typeidx for t in module.tags)
        self.deftypes: list = []  # canonical DefTypes, set by the Module
        self.constants: list[object] = []
        self._const_keys: dict = {}
        self.lock = threading.RLock()

    def func(self, idx: int) -> Func:
        return self.module.funcs[idx - self.nimported_funcs]

    def func_type(self, idx: int) -> T.FuncType:
        return self.type_func(self.func_typeidx[idx])

    def type_func(self, typeidx: int) -> T.FuncType:
        comp = self.module.types[typeidx].comp
        assert isinstance(comp, T.FuncType)
        return comp

    def tag_type(self, tagidx: int) -> T.FuncType:
        return self.type_func(self.tag_typeidx[tagidx])

    def constant(self, value: object) -> str:
        """The name ``K<n>`` of a pooled constant."""
        if isinstance(value, float):
            key = ("f", struct.pack("<d", value))
        else:
            key = (type(value).__name__, value)
        with self.lock:
            n = self._const_keys.get(key)
            if n is None:
                n = len(self.constants)
                self.constants.append(value)
                self._const_keys[key] = n
        return f"K{n}"


class FunctionContext:
    """The module context seen from one function: records the names used."""

    def __init__(self, mctx: ModuleContext):
        self.m = mctx
        self.used: set[str] = set()

    def use(self, name: str) -> str:
        self.used.add(name)
        return name

    def constant(self, value: object) -> str:
        return self.use(self.m.constant(value))

    def func(self, idx: int) -> Func:
        return self.m.func(idx)

    def comp(self, typeidx: int):
        """The composite type (FuncType, StructType, ArrayType) of a type index."""
        return self.m.module.types[typeidx].comp

    def resolve(self, t):
        """A value type with type-index heap types replaced by DefTypes."""
        from ..runtime.instance import resolve_valtype

        return resolve_valtype(t, self.m.deftypes)

    def func_type(self, idx: int) -> T.FuncType:
        return self.m.func_type(idx)

    def type_func(self, typeidx: int) -> T.FuncType:
        return self.m.type_func(typeidx)

    def global_mutable(self, idx: int) -> bool:
        return self.m.global_mut[idx]
