"""Store resource limits: how much one store may allocate.

:class:`StoreLimits` caps the size of each linear memory (in bytes) and of
each table (in elements), and how many instances, memories and tables a
store may create. The caps follow the specification's room for failure:

* ``memory.grow`` / ``table.grow`` (from Wasm or through the API) past a cap
  fail the way the spec lets any growth fail: Wasm sees -1, the API raises
  :class:`~engine.UsageError`;
* instantiating a module whose instance, memories or tables would pass a
  cap, or whose initial memory or table is larger than a cap, fails with
  :class:`~engine.InstantiationError` before anything is allocated (link
  errors are reported first, as the spec orders them).

GC arrays have no failure value to return: allocating one with more
elements than ``array_elements`` (or the engine's own cap,
``engine.runtime.gc.MAX_ARRAY_LENGTH``) traps with
``TrapCode.OUT_OF_MEMORY``, from Wasm code (``array.new*``) and from
constant expressions at instantiation alike.

Counts are of objects *created* in the store (by instantiation or by the
host's ``Memory(store, ...)`` / ``Table(store, ...)``); they never go down,
as a store owns what it allocated for its whole life. Size caps apply to the
memories and tables already created too: lowering a cap makes growth past
it fail from then on, but never shrinks anything.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, fields
from typing import Any, Optional

from ..errors import InstantiationError, Trap, TrapCode, UsageError


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """Caps on what one store may allocate; ``None`` means no cap.

    ``memory_size``: bytes of any one linear memory (the engine's
    ``Config.max_memory_bytes`` applies as well; the lower one wins).
    ``table_elements``: elements of any one table (with
    ``Config.max_table_elements``).
    ``array_elements``: elements of any one GC array (with the engine's
    cap, 2**27); a bigger allocation traps with ``TrapCode.OUT_OF_MEMORY``.
    ``instances``, ``memories``, ``tables``: how many of each the store may
    create over its life.
    ``suspended_calls``: how many resumable calls of the store may exist at
    once (started and not finished: suspended, or running); one more traps
    with ``TrapCode.RESOURCE_EXHAUSTED`` when it starts. Each holds a thread.
    """

    memory_size: Optional[int] = None
    table_elements: Optional[int] = None
    array_elements: Optional[int] = None
    instances: Optional[int] = None
    memories: Optional[int] = None
    tables: Optional[int] = None
    suspended_calls: Optional[int] = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise UsageError(f"StoreLimits.{f.name} must be a non-negative int or None, got {v!r}")


class Limiter:
    """A store's counts and caps; consulted when something is allocated."""

    __slots__ = ("limits", "instances", "memories", "tables", "array_cap", "resumable_calls",
                 "_memory_objs", "_table_objs", "_lock")

    def __init__(self, limits: Optional[StoreLimits] = None):
        self.limits = limits if limits is not None else StoreLimits()
        #: The most elements one GC array of the store may have (the store's
        #: cap or the engine's, the lower); kept ready for every call entry.
        self.array_cap = self._array_cap()
        self.instances = 0
        self.memories = 0
        self.tables = 0
        self.resumable_calls = 0  # started and not finished
        # live memories and tables of the store, so that a new size cap
        # reaches them too (weak: the store does not keep them alive)
        self._memory_objs: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._table_objs: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._lock = threading.Lock()

    def reserve(self, *, instances: int = 0, memories: int = 0, tables: int = 0) -> None:
        """Count new objects, or raise :class:`InstantiationError` (counting
        nothing) when any count would pass its cap."""
        lim = self.limits
        with self._lock:
            for what, have, add, cap in (("instances", self.instances, instances, lim.instances),
                                         ("memories", self.memories, memories, lim.memories),
                                         ("tables", self.tables, tables, lim.tables)):
                if add and cap is not None and have + add > cap:
                    raise InstantiationError(
                        f"store limit exceeded: at most {cap} {what} (the store has {have}, "
                        f"{add} more requested)")
            self.instances += instances
            self.memories += memories
            self.tables += tables

    def begin_resumable_call(self) -> None:
        """Count a resumable call that starts, or trap with
        ``RESOURCE_EXHAUSTED`` when the store has its cap of them."""
        with self._lock:
            cap = self.limits.suspended_calls
            if cap is not None and self.resumable_calls >= cap:
                raise Trap(TrapCode.RESOURCE_EXHAUSTED,
                           f"host resources exhausted: the store's limit of {cap} suspended calls is reached")
            self.resumable_calls += 1

    def end_resumable_call(self) -> None:
        with self._lock:
            self.resumable_calls -= 1

    def memory_bytes(self, engine_cap: int) -> int:
        """The largest size in bytes one memory of this store may have."""
        cap = self.limits.memory_size
        return engine_cap if cap is None else min(engine_cap, cap)

    def table_elements(self, engine_cap: int) -> int:
        """The largest number of elements one table of this store may have."""
        cap = self.limits.table_elements
        return engine_cap if cap is None else min(engine_cap, cap)

    def _array_cap(self) -> int:
        from .gc import MAX_ARRAY_LENGTH

        cap = self.limits.array_elements
        return MAX_ARRAY_LENGTH if cap is None else min(cap, MAX_ARRAY_LENGTH)

    def track_memory(self, memory: Any) -> None:
        self._memory_objs.add(memory)

    def track_table(self, table: Any) -> None:
        self._table_objs.add(table)

    def set_limits(self, limits: StoreLimits, config: Any) -> None:
        """New caps; the size caps of live memories and tables follow."""
        self.limits = limits
        self.array_cap = self._array_cap()
        mem_cap = self.memory_bytes(config.max_memory_bytes)
        # a cap below the current size only stops growth (grow by 0 still
        # succeeds, as the size is unchanged)
        for m in list(self._memory_objs):
            m.limit_pages = max(min(m.max_pages, mem_cap >> m.page_log2), len(m.data) >> m.page_log2)
        tab_cap = self.table_elements(config.max_table_elements)
        for t in list(self._table_objs):
            t.limit = max(min(t.max, tab_cap), len(t.elems))
