"""Engine and Store (Config and FuelCosts live in :mod:`.config`).

An :class:`Engine` holds the settings that shape generated code (a
:class:`Config`) and the epoch; every :class:`~engine.Module` is compiled
for one engine, once, and its code is shared by all its instances in every
store of that engine, from any thread. A :class:`Store` holds what running
code changes: its fuel, its epoch deadline, its resource limits and counts,
and the host's ``data``. Use one store per thread at a time; one engine and
its modules may be shared freely.
"""

from __future__ import annotations

import threading
import types
from dataclasses import fields
from typing import Any, Optional

from ..errors import UsageError
from .config import DEFAULT_MAX_CALL_DEPTH, FEATURES, Config, FuelCosts  # noqa: F401
from .limits import Limiter, StoreLimits
from .managed import Managed

class Engine(Managed):
    """Compilation settings shared by stores; Modules are compiled per Engine.

    An engine may be used from several threads at once: modules compile
    each function once (under the module's lock), whatever the number of
    instances, stores or threads. Making an engine makes its Config
    read-only.

    The engine's *epoch* is a counter that :meth:`increment_epoch` advances
    (from any thread); with ``Config.epoch_interruption`` Wasm code running
    in a store traps with ``TrapCode.INTERRUPT`` once the epoch reaches the
    store's deadline (:meth:`Store.set_epoch_deadline`).
    """

    def __init__(self, config: Optional[Config] = None):
        if config is not None and not isinstance(config, Config):
            raise UsageError("Engine expects a Config")
        self.config = config if config is not None else Config()
        self.config._freeze()
        # read by generated code of every store of this engine (a closure
        # cell: see compile/epoch); written under the lock
        self._epoch = types.CellType(0)
        self._epoch_lock = threading.Lock()

    def increment_epoch(self) -> None:
        """Advance the epoch by one (safe from any thread, also while Wasm
        runs: the running code sees it at its next function entry or loop
        iteration)."""
        with self._epoch_lock:
            self._epoch.cell_contents += 1

    def is_pulley(self) -> bool:
        """Whether code runs on wasmtime's portable interpreter: never here
        (it runs as generated Python)."""
        return False

    def __repr__(self) -> str:
        return f"Engine({self.config!r})"


class Store(Managed):
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
        self._data = data
        # the fuel left, in a closure cell that generated code of every
        # instance in this store reads and writes directly (see compile/fuel)
        self._fuel = types.CellType(0)
        # the epoch at which code traps (absolute; 0 at first, so code traps
        # at once until a deadline is set, as in wasmtime)
        self._epoch_deadline = types.CellType(0)
        self._limiter = Limiter(limits)

    def data(self) -> Any:
        """The ``data`` the store was made with."""
        return self._data

    def gc(self) -> None:
        """Collect garbage references: nothing to do here, Python's own
        collector frees what Wasm and the host no longer reference."""

    # -- epochs -------------------------------------------------------------

    def set_epoch_deadline(self, ticks_after_current: int) -> None:
        """Trap Wasm code of this store once the engine's epoch has
        advanced ``ticks_after_current`` more times (only with
        ``Config.epoch_interruption``; otherwise the deadline is kept and
        has no effect)."""
        if isinstance(ticks_after_current, bool) or not isinstance(ticks_after_current, int) \
                or ticks_after_current < 0:
            raise UsageError(f"the epoch deadline is a non-negative int, got {ticks_after_current!r}")
        self._epoch_deadline.cell_contents = self.engine._epoch.cell_contents + ticks_after_current

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

    def set_limits(self, memory_size: Any = -1, table_elements: Optional[int] = -1,
                   instances: Optional[int] = -1, tables: Optional[int] = -1,
                   memories: Optional[int] = -1, *, limits: Optional[StoreLimits] = None,
                   **more: Optional[int]) -> None:
        """Replace the store's caps: ``set_limits(StoreLimits(...))`` or
        ``set_limits(memory_size=..., table_elements=..., instances=...,
        tables=..., memories=..., array_elements=..., suspended_calls=...)``
        (the first five in wasmtime-py's order when positional; a cap left
        out, None or negative is none).

        Size caps apply to existing memories and tables from now on (they
        stop growth; nothing shrinks). Count caps apply to what is created
        next, counting what the store already made.
        """
        known = {f.name for f in fields(StoreLimits)}
        unknown = sorted(set(more) - known)
        if unknown:
            raise UsageError(f"set_limits got unknown caps: {unknown}")
        caps = {"table_elements": table_elements, "instances": instances, "tables": tables,
                "memories": memories, **more}
        if isinstance(memory_size, StoreLimits):
            limits, memory_size = memory_size, -1
        if limits is not None:
            if not isinstance(limits, StoreLimits) or memory_size != -1 \
                    or any(v != -1 for v in caps.values()):
                raise UsageError("set_limits takes a StoreLimits or caps, not both")
        else:
            caps["memory_size"] = memory_size
            for name, value in caps.items():
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise UsageError(f"{name} must be an int or None, got {value!r}")
            limits = StoreLimits(**{k: (v if v is not None and v >= 0 else None)
                                    for k, v in caps.items()})
        self._limiter.set_limits(limits, self.engine.config)

    def __repr__(self) -> str:
        return f"<Store {self.engine!r}>"
