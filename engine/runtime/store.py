"""Engine, Config and Store."""

from __future__ import annotations

from typing import Any, Optional

from ..errors import UsageError
from . import values as V

#: Proposal names accepted by ``Config(features=...)``.
FEATURES = (
    "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "relaxed-simd",
    "tail-call", "extended-const", "multi-memory", "memory64", "function-references",
    "gc", "exception-handling", "threads", "wide-arithmetic", "custom-page-sizes",
)


class Config:
    """Engine settings.

    ``max_call_depth``: the deepest Wasm call nesting before a call traps
    with ``TrapCode.STACK_OVERFLOW`` (default 10,000).
    ``max_memory_bytes`` / ``max_table_elements``: the largest memory and
    table this engine will allocate; growth beyond fails as the spec allows
    (``memory.grow`` returns -1).
    ``features``: the proposals to enable (default: all).
    """

    def __init__(self, *, max_call_depth: int = 10_000,
                 max_memory_bytes: int = V.DEFAULT_MAX_MEMORY_BYTES,
                 max_table_elements: int = V.DEFAULT_MAX_TABLE_ELEMENTS,
                 features: Optional[set[str]] = None):
        if max_call_depth < 1:
            raise UsageError("max_call_depth must be positive")
        self.max_call_depth = max_call_depth
        self.max_memory_bytes = max_memory_bytes
        self.max_table_elements = max_table_elements
        unknown = set(features or ()) - set(FEATURES)
        if unknown:
            raise UsageError(f"unknown features: {sorted(unknown)}")
        self.features = frozenset(FEATURES if features is None else features)

    def __repr__(self) -> str:
        return f"Config(max_call_depth={self.max_call_depth})"


class Engine:
    """Compilation settings shared by stores; Modules are compiled per Engine."""

    def __init__(self, config: Optional[Config] = None):
        self.config = config if config is not None else Config()


class Store:
    """Owns the runtime objects made while running; ``data`` is free for the host."""

    def __init__(self, engine: Optional[Engine] = None, data: Any = None):
        self.engine = engine if engine is not None else Engine()
        self.data = data
