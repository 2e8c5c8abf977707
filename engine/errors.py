"""The error classes of the public API.

The specification tells five outcomes apart and so does the API: every
failure raised by the engine is a :class:`WasmError`, and more precisely one
of :class:`MalformedError` (decoding), :class:`InvalidError` (validation),
:class:`LinkError` (imports do not match), :class:`InstantiationError`
(instantiation failed for a reason other than a trap), :class:`Trap` (with a
:class:`TrapCode`), or :class:`WasmException` (a Wasm exception that left
Wasm code uncaught).

The classes also fit the hierarchy of wasmtime-py, so that programs written
for it catch what they expect: :class:`WasmtimeError` is the base of every
error that is not a trap (the four above, :class:`UsageError` and
:class:`ExitTrap`); :class:`Trap` is not one, as in wasmtime-py.
:class:`UsageError` is also a ``TypeError`` (wasmtime-py raises
``TypeError`` for values of the wrong type) and :class:`AccessError` also an
``IndexError`` (``Memory.write`` out of bounds).
"""

from __future__ import annotations

import enum
import threading
import weakref
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import Any, Callable, Optional


class Managed:
    """wasmtime-py's ``close()``, ``with obj: ...`` and ``ptr()``.

    wasmtime-py's objects own native memory and free it on ``close()`` (or
    at the end of a ``with`` block). Here memory is Python's to free:
    closing releases what an object holds outside Python (a store's WASI
    files and directories) and is otherwise a no-op; the object stays
    usable. Engines, stores, modules, linkers, configs, types, frames and
    errors have it, as in wasmtime-py.
    """

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


class WasmError(Exception, Managed):
    """Base class of every error the engine raises."""


class WasmtimeError(WasmError):
    """Any failure that is not a trap (wasmtime-py's name): the base of
    :class:`MalformedError`, :class:`InvalidError`, :class:`LinkError`,
    :class:`InstantiationError`, :class:`UsageError` and :class:`ExitTrap`."""


class MalformedError(WasmtimeError):
    """The bytes are not a well-formed binary module."""


class InvalidError(WasmtimeError):
    """The module is well-formed but does not validate."""


class LinkError(WasmtimeError):
    """An import is missing or does not match its expected type."""


class InstantiationError(WasmtimeError):
    """Instantiation failed for a reason other than a trap (for example a
    store resource limit)."""


class ExitTrap(WasmtimeError):
    """A WASI program exited (``proc_exit``); ``code`` is its exit status.

    As in wasmtime-py it is a :class:`WasmtimeError` and not a
    :class:`Trap`: the exit unwinds every Wasm frame and comes out of the
    call that ran the program.
    """

    def __init__(self, code: int, message: Optional[str] = None):
        super().__init__(message or f"exit status {code}")
        self.code = code

    def __reduce__(self):
        return (type(self), (self.code, str(self)))


class TrapCode(enum.Enum):
    """Why execution trapped. Values are the messages the spec tests use.

    The names of wasmtime-py's trap codes are members too: most are aliases
    of the engine's own (``INTEGER_DIVISION_BY_ZERO`` is
    ``INTEGER_DIVIDE_BY_ZERO``); ``INTERRUPT`` is an epoch deadline; the
    codes of proposals the engine does not implement (stack switching) and
    ``ALLOCATION_TOO_LARGE``, ``DISABLED_OPCODE``, ``UNALIGNED_POINTER`` never
    occur. An uncaught Wasm exception is a :class:`WasmException`, whose
    ``trap_code`` is ``UNCAUGHT_EXCEPTION``.
    """

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
    INTERRUPT = "interrupt"
    UNCAUGHT_EXCEPTION = "uncaught wasm exception"
    ALLOCATION_TOO_LARGE = "allocation size too large"
    DISABLED_OPCODE = "disabled opcode"
    UNALIGNED_POINTER = "unaligned pointer"
    UNHANDLED_TAG = "unhandled tag"
    CONTINUATION_ALREADY_CONSUMED = "continuation already consumed"
    CANNOT_RESUME_THREAD = "cannot resume thread"
    # wasmtime-py's names for the engine's codes (aliases: the same members)
    INTEGER_DIVISION_BY_ZERO = "integer divide by zero"
    HEAP_MISALIGNED = "unaligned atomic"
    ATOMIC_WAIT_NON_SHARED_MEMORY = "expected shared memory"


@dataclass(frozen=True, slots=True)
class Frame(Managed):
    """One Wasm function on the stack of a trap (``Trap.frames``).

    ``func_index``: the function's index in its module; ``func_name`` its
    name from the module's name section (or None); ``module_name`` the
    module's own name from that section (or None). ``func_offset`` is the
    byte offset, from the start of the function's body, of the instruction
    that was executing (the one that trapped, or the call that is still
    running); ``module_offset`` the same instruction's offset in the module
    binary (both 0 when the module's binary is unknown). Each line of a
    function's generated Python knows the instruction it was emitted for;
    where a line does the work of several (a run of pure instructions
    becomes one expression, emitted by the instruction that consumes it),
    the offset is that instruction's.
    """

    func_index: int
    func_name: Optional[str]
    module_name: Optional[str]
    func_offset: int
    module_offset: int


#: code id -> (weak reference to the code object, describe(lineno) -> Frame)
_WASM_CODE: dict[int, tuple[Any, Callable[[int], Frame]]] = {}
_WASM_CODE_LOCK = threading.Lock()


def register_wasm_code(code: CodeType, describe: Callable[[int], Frame]) -> None:
    """Tell :attr:`Trap.frames` that frames running ``code`` are Wasm
    functions, described by ``describe(lineno)``. Kept until the code
    object goes away."""
    key = id(code)

    def forget(_ref: Any, key: int = key) -> None:
        with _WASM_CODE_LOCK:
            entry = _WASM_CODE.get(key)
            if entry is not None and entry[0] is _ref:
                del _WASM_CODE[key]

    ref = weakref.ref(code, forget)
    with _WASM_CODE_LOCK:
        _WASM_CODE[key] = (ref, describe)


