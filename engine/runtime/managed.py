"""``close()`` and ``with`` blocks, as wasmtime-py's objects have them.

wasmtime-py's objects own native memory and free it on ``close()`` (or at
the end of a ``with`` block). Here memory is Python's to free; closing
releases what an object holds outside Python (a store's WASI files and
directories) and is otherwise a no-op: the object stays usable.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError


class Managed:
    """Mixin: ``close()``, ``with obj: ...`` (closes at the end), ``ptr()``."""

    __slots__ = ()

    def close(self) -> None:
        """Release what the object holds outside Python (nothing for most
        objects)."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def ptr(self) -> Any:
        """wasmtime-py's native pointer: there is none here."""
        raise UsageError(f"a {type(self).__name__} has no native pointer (this engine is Python)")
