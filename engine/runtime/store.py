"""Engine, Config, FuelCosts and Store.

An :class:`Engine` holds the settings that shape generated code (a
:class:`Config`); every :class:`~engine.Module` is compiled for one engine,
once, and its code is shared by all its instances in every store of that
engine, from any thread. A :class:`Store` holds what running code changes:
its fuel, its resource limits and counts, and the host's ``data``. Use one
store per thread at a time; one engine and its modules may be shared freely.
"""

from __future__ import annotations

import types

from dataclasses import dataclass, fields
from typing import Any, Optional

from ..errors import UsageError
from . import values as V
from .limits import Limiter, StoreLimits

#: Proposal names accepted by ``Config(features=...)``.
FEATURES = (
    "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "relaxed-simd",
    "tail-call", "extended-const", "multi-memory", "memory64", "function-references",
    "gc", "exception-handling", "threads", "wide-arithmetic", "custom-page-sizes",
    "custom-descriptors", "shared-everything-threads", "rounding-mode-control",
)

#: The default of ``Config.max_call_depth``.
DEFAULT_MAX_CALL_DEPTH = 10_000


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


class Config:
    """Engine settings, read-only once made (an engine's modules were
    compiled for them).

    ``max_call_depth``: how deep Wasm calls may nest (default 10,000).
    Deeper recursion traps with ``TrapCode.STACK_OVERFLOW``; a Python
    ``RecursionError`` never escapes. The bound is CPython's recursion
    limit, set on entry to the current depth plus this budget (while other
    threads run Wasm it is only ever raised, so it then bounds from below).
    It counts Python frames: each Wasm call is one frame, a host function
    between Wasm frames uses a few.
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
    ``features``: the proposals to enable (default: all).
    ``strict_custom_sections``: custom sections the engine reads (today the
    branch hint section, ``metadata.code.branch_hint``) are checked as their
    proposals say, and a broken one makes the module malformed or invalid
    (``Module`` raises). Off by default, as the core specification wants:
    a broken section is then ignored as a whole (see
    :mod:`engine.binary.hints`).
    """

    def __init__(self, *, max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
                 max_memory_bytes: int = V.DEFAULT_MAX_MEMORY_BYTES,
                 max_table_elements: int = V.DEFAULT_MAX_TABLE_ELEMENTS,
                 consume_fuel: bool = False,
                 fuel_costs: Optional[FuelCosts] = None,
                 features: Optional[set[str]] = None,
                 strict_custom_sections: bool = False):
        if isinstance(max_call_depth, bool) or not isinstance(max_call_depth, int) or max_call_depth < 1:
            raise UsageError("max_call_depth must be a positive int")
        for name, v in (("max_memory_bytes", max_memory_bytes), ("max_table_elements", max_table_elements)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise UsageError(f"{name} must be a non-negative int")
        if fuel_costs is not None and not isinstance(fuel_costs, FuelCosts):
            raise UsageError("fuel_costs must be a FuelCosts")
        self.max_call_depth = max_call_depth
        self.max_memory_bytes = max_memory_bytes
        self.max_table_elements = max_table_elements
        self.consume_fuel = bool(consume_fuel)
        self.strict_custom_sections = bool(strict_custom_sections)
        self.fuel_costs = fuel_costs if fuel_costs is not None else FuelCosts()
        unknown = set(features or ()) - set(FEATURES) - {"exception-handling-legacy"}
        if unknown:
            raise UsageError(f"unknown features: {sorted(unknown)}")
        self.features = frozenset(FEATURES if features is None else features)
        # what the decoder and validator are told: None when everything is on
        self._feature_set = None if self.features >= set(FEATURES) else self.features
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise UsageError(f"Config is read-only: make a new Config to change {name}")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"Config(max_call_depth={self.max_call_depth}, "
                f"consume_fuel={self.consume_fuel})")


class Engine:
    """Compilation settings shared by stores; Modules are compiled per Engine.

    An engine may be used from several threads at once: modules compile
    each function once (under the module's lock), whatever the number of
    instances, stores or threads.
    """

    def __init__(self, config: Optional[Config] = None):
        if config is not None and not isinstance(config, Config):
            raise UsageError("Engine expects a Config")
        self.config = config if config is not None else Config()

    def __repr__(self) -> str:
        return f"Engine({self.config!r})"


class Store:
    """Owns the runtime objects made while running; ``data`` is free for the host.

    ``limits`` (:class:`StoreLimits`) caps what the store may allocate; see
    :meth:`set_limits`. With ``Config(consume_fuel=True)`` the store starts
    with 0 fuel: :meth:`set_fuel` before calling.
    """

    def __init__(self, engine: Optional[Engine] = None, data: Any = None, *,
                 limits: Optional[StoreLimits] = None):
        if engine is not None and not isinstance(engine, Engine):
            raise UsageError("Store expects an Engine")
        if limits is not None and not isinstance(limits, StoreLimits):
            raise UsageError("limits must be a StoreLimits")
        self.engine = engine if engine is not None else Engine()
        self.data = data
        # the fuel left, in a closure cell that generated code of every
        # instance in this store reads and writes directly (see compile/fuel)
        self._fuel = types.CellType(0)
        self._limiter = Limiter(limits)

    # -- fuel ---------------------------------------------------------------

    def _check_fuel(self) -> None:
        if not self.engine.config.consume_fuel:
            raise UsageError("fuel is not enabled: use Config(consume_fuel=True)")

    def set_fuel(self, fuel: int) -> None:
        """Set the fuel left to ``fuel`` (a non-negative int)."""
        self._check_fuel()
        if isinstance(fuel, bool) or not isinstance(fuel, int) or fuel < 0:
            raise UsageError(f"fuel must be a non-negative int, got {fuel!r}")
        self._fuel.cell_contents = fuel

    def get_fuel(self) -> int:
        """The fuel left."""
        self._check_fuel()
        return self._fuel.cell_contents

    # -- limits -------------------------------------------------------------

    @property
    def limits(self) -> StoreLimits:
        """The store's current :class:`StoreLimits`."""
        return self._limiter.limits

    def set_limits(self, limits: Optional[StoreLimits] = None, **caps: Optional[int]) -> None:
        """Replace the store's caps: ``set_limits(StoreLimits(...))`` or
        ``set_limits(memory_size=..., table_elements=..., instances=...,
        memories=..., tables=...)`` (a cap left out is none).

        Size caps apply to existing memories and tables from now on (they
        stop growth; nothing shrinks). Count caps apply to what is created
        next, counting what the store already made.
        """
        if limits is None:
            try:
                limits = StoreLimits(**caps)
            except TypeError as e:
                raise UsageError(str(e)) from None
        elif caps or not isinstance(limits, StoreLimits):
            raise UsageError("set_limits takes a StoreLimits or keyword caps, not both")
        self._limiter.set_limits(limits, self.engine.config)

    def __repr__(self) -> str:
        return f"<Store {self.engine!r}>"
