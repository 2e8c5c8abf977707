"""Identifier contexts: the index spaces of a module, the names bound in
them, and the types the module defines (explicitly and implicitly)."""

from __future__ import annotations

from typing import Optional

from ..syntax.types import FuncType, RecType, SubType


class DuplicateName(Exception):
    """A name is bound twice in one index space."""


class Space:
    """One index space: how many entries it has and which are named.

    ``kind`` is the word used in messages ("func", "local", ...).
    """

    __slots__ = ("kind", "names", "count")

    def __init__(self, kind: str):
        self.kind = kind
        self.names: dict[str, int] = {}
        self.count = 0

    def add(self, name: Optional[str]) -> int:
        """Append an entry, bound to ``name`` if not None; its index.
        Raises DuplicateName if the name is already bound."""
        index = self.count
        if name is not None:
            if name in self.names:
                raise DuplicateName(f"duplicate {self.kind} ${name}")
            self.names[name] = index
        self.count = index + 1
        return index


#: The module-level index spaces, keyed by the keyword that declares them.
MODULE_SPACES = ("type", "func", "table", "memory", "global", "tag", "elem", "data")


class ModuleContext:
    """Everything the parser knows about a module's names and types.

    ``types`` is the flattened type list (explicit definitions first, then
    the implicitly defined function types in order of first use);
    ``rec_groups`` pairs each group's first index with the group.
    ``fields[x]`` is the field space of type ``x`` (struct field names).
    """

    def __init__(self) -> None:
        self.spaces: dict[str, Space] = {kind: Space(kind) for kind in MODULE_SPACES}
        self.types: list[SubType] = []
        self.rec_groups: list[tuple[int, RecType]] = []
        self.fields: dict[int, Space] = {}
        self._explicit_funcs: dict[FuncType, int] = {}
        self._implicit_funcs: dict[FuncType, int] = {}

    def add_group(self, group: RecType) -> None:
        """Append an explicitly defined recursion group."""
        first = len(self.types)
        self.rec_groups.append((first, group))
        self.types.extend(group.subtypes)
        if len(group.subtypes) == 1:
            st = group.subtypes[0]
            if (st.final and not st.supertypes and isinstance(st.comp, FuncType)
                    and st.describes is None and st.descriptor is None):
                self._explicit_funcs.setdefault(st.comp, first)

    def func_type(self, x: int) -> Optional[FuncType]:
        """The function type at index ``x``, or None if there is none."""
        if 0 <= x < len(self.types):
            comp = self.types[x].comp
            if isinstance(comp, FuncType):
                return comp
        return None

    def implicit_type(self, ft: FuncType) -> int:
        """The index a type use without ``(type x)`` denotes: the first type
        defined as exactly this function type on its own, else a new type
        appended at the end of the type section."""
        x = self._explicit_funcs.get(ft)
        if x is not None:
            return x
        x = self._implicit_funcs.get(ft)
        if x is not None:
            return x
        x = len(self.types)
        group = RecType((SubType(True, (), ft),))
        self.rec_groups.append((x, group))
        self.types.append(group.subtypes[0])
        self._implicit_funcs[ft] = x
        return x


class Labels:
    """The labels in scope, innermost last, with the relative depth of a
    label id found in constant time (a repeated id shadows the outer one)."""

    __slots__ = ("_names", "_where")

    def __init__(self) -> None:
        self._names: list[Optional[str]] = []
        self._where: dict[str, list[int]] = {}

    def append(self, name: Optional[str]) -> None:
        """Enter a block labelled ``name`` (None: unnamed)."""
        if name is not None:
            self._where.setdefault(name, []).append(len(self._names))
        self._names.append(name)

    def pop(self) -> Optional[str]:
        """Leave the innermost block."""
        name = self._names.pop()
        if name is not None:
            self._where[name].pop()
        return name

    def depth_of(self, name: str) -> Optional[int]:
        """The relative depth of the innermost label ``name``, or None."""
        where = self._where.get(name)
        if not where:
            return None
        return len(self._names) - 1 - where[-1]
