"""The adapter protocol."""

from __future__ import annotations

from typing import Any, Optional, Protocol, Sequence, runtime_checkable

from ..script import ModuleSource
from ..values import Value

__all__ = ["Adapter", "Session"]


@runtime_checkable
class Session(Protocol):
    """The engine state of one script: a store, the spectest host module, the
    registered instances. Handles returned by :meth:`compile` and
    :meth:`instantiate` are opaque to the runner.

    Every method either returns normally or raises one of
    :mod:`spectest.outcomes`; anything else is counted as an adapter error.
    """

    def compile(self, source: ModuleSource) -> Any:
        """Decode and validate a module (Malformed / Invalid / Rejected /
        Unsupported("text-format") / NotImplementedYet)."""

    def instantiate(self, module: Any) -> Any:
        """Link against the spectest module and the registered instances and
        instantiate (Unlinkable / Trapped / Thrown / InstantiationFailed)."""

    def register(self, name: str, instance: Any) -> None:
        """Make every export of ``instance`` importable under module ``name``."""

    def invoke(self, instance: Any, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        """Call an exported function (Trapped / Exhausted / Thrown).

        ``hints`` are the expected result kinds (:attr:`Pattern.hint`), for
        engines whose results do not carry their type; adapters that know the
        real result types ignore them.
        """

    def get(self, instance: Any, field: str, hint: Optional[str] = None) -> Value:
        """Read an exported global."""

    def close(self) -> None:
        """Release the engine state."""


@runtime_checkable
class Adapter(Protocol):
    """A pluggable engine."""

    #: the name used on the command line and in reports
    name: str
    #: whether :meth:`Session.compile` accepts modules in the text format
    reads_text: bool
    #: whether the engine checks custom sections and annotations
    #: (``assert_*_custom``); if not, those commands are skipped
    checks_custom: bool
    #: proposals the engine does not claim to support (for the summary)
    unsupported_proposals: frozenset[str]

    def session(self) -> Session:
        """A fresh session for one script."""
