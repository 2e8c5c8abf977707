"""Descriptions the API hands out: import and export types, tag types, an
instance's exports (wasmtime-py's ``ImportType``, ``ExportType``,
``TagType`` and ``InstanceExports``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

from ..errors import UsageError
from ..syntax import types as T
from .managed import Managed


@dataclass(frozen=True, slots=True)
class TagType(Managed):
    """The type of a tag: ``functype``'s params are an exception's payload
    (``params`` and ``results`` are at hand too)."""

    functype: T.FuncType

    def __post_init__(self) -> None:
        if not isinstance(self.functype, T.FuncType):
            raise UsageError(f"a TagType is made from a FuncType, not {type(self.functype).__name__}")

    @property
    def params(self) -> tuple:
        """The payload's value types."""
        return self.functype.params

    @property
    def results(self) -> tuple:
        """The function type's results (none for exception tags)."""
        return self.functype.results


def kind_of_type(t: Any) -> Optional[T.ExternKind]:
    """The kind of external value an external type describes."""
    if isinstance(t, T.FuncType):
        return T.ExternKind.FUNC
    if isinstance(t, T.TableType):
        return T.ExternKind.TABLE
    if isinstance(t, T.MemType):
        return T.ExternKind.MEMORY
    if isinstance(t, T.GlobalType):
        return T.ExternKind.GLOBAL
    if isinstance(t, TagType):
        return T.ExternKind.TAG
    return None


class ImportType(NamedTuple):
    """An import of a module: ``module``, ``name`` and ``type`` (a
    FuncType, TableType, MemoryType, GlobalType or TagType). Unpacks as
    ``(module, name, type)``."""

    module: str
    name: str
    type: Any

    @property
    def kind(self) -> Optional[T.ExternKind]:
        """The kind of the import."""
        return kind_of_type(self.type)

    close, __enter__, __exit__, ptr = Managed.close, Managed.__enter__, Managed.__exit__, Managed.ptr


class ExportType(NamedTuple):
    """An export of a module: ``name`` and ``type``. Unpacks as
    ``(name, type)``."""

    name: str
    type: Any

    @property
    def kind(self) -> Optional[T.ExternKind]:
        """The kind of the export."""
        return kind_of_type(self.type)

    close, __enter__, __exit__, ptr = Managed.close, Managed.__enter__, Managed.__exit__, Managed.ptr


class InstanceExports(dict):
    """An instance's exports by name (a dict, in the module's export
    order); ``by_index`` lists them in that order."""

    @property
    def by_index(self) -> list:
        """The exported items in export order."""
        return list(self.values())
