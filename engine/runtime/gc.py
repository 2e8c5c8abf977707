"""Heap values of the GC proposal and host references seen as anyref.

Placeholder: until the GC types land, host objects cross as themselves.
"""

from __future__ import annotations

from typing import Any


def host_to_any(t, v: Any) -> Any:
    """A host value passed where a reference of type ``t`` is expected."""
    return v


def any_to_host(v: Any) -> Any:
    """An engine reference returned to the host."""
    return v


class StructRef:
    """A reference to a GC struct, as the host sees it (opaque)."""

    __slots__ = ()


class ArrayRef:
    """A reference to a GC array, as the host sees it (opaque)."""

    __slots__ = ()


class I31Ref:
    """An ``i31ref`` value; ``value`` is its unsigned 31-bit payload."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value & 0x7FFFFFFF


class ExnRef:
    """A caught Wasm exception held as an ``exnref``."""

    __slots__ = ()