def wasm_frames(tb: Optional[TracebackType]) -> list[Frame]:
    """The Wasm frames of a traceback, innermost first."""
    out = []
    while tb is not None:
        code = tb.tb_frame.f_code
        entry = _WASM_CODE.get(id(code))
        if entry is not None and entry[0]() is code:
            try:
                out.append(entry[1](tb.tb_lineno))
            except Exception:  # noqa: BLE001 - a description is best effort
                pass
        tb = tb.tb_next
    out.reverse()
    return out


class Trap(WasmError):
    """Execution trapped. ``code`` says why; a trap raised by a host function
    carries ``TrapCode.HOST`` and the original exception as ``__cause__``.

    ``Trap(code, message=None)`` with a :class:`TrapCode`, or
    ``Trap(message)`` as in wasmtime-py (a trap a host function raises to
    stop the Wasm code that called it; its ``code`` is ``HOST`` and its
    ``trap_code`` None).

    When a host function raises another exception, the caller of the Wasm
    code receives a Trap that is also an instance of that exception's class
    (with its ``args`` and attributes), so both ``except Trap`` and the
    ``except`` clause a wasmtime-py program would use for the host's own
    exception catch it.
    """

    def __init__(self, code: Any, message: Optional[str] = None):
        if isinstance(code, TrapCode):
            super().__init__(message or code.value)
        elif isinstance(code, str) and message is None:
            super().__init__(code)
            code = TrapCode.HOST
        else:
            raise UsageError("Trap(code: TrapCode, message=None) or Trap(message: str)")
        self.code = code

    def __reduce__(self):
        return (Trap, (self.code, str(self)))

    @property
    def trap_code(self) -> Optional[TrapCode]:
        """The :class:`TrapCode` (wasmtime-py's name), or None for a trap a
        host function raised."""
        code = getattr(self, "code", None)
        return code if isinstance(code, TrapCode) and code is not TrapCode.HOST else None

    @property
    def message(self) -> str:
        """The trap's message (``str(trap)``)."""
        return str(self)

    @property
    def frames(self) -> list[Frame]:
        """The Wasm functions on the stack when the trap happened, innermost
        first (see :class:`Frame`)."""
        frames = wasm_frames(self.__traceback__)
        inner = getattr(self, "_inner_tb", None)
        if inner is not None:
            frames = wasm_frames(inner) + frames
        return frames

    @property
    def trace(self) -> str:
        """The Wasm backtrace as text, one line per frame, innermost first:
        ``index: module offset - module!function``."""
        lines = []
        for i, f in enumerate(self.frames):
            name = f.func_name if f.func_name is not None else f"<wasm function {f.func_index}>"
            lines.append(f"{i:>5}: {f.module_offset:#8x} - {f.module_name or '<unknown>'}!{name}")
        return "\n".join(lines)

    def _with_inner(self, tb: Optional[TracebackType]) -> "Trap":
        """This trap, remembering the traceback of the Python exception it
        replaces (where the Wasm frames are)."""
        self._inner_tb = tb
        return self


_HOST_TRAP_CLASSES: "weakref.WeakKeyDictionary[type, type]" = weakref.WeakKeyDictionary()


def _host_trap_class(cls: type) -> type:
    made = _HOST_TRAP_CLASSES.get(cls)
    if made is None:
        made = type(cls.__name__, (Trap, cls), {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__reduce__": _reduce_host_trap,
            "__doc__": f"A host function raised {cls.__qualname__}: a Trap that is also one.",
        })
        _HOST_TRAP_CLASSES[cls] = made
    return made


def _reduce_host_trap(self: Trap):
    return (Trap, (TrapCode.HOST, str(self)))


def host_trap(exc: BaseException, message: Optional[str] = None) -> Trap:
    """The trap for exception ``exc`` that a host function raised: an
    instance of both :class:`Trap` (code ``HOST``) and ``type(exc)``, with
    the same ``args`` and attributes; a plain Trap when the two classes
    cannot be combined. The caller raises it ``from exc``."""
    cls = type(exc)
    if isinstance(exc, Trap):
        return exc
    try:
        made = _host_trap_class(cls)
        trap = made.__new__(made, *exc.args)
        try:
            cls.__init__(trap, *exc.args)
        except Exception:  # noqa: BLE001 - args that __init__ does not take back
            pass
        trap.args = exc.args
        trap.code = TrapCode.HOST
        state = getattr(exc, "__dict__", None)
        if state:
            trap.__dict__.update(state)
        return trap
    except Exception:  # noqa: BLE001 - a class that cannot be combined
        return Trap(TrapCode.HOST, message or f"host function raised {cls.__name__}: {exc}")


class UsageError(WasmtimeError, TypeError):
    """The host misused the API: wrong number or type of arguments, an item
    from another store, a value that does not fit its type."""


class AccessError(UsageError, IndexError):
    """An API access beyond the bounds of a memory or table (also an
    ``IndexError``, as wasmtime-py raises for ``Memory.write``)."""


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

    @property
    def trap_code(self) -> TrapCode:
        """``TrapCode.UNCAUGHT_EXCEPTION`` (what wasmtime-py reports)."""
        return TrapCode.UNCAUGHT_EXCEPTION

    def __str__(self) -> str:
        return f"uncaught wasm exception ({len(self.raw)} values)"

    def __reduce__(self):
        return (_rebuild_exception, (self.tag, self.raw))


def _rebuild_exception(tag, raw):
    return WasmException(tag, raw=raw)
