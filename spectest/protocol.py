"""The process protocol's messages: values and outcomes as JSON, both ways.

The protocol itself is documented in ``spectest/PROTOCOL.md``; this module
is the one place that turns harness values and outcomes into its JSON and
back, for the process adapter (harness side) and the reference driver of
this project's engine (driver side). Reading is strict: anything that is not
exactly a documented form raises :class:`ProtocolError`, which the harness
counts as a failure of the command (a driver that answers garbage is a
broken engine, not a pass).
"""

from __future__ import annotations

from typing import Any

from .outcomes import (Exhausted, InstantiationFailed, Invalid, Malformed, Outcome, Rejected,
                       Suspended, Thrown, Trapped, UnknownExport, Unlinkable, Unsupported)
from .values import NULL, Num, Ref, RefKind, Value, Vec

__all__ = ["PROTOCOL_VERSION", "ProtocolError", "encode_value", "decode_value", "OUTCOMES",
           "outcome_of", "outcome_name_of"]

#: the version this harness speaks (``hello`` must answer it)
PROTOCOL_VERSION = 1

_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}
_REF_KINDS = {k.value: k for k in RefKind}

#: outcome name -> the harness's outcome class (``returned`` is no outcome)
OUTCOMES: dict[str, type[Outcome]] = {
    "trapped": Trapped,
    "exhausted": Exhausted,
    "malformed": Malformed,
    "invalid": Invalid,
    "rejected": Rejected,
    "unlinkable": Unlinkable,
    "uninstantiable": InstantiationFailed,
    "exception": Thrown,
    "suspended": Suspended,
    "unknown-export": UnknownExport,
}


class ProtocolError(Exception):
    """A message that does not follow the protocol."""


def encode_value(value: Value) -> dict[str, Any]:
    """A harness value as a protocol value."""
    if isinstance(value, Num):
        return {"type": value.type, "bits": str(value.bits)}
    if isinstance(value, Vec):
        return {"type": "v128", "bits": str(value.bits)}
    if isinstance(value, Ref):
        out: dict[str, Any] = {"type": "ref", "kind": value.kind.value}
        if value.host is not None:
            out["host"] = value.host
        return out
    raise ProtocolError(f"cannot encode {value!r}")


def decode_value(obj: Any) -> Value:
    """A protocol value as a harness value (strict)."""
    if not isinstance(obj, dict):
        raise ProtocolError(f"a value must be an object, got {obj!r:.100}")
    vtype = obj.get("type")
    if vtype in _WIDTH:
        bits = obj.get("bits")
        if not isinstance(bits, str) or not bits.isdigit():
            raise ProtocolError(f"{vtype} bits must be a decimal string, got {bits!r:.100}")
        n = int(bits)
        if n >> _WIDTH[vtype]:
            raise ProtocolError(f"{vtype} bits out of range: {bits}")
        return Vec(n) if vtype == "v128" else Num(vtype, n)
    if vtype == "ref":
        kind = _REF_KINDS.get(str(obj.get("kind")))
        if kind is None:
            raise ProtocolError(f"unknown reference kind {obj.get('kind')!r:.50}")
        host = obj.get("host")
        if host is not None and (not isinstance(host, int) or isinstance(host, bool)):
            raise ProtocolError(f"host must be an integer, got {host!r:.50}")
        if kind is RefKind.NULL:
            if host is not None:
                raise ProtocolError("a null reference has no host value")
            return NULL
        return Ref(kind, host)
    raise ProtocolError(f"unknown value type {vtype!r:.50}")


def outcome_of(reply: dict[str, Any]) -> Outcome:
    """The outcome exception a non-``returned`` reply stands for."""
    name = reply.get("outcome")
    message = reply.get("message", "")
    if not isinstance(message, str):
        raise ProtocolError("message must be a string")
    if name == "unsupported":
        reason = reply.get("reason")
        if not isinstance(reason, str) or not reason:
            raise ProtocolError("unsupported needs a reason")
        return Unsupported(reason, message)
    cls = OUTCOMES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ProtocolError(f"unknown outcome {name!r:.50}")
    return cls(message)


def outcome_name_of(exc: Outcome) -> str:
    """The protocol name of a harness outcome (driver side)."""
    if isinstance(exc, Unsupported):
        return "unsupported"
    for name, cls in OUTCOMES.items():
        if type(exc) is cls:
            return name
    raise ProtocolError(f"no protocol outcome for {type(exc).__name__}")
