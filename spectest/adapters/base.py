"""The adapter API: what the runner calls, exactly, and nothing more.

An *adapter* is one engine made pluggable. The runner creates one adapter
object per process and asks it for one :class:`Session` per script::

    adapter = factory()                       # no arguments
    session = adapter.session(disabled)       # features off for this script
    module = session.compile(source)          # module commands, in order
    instance = session.instantiate(module)
    session.register("name", instance)
    results = session.invoke(instance, "f", args, hints)
    value = session.get(instance, "g", hint)
    child = session.thread()                  # only for thread commands, optional
    session.close()                           # always, once

Every method either returns normally or raises one of
:mod:`spectest.outcomes` (malformed, invalid, unlinkable, trapped, ...);
anything else is counted as an adapter error against the command. Handles
returned by :meth:`Session.compile` and :meth:`Session.instantiate` are
opaque to the runner: it only passes them back to the same session (or to a
child session made by :meth:`ThreadingSession.thread`).

An adapter that cannot answer command by command (an engine that only runs
whole scripts, like wabt's ``spectest-interp``) implements
:class:`ScriptAdapter` instead: the runner gives it the whole script and it
returns one result per command.

Adapters are found by name (:mod:`spectest.adapters`): the built-in ones, the
``exec:`` process adapter, and any package that declares an entry point in
the ``spectest.adapters`` group, whose value is the adapter class (or any
callable taking no arguments that returns an adapter).
"""

from __future__ import annotations

from typing import Any, Optional, Protocol, Sequence, runtime_checkable

from ..results import CommandResult
from ..script import ModuleSource, Script
from ..values import Value

__all__ = ["Adapter", "Session", "ThreadingSession", "ScriptAdapter", "claims_of",
           "version_of"]


@runtime_checkable
class Session(Protocol):
    """The engine state of one script: a store, the spectest host module, the
    registered instances."""

    def compile(self, source: ModuleSource) -> Any:
        """Decode and validate a module (Malformed / Invalid / Rejected /
        Unsupported / NotImplementedYet)."""

    def instantiate(self, module: Any) -> Any:
        """Link against the spectest module and the registered instances and
        instantiate (Unlinkable / Trapped / Thrown / InstantiationFailed)."""

    def register(self, name: str, instance: Any) -> None:
        """Make every export of ``instance`` importable under module ``name``."""

    def invoke(self, instance: Any, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        """Call an exported function (Trapped / Exhausted / Thrown /
        Suspended).

        ``hints`` are the expected result kinds (:attr:`Pattern.hint`), for
        engines whose results do not carry their type; adapters that know the
        real result types ignore them.
        """

    def get(self, instance: Any, field: str, hint: Optional[str] = None) -> Value:
        """Read an exported global."""

    def close(self) -> None:
        """Release the engine state."""


@runtime_checkable
class ThreadingSession(Session, Protocol):
    """A session that can run the script's ``thread`` commands."""

    def thread(self) -> Session:
        """A session for one thread of the script: its own registry and
        instances, in the same store, so that instances the thread shares
        (and their shared memories) are really shared. The runner calls the
        child from another Python thread, concurrently with its parent."""


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
    #: the proposals the engine claims to support (see :func:`claims_of`)
    claims: frozenset[str]

    def session(self, disabled: frozenset[str] = frozenset()) -> Session:
        """A fresh session for one script, with the ``disabled`` proposals
        switched off (``spectest/features.yaml``)."""

    def version(self) -> str:
        """The engine's name and version, for reports."""


@runtime_checkable
class ScriptAdapter(Protocol):
    """An engine that runs whole scripts (no per-command session)."""

    name: str
    reads_text: bool
    checks_custom: bool
    claims: frozenset[str]

    def run_script(self, script: Script, disabled: frozenset[str] = frozenset()
                   ) -> list[CommandResult]:
        """One result per command of ``script`` (nested thread commands
        included), in order."""

    def version(self) -> str:
        """The engine's name and version, for reports."""


def claims_of(adapter: object) -> frozenset[str]:
    """The proposals an adapter (or adapter class) claims; every known
    proposal when it does not say."""
    from ..proposals import PROPOSALS

    claims = getattr(adapter, "claims", None)
    return frozenset(claims) if claims is not None else frozenset(PROPOSALS)


def version_of(adapter: object) -> str:
    """The adapter's version string, or its name when it has none (or
    reading it fails: a report must not die on it)."""
    fn = getattr(adapter, "version", None)
    try:
        return str(fn()) if callable(fn) else str(getattr(adapter, "name", "?"))
    except Exception:  # noqa: BLE001 - a version is informative only
        return str(getattr(adapter, "name", "?"))
