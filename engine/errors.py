"""The error classes of the public API.

The specification tells five outcomes apart and so does the API: every
failure raised by the engine is a :class:`WasmError`, and more precisely one
of :class:`MalformedError` (decoding), :class:`InvalidError` (validation),
:class:`LinkError` (imports do not match), :class:`InstantiationError`
(instantiation failed for a reason other than a trap), :class:`Trap` (with a
:class:`TrapCode`), or :class:`WasmException` (a Wasm exception that left
Wasm code uncaught).
"""

from __future__ import annotations

import enum
from typing import Any, Optional


class WasmError(Exception):
    """Base class of every error the engine raises."""


class MalformedError(WasmError):
    """The bytes are not a well-formed binary module."""


class InvalidError(WasmError):
    """The module is well-formed but does not validate."""


class LinkError(WasmError):
    """An import is missing or does not match its expected type."""


class InstantiationError(WasmError):
    """Instantiation failed for a reason other than a trap (for example a
    store resource limit)."""


class TrapCode(enum.Enum):
    """Why execution trapped. Values are the messages the spec tests use."""

    UNREACHABLE = "unreachable"
    MEMORY_OUT_OF_BOUNDS = "out of bounds memory access"
    TABLE_OUT_OF_BOUNDS = "out of bounds table access"
    ARRAY_OUT_OF_BOUNDS = "out of bounds array access"
    INDIRECT_CALL_TO_NULL = "uninitialized element"
    BAD_SIGNATURE = "indirect call type mismatch"
    INTEGER_OVERFLOW = "integer overflow"
    INTEGER_DIVIDE_BY_ZERO = "integer divide by zero"
    BAD_CONVERSION_TO_INTEGER = "invalid conversion to integer"
    STACK_OVERFLOW = "call stack exhausted"
    NULL_REFERENCE = "null reference"
    CAST_FAILURE = "cast failure"
    UNALIGNED_ATOMIC = "unaligned atomic"
    EXPECTED_SHARED_MEMORY = "expected shared memory"
    OUT_OF_FUEL = "all fuel consumed"
    #: A GC allocation past the store's cap (``StoreLimits.array_elements``)
    #: or the engine's, or one the host had no memory for: the spec lets any
    #: allocation fail, and the reference interpreter says "out of memory".
    OUT_OF_MEMORY = "out of memory"
    #: The host could not give a call what it needs to run: a thread (and
    #: its stack) for a resumable call or a deep one, or a store's cap on
    #: suspended calls (``StoreLimits.suspended_calls``) was reached.
    RESOURCE_EXHAUSTED = "host resources exhausted"
    HOST = "host function error"


class Trap(WasmError):
    """Execution trapped. ``code`` says why; a trap raised by a host function
    carries ``TrapCode.HOST`` and the original exception as ``__cause__``."""

    def __init__(self, code: TrapCode, message: Optional[str] = None):
        super().__init__(message or code.value)
        self.code = code

    def __reduce__(self):
        return (type(self), (self.code, str(self)))


class UsageError(WasmError, TypeError):
    """The host misused the API: wrong number or type of arguments, an item
    from another store, a value that does not fit its type."""


class WasmException(WasmError):
    """A Wasm exception: thrown by ``throw`` and not caught in Wasm, or raised
    by a host function to throw into Wasm.

    ``tag`` is the :class:`~engine.Tag`; ``payload`` the tuple of its
    argument values as host values (ints, floats, references). Inside the
    engine the values travel in the engine's representation (``raw``).
    """

    def __init__(self, tag: Any, payload: tuple = (), *, raw: Optional[tuple] = None):
        super().__init__("uncaught wasm exception")
        self.tag = tag
        if raw is None:
            from .runtime.values import to_wasm

            params = tag.functype.params
            payload = tuple(payload)
            if len(payload) != len(params):
                raise UsageError(f"the tag takes {len(params)} values, got {len(payload)}")
            raw = tuple(to_wasm(t, v) for t, v in zip(params, payload))
        self.raw = tuple(raw)

    @property
    def payload(self) -> tuple:
        from .runtime.values import from_wasm

        return tuple(from_wasm(t, v) for t, v in zip(self.tag.functype.params, self.raw))

    def __str__(self) -> str:
        return f"uncaught wasm exception ({len(self.raw)} values)"

    def __reduce__(self):
        return (_rebuild_exception, (self.tag, self.raw))


def _rebuild_exception(tag, raw):
    return WasmException(tag, raw=raw)
