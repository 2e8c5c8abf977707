"""What an adapter reports when something other than a normal result happens.

Adapters raise exactly one of these; the runner compares its class with the
outcome the script expects. The classes mirror the outcomes the spec tells
apart (malformed, invalid, unlinkable, uninstantiable, trap, exhaustion,
exception), plus the harness's own cases (unsupported: skip; not implemented).
"""

from __future__ import annotations

__all__ = [
    "Outcome", "Malformed", "Invalid", "Rejected", "Unlinkable",
    "InstantiationFailed", "Trapped", "Exhausted", "Thrown", "Suspended", "Unsupported",
    "NotImplementedYet", "UnknownExport", "outcome_name",
]


class Outcome(Exception):
    """Base class: an adapter's report of a non-normal result."""

    #: the outcome's name in messages ("malformed", "trap", ...)
    kind = "outcome"

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message

    def describe(self) -> str:
        """``kind`` followed by the engine's message, on one line."""
        text = " ".join(self.message.split())
        if len(text) > 200:
            text = text[:197] + "..."
        return f"{self.kind} ({text})" if text else self.kind


class Malformed(Outcome):
    """The module failed to decode (or its text failed to parse)."""

    kind = "malformed"


class Invalid(Outcome):
    """The module decoded but failed validation."""

    kind = "invalid"


class Rejected(Outcome):
    """The module was rejected by an engine that does not say whether it was
    malformed or invalid (it matches either expectation)."""

    kind = "rejected"


class Unlinkable(Outcome):
    """Instantiation failed while resolving imports."""

    kind = "unlinkable"


class InstantiationFailed(Outcome):
    """Instantiation failed for a reason other than linking or a trap."""

    kind = "instantiation error"


class Trapped(Outcome):
    """Execution trapped (at run time or in a start function or segment)."""

    kind = "trap"


class Exhausted(Outcome):
    """Execution ran out of call stack."""

    kind = "exhaustion"


class Thrown(Outcome):
    """A Wasm exception left Wasm code uncaught."""

    kind = "exception"


class Suspended(Outcome):
    """A stack-switching suspension reached the host unhandled."""

    kind = "suspension"


class Unsupported(Outcome):
    """The adapter cannot express this command; the command is skipped with
    ``reason`` (a short, stable name such as ``text-format``)."""

    kind = "unsupported"

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class UnknownExport(Outcome):
    """The instance has no export of that name and kind (a script error or a
    wrong export list: a failure)."""

    kind = "unknown export"


class NotImplementedYet(Outcome):
    """The engine does not implement what the command needs yet."""

    kind = "not implemented"


def outcome_name(exc: BaseException) -> str:
    """A one-line description of any exception an adapter let through."""
    if isinstance(exc, Outcome):
        return exc.describe()
    return f"adapter error {type(exc).__name__}: {exc}"
