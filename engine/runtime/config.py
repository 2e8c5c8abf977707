"""Config and FuelCosts: the settings an Engine compiles for.

A :class:`Config` is made with keyword arguments (``Config(consume_fuel=
True)``) or, as in wasmtime-py, empty and then set property by property
(``config.consume_fuel = True``); it becomes read-only when an
:class:`~engine.Engine` is made from it, since that engine's modules are
compiled for it.

Besides the engine's own settings, every property of wasmtime-py's Config
exists (see :class:`WasmtimeOptions`): the ``wasm_*`` switches turn
proposals of ``features`` on and off, ``max_wasm_stack`` sets the call
depth, and the knobs that mean nothing for an engine that generates Python
(Cranelift, profilers, memory reservations...) are validated as wasmtime-py
validates them and otherwise ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any, Iterable, Optional, Union

from ..errors import UsageError
from . import values as V
from .managed import Managed

#: Proposal names accepted by ``Config(features=...)``.
FEATURES = (
    "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "relaxed-simd",
    "tail-call", "extended-const", "multi-memory", "memory64", "function-references",
    "gc", "exception-handling", "threads", "wide-arithmetic", "custom-page-sizes",
    "custom-descriptors", "shared-everything-threads", "rounding-mode-control",
)
_KNOWN_FEATURES = frozenset(FEATURES) | {"exception-handling-legacy"}

#: The default of ``Config.max_call_depth``.
DEFAULT_MAX_CALL_DEPTH = 10_000

#: ``max_wasm_stack`` (bytes) counts one level of call depth per this many
#: bytes: 640,000 bytes is the default depth of 10,000.
STACK_BYTES_PER_CALL = 64


@dataclass(frozen=True, slots=True)
class FuelCosts:
    """What executing Wasm costs in fuel when ``Config.consume_fuel`` is on.

    ``instruction``: every instruction executed (``nop``, ``block`` and
    ``end`` included).
    ``call``: added for each call instruction (``call``, ``call_indirect``,
    ``call_ref`` and their ``return_call`` forms), on top of ``instruction``;
    a host function's own work costs nothing.
    ``per_byte_shift``: ``memory.fill``, ``memory.copy`` and ``memory.init``
    cost one unit per ``2 ** per_byte_shift`` bytes (rounded down) on top of
    their instruction cost.
    ``per_element``: ``table.fill/copy/init/grow`` and ``array.fill/copy/
    init_data/init_elem`` cost this per element.
    ``per_page``: ``memory.grow`` costs this per page requested.

    Fuel is charged a straight run of instructions at a time, when the run
    starts (see :mod:`engine.compile.fuel`): a run that cannot be paid for
    in full traps with ``TrapCode.OUT_OF_FUEL`` before its first
    instruction, so a program and an amount of fuel always stop at the same
    point. A bulk operation is charged its length just before it runs.
    """

    instruction: int = 1
    call: int = 1
    per_byte_shift: int = 6
    per_element: int = 1
    per_page: int = 1

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise UsageError(f"FuelCosts.{f.name} must be a non-negative int, got {v!r}")
        if self.per_byte_shift > 64:
            raise UsageError("FuelCosts.per_byte_shift must be at most 64")


def _bool(value: Any, article: str = "a") -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"expected {article} bool")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int):
        raise UsageError("expected an int")
    return value


def _size(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{name} must be a non-negative int")
    return value


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise UsageError(f"unknown {what}: {value}")
    return value


def _proposal(name: str, doc: str) -> property:
    """A wasmtime-py ``wasm_*`` switch: proposal ``name`` in ``features``."""

    def get(self: "Config") -> bool:
        return name in self._features

    def put(self: "Config", enable: bool) -> None:
        self._check_mutable()
        if _bool(enable):
            self._features.add(name)
        else:
            self._features.discard(name)

    return property(get, put, doc=f"Whether {doc} is enabled (the ``{name}`` feature).")


def _knob(name: str, check: Any, default: Any, doc: str) -> property:
    """A wasmtime-py setting with no effect here: validated, remembered."""

    def get(self: "Config") -> Any:
        return self._knobs.get(name, default)

    def put(self: "Config", value: Any) -> None:
        self._check_mutable()
        self._knobs[name] = check(value)

    return property(get, put, doc=f"{doc} Accepted and validated as wasmtime-py does; no effect here.")


#: Architectures a ``target`` triple may name (the ones wasmtime knows).
_ARCHITECTURES = frozenset({
    "x86_64", "aarch64", "riscv64", "riscv64gc", "s390x", "pulley32", "pulley64",
    "pulley32be", "pulley64be", "i686", "i586", "arm64", "x86", "riscv32", "armv7",
})


def _target(value: Any) -> str:
    if not isinstance(value, str):
        raise UsageError("expected a str")
    arch = value.split("-", 1)[0]
    if arch not in _ARCHITECTURES:
        raise UsageError(f"Unrecognized architecture: {arch}")
    return value


def _cache(value: Any) -> Union[bool, str]:
    if isinstance(value, bool):
        if not value:
            raise UsageError("caching cannot be explicitly disabled")
        return value
    if isinstance(value, str):
        if not os.path.isfile(value) or not os.access(value, os.R_OK):
            raise UsageError(f"failed to read config file: {value}")
        return value
    raise UsageError("expected string or bool")


class WasmtimeOptions:
    """The properties of wasmtime-py's Config (mixed into :class:`Config`).

    Effective: ``consume_fuel``, ``epoch_interruption``, ``max_wasm_stack``
    (the call depth, one level per :data:`STACK_BYTES_PER_CALL` bytes) and
    the ``wasm_*`` proposal switches. Unlike wasmtime-py the properties can
    also be read. Every other knob is accepted, validated like wasmtime-py
    (``TypeError`` for a value of the wrong type, :class:`~engine.WasmtimeError`
    for an unknown name) and has no effect: ``cache`` (the engine keeps no
    code cache on disk), ``strategy``, ``profiler``, ``cranelift_*``,
    ``debug_info``, ``target``, ``memory_*``, ``parallel_compilation``,
    ``native_unwind_info``, ``macos_use_mach_ports``, ``signals_based_traps``,
    ``gc_support`` and ``shared_memory`` (GC and shared memories are always
    there when their proposals are on), ``wasm_relaxed_simd_deterministic``
    (relaxed SIMD is always deterministic here), and
    ``wasm_stack_switching`` / ``wasm_component_model*`` (proposals the
    engine does not implement: modules that use them do not decode).
    """

    __slots__ = ()
    _features: set
    _knobs: dict

    def _check_mutable(self) -> None:  # pragma: no cover - Config defines it
        raise NotImplementedError

    wasm_bulk_memory = _proposal("bulk-memory-operations", "the bulk memory proposal")
    wasm_custom_page_sizes = _proposal("custom-page-sizes", "the custom page sizes proposal")
    wasm_exceptions = _proposal("exception-handling", "the exception handling proposal")
    wasm_function_references = _proposal("function-references", "the typed function references proposal")
    wasm_gc = _proposal("gc", "the GC proposal")
    wasm_memory64 = _proposal("memory64", "the 64-bit memories proposal")
    wasm_multi_memory = _proposal("multi-memory", "the multi-memory proposal")
    wasm_multi_value = _proposal("multi-value", "the multi-value proposal")
    wasm_reference_types = _proposal("reference-types", "the reference types proposal")
    wasm_relaxed_simd = _proposal("relaxed-simd", "the relaxed SIMD proposal")
    wasm_simd = _proposal("simd", "the SIMD proposal")
    wasm_tail_call = _proposal("tail-call", "the tail call proposal")
    wasm_threads = _proposal("threads", "the threads proposal")
    wasm_wide_arithmetic = _proposal("wide-arithmetic", "the wide arithmetic proposal")

    wasm_relaxed_simd_deterministic = _knob(
        "wasm_relaxed_simd_deterministic", _bool, False, "Deterministic relaxed SIMD.")
    wasm_stack_switching = _knob("wasm_stack_switching", _bool, False, "The stack switching proposal.")
    wasm_component_model = _knob("wasm_component_model", _bool, False, "The component model.")
    wasm_component_model_map = _knob("wasm_component_model_map", _bool, False,
                                     "Component model maps.")
    wasm_component_model_implements = _knob("wasm_component_model_implements", _bool, False,
                                            "Component model implements.")
    cache = _knob("cache", _cache, False, "A code cache on disk (True or a config file path).")
    strategy = _knob("strategy", lambda v: _choice(v, ("auto", "cranelift"), "strategy"), "auto",
                     "The compiler (``auto`` or ``cranelift``).")
    profiler = _knob("profiler", lambda v: _choice(v, ("none", "jitdump", "vtune", "perfmap"),
                                                   "profiler"), "none", "A JIT profiler.")
    cranelift_opt_level = _knob(
        "cranelift_opt_level", lambda v: _choice(v, ("none", "speed", "speed_and_size"), "opt level"),
        "speed", "Cranelift's optimisation level.")
    cranelift_debug_verifier = _knob("cranelift_debug_verifier", _bool, False,
                                     "Cranelift's IR verifier.")
    cranelift_nan_canonicalization = _knob(
        "cranelift_nan_canonicalization", _bool, False,
        "Canonical NaNs (results here always keep the spec's NaN payloads).")
    debug_info = _knob("debug_info", _bool, False, "Native debug information.")
    gc_support = _knob("gc_support", _bool, True, "GC support compiled in.")
    shared_memory = _knob("shared_memory", _bool, False, "Shared memories.")
    parallel_compilation = _knob("parallel_compilation", _bool, True, "Parallel compilation.")
    native_unwind_info = _knob("native_unwind_info", _bool, True, "Native unwind information.")
    macos_use_mach_ports = _knob("macos_use_mach_ports", _bool, True, "Mach ports on macOS.")
    signals_based_traps = _knob("signals_based_traps", _bool, True, "Traps through signals.")
    memory_may_move = _knob("memory_may_move", _bool, True, "Whether memories may move.")
    memory_init_cow = _knob("memory_init_cow", _bool, True, "Copy-on-write memory images.")
    memory_reservation = _knob("memory_reservation", _int, 0, "Virtual memory reserved per memory.")
    memory_guard_size = _knob("memory_guard_size", _int, 0, "Guard pages after a memory.")
    memory_reservation_for_growth = _knob("memory_reservation_for_growth", _int, 0,
                                          "Reservation for growth.")
    target = _knob("target", _target, None, "The target triple to compile for.")

    def cranelift_flag_enable(self, flag: str) -> None:
        """Enable a Cranelift flag (validated, no effect here)."""
        if not isinstance(flag, str):
            raise UsageError("expected a str")
        self._check_mutable()

    def cranelift_flag_set(self, key: str, value: str) -> None:
        """Set a Cranelift flag (validated, no effect here)."""
        if not isinstance(key, str):
            raise UsageError("expected a str for key")
        if not isinstance(value, str):
            raise UsageError("expected a str for value")
        self._check_mutable()


class Config(WasmtimeOptions, Managed):
    """Engine settings; read-only once an :class:`~engine.Engine` uses them.

    ``max_call_depth``: how deep Wasm calls may nest (default 10,000).
    Deeper recursion traps with ``TrapCode.STACK_OVERFLOW``; neither a
    Python ``RecursionError`` nor a crash ever comes out, whatever mix of
    Wasm and host frames. The bound is CPython's recursion limit, set on
    entry to the current depth plus this budget. It counts Python frames:
    each Wasm call is one frame, a host function between Wasm frames uses a
    few. A budget the calling thread's C stack cannot hold (above about
    15,000 on an 8 MiB stack) runs each call from the host on a worker
    thread with a stack sized for it (a thread hand-over per call; at most
    about 2 million deep). The limit is shared by all threads: while others
    run Wasm (a suspended resumable call counts) it is only ever raised,
    and never past what any of their stacks holds
    (:mod:`engine.runtime.stack`). (``max_wasm_stack``, in bytes, sets it
    too.)
    ``max_memory_bytes`` / ``max_table_elements``: the largest memory and
    table this engine will allocate; growth beyond fails as the spec allows
    (``memory.grow`` returns -1). Stores may cap lower (:class:`StoreLimits`).
    The default memory cap is 4 GiB or half the host's memory (physical, or
    the container's limit), whichever is larger: 64-bit memories may pass
    4 GiB, and a runaway module cannot take the whole host. Memories past
    256 MiB cost host memory only for the pages their code touches.
    ``consume_fuel``: meter execution; stores then start with no fuel
    (``store.set_fuel(n)``) and a call that runs out traps with
    ``TrapCode.OUT_OF_FUEL``. With it off, generated code carries no fuel
    bookkeeping at all.
    ``fuel_costs``: what each kind of instruction costs (:class:`FuelCosts`).
    ``epoch_interruption``: Wasm code checks the engine's epoch against the
    store's deadline on function entry and at every loop iteration and
    traps with ``TrapCode.INTERRUPT`` once it is reached
    (``Engine.increment_epoch``, ``Store.set_epoch_deadline``). With it off,
    generated code has no epoch checks at all.
    ``features``: the proposals to enable (default: all).
    ``strict_custom_sections``: custom sections the engine reads (today the
    branch hint section, ``metadata.code.branch_hint``) are checked as their
    proposals say, and a broken one makes the module malformed or invalid
    (``Module`` raises). Off by default, as the core specification wants:
    a broken section is then ignored as a whole (see
    :mod:`engine.binary.hints`).
    """

    __slots__ = ("_strict_custom_sections", "_max_call_depth", "_max_memory_bytes", "_max_table_elements", "_consume_fuel",
                 "_fuel_costs", "_epoch_interruption", "_features", "_knobs", "_frozen")

    def __init__(self, *, max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
                 max_memory_bytes: int = V.DEFAULT_MAX_MEMORY_BYTES,
                 max_table_elements: int = V.DEFAULT_MAX_TABLE_ELEMENTS,
                 consume_fuel: bool = False,
                 fuel_costs: Optional[FuelCosts] = None,
                 epoch_interruption: bool = False,
                 features: Optional[Iterable[str]] = None,
                 strict_custom_sections: bool = False):
        self._frozen = False
        self._knobs: dict[str, Any] = {}
        self.max_call_depth = max_call_depth
        self.max_memory_bytes = max_memory_bytes
        self.max_table_elements = max_table_elements
        self.consume_fuel = bool(consume_fuel)
        self.fuel_costs = fuel_costs
        self.epoch_interruption = epoch_interruption
        self.features = features
        self.strict_custom_sections = strict_custom_sections

    def _check_mutable(self) -> None:
        if self._frozen:
            raise UsageError("Config is read-only once an Engine uses it: make a new Config")

    def _freeze(self) -> None:
        self._frozen = True

    @property
    def max_call_depth(self) -> int:
        """How deep Wasm calls may nest."""
        return self._max_call_depth

    @max_call_depth.setter
    def max_call_depth(self, value: int) -> None:
        self._check_mutable()
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError("max_call_depth must be a positive int")
        self._max_call_depth = value

    @property
    def max_wasm_stack(self) -> int:
        """The Wasm stack in bytes (wasmtime-py's knob): sets
        ``max_call_depth`` to ``max_wasm_stack // STACK_BYTES_PER_CALL``."""
        return self._max_call_depth * STACK_BYTES_PER_CALL

    @max_wasm_stack.setter
    def max_wasm_stack(self, size: int) -> None:
        if not isinstance(size, int):
            raise UsageError("expected an int")
        if size < STACK_BYTES_PER_CALL:
            raise UsageError(f"max_wasm_stack must be at least {STACK_BYTES_PER_CALL} bytes")
        self.max_call_depth = int(size) // STACK_BYTES_PER_CALL

    @property
    def max_memory_bytes(self) -> int:
        """The largest memory the engine allocates, in bytes."""
        return self._max_memory_bytes

    @max_memory_bytes.setter
    def max_memory_bytes(self, value: int) -> None:
        self._check_mutable()
        self._max_memory_bytes = _size(value, "max_memory_bytes")

    @property
    def max_table_elements(self) -> int:
        """The largest table the engine allocates, in elements."""
        return self._max_table_elements

    @max_table_elements.setter
    def max_table_elements(self, value: int) -> None:
        self._check_mutable()
        self._max_table_elements = _size(value, "max_table_elements")

    @property
    def consume_fuel(self) -> bool:
        """Whether execution is metered with fuel."""
        return self._consume_fuel

    @consume_fuel.setter
    def consume_fuel(self, enable: bool) -> None:
        self._check_mutable()
        self._consume_fuel = _bool(enable, "an")

    @property
    def fuel_costs(self) -> FuelCosts:
        """What instructions cost in fuel."""
        return self._fuel_costs

    @fuel_costs.setter
    def fuel_costs(self, costs: Optional[FuelCosts]) -> None:
        self._check_mutable()
        if costs is not None and not isinstance(costs, FuelCosts):
            raise UsageError("fuel_costs must be a FuelCosts")
        self._fuel_costs = costs if costs is not None else FuelCosts()

    @property
    def strict_custom_sections(self) -> bool:
        """Whether a broken custom section the engine reads is an error."""
        return self._strict_custom_sections

    @strict_custom_sections.setter
    def strict_custom_sections(self, strict: Any) -> None:
        self._check_mutable()
        self._strict_custom_sections = bool(strict)

    @property
    def epoch_interruption(self) -> bool:
        """Whether Wasm code checks the epoch deadline."""
        return self._epoch_interruption

    @epoch_interruption.setter
    def epoch_interruption(self, enable: Any) -> None:
        self._check_mutable()
        self._epoch_interruption = bool(enable)

    @property
    def features(self) -> frozenset[str]:
        """The proposals enabled."""
        return frozenset(self._features)

    @features.setter
    def features(self, features: Optional[Iterable[str]]) -> None:
        self._check_mutable()
        if isinstance(features, (str, bytes)):
            raise UsageError("features is a collection of proposal names, not a string")
        names = set(FEATURES if features is None else features)
        unknown = names - _KNOWN_FEATURES
        if unknown:
            raise UsageError(f"unknown features: {sorted(unknown)}")
        self._features = names

    @property
    def _feature_set(self) -> Optional[frozenset[str]]:
        """What the decoder and validator are told: None when everything is on."""
        return None if self._features >= set(FEATURES) else frozenset(self._features)

    def __repr__(self) -> str:
        return (f"Config(max_call_depth={self.max_call_depth}, "
                f"consume_fuel={self.consume_fuel})")
