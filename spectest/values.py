"""Wasm values as the harness sees them, and the result patterns of a script.

Adapters translate between these and their engine's own representation, so
everything here is engine-neutral and exact:

* numbers are kept as raw bit patterns (:class:`Num`), so comparing two
  values is comparing two integers, NaN payloads and signed zeros included;
* a v128 is one unsigned 128-bit integer, lane 0 in the low bits (:class:`Vec`);
* a reference is a :class:`Ref` of a small closed set of kinds: what a host can
  observe about a reference without looking inside it.

Patterns (:class:`NumPat`, :class:`NanPat`, :class:`VecPat`, :class:`RefPat`,
:class:`EitherPat`) follow the reference interpreter's rules for
``assert_return`` (interpreter/script/run.ml in the spec repository):

* ``nan:canonical`` matches exactly the two canonical NaNs (sign bit free,
  payload = only the quiet bit);
* ``nan:arithmetic`` matches any NaN whose quiet bit is set (exponent all ones
  and the top payload bit set), any sign;
* v128 lanes are compared lane by lane in the shape the pattern names, each
  lane being a number pattern or a NaN pattern;
* ``(ref.null)`` and every typed null pattern match any null reference (the
  reference interpreter compares nulls without their type);
* a type pattern such as ``(ref.func)`` or ``(ref.struct)`` matches any
  non-null reference of that kind; ``(ref.eq)`` matches i31, struct and array
  references; ``(ref.extern N)`` / ``(ref.host N)`` match one host reference.
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass
from typing import Iterable, Sequence, Union

__all__ = [
    "Num", "Vec", "Ref", "Foreign", "NULL", "RefKind", "Value", "Pattern", "NumPat", "NanPat",
    "VecPat", "RefPat", "EitherPat", "ValueFormatError", "LANE_SHAPES",
    "WIDTH", "parse_value", "parse_pattern", "format_value", "match_results",
    "f32_bits", "f64_bits", "bits_to_f32", "bits_to_f64", "vec_from_lanes",
    "vec_lanes",
]

#: Bit width of each number type.
WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}

#: v128 lane shapes: lane type -> (lane width in bits, number of lanes).
LANE_SHAPES = {
    "i8": (8, 16), "i16": (16, 8), "i32": (32, 4), "i64": (64, 2),
    "f32": (32, 4), "f64": (64, 2),
}

_F32_QUIET = 0x7FC00000
_F64_QUIET = 0x7FF8000000000000
_CANONICAL = {
    "f32": frozenset({_F32_QUIET, _F32_QUIET | 1 << 31}),
    "f64": frozenset({_F64_QUIET, _F64_QUIET | 1 << 63}),
}
_ARITHMETIC_MASK = {"f32": _F32_QUIET, "f64": _F64_QUIET}


class ValueFormatError(ValueError):
    """A value or pattern in a converted script that the harness cannot read."""


# --- values ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """A number value: ``type`` is i32/i64/f32/f64, ``bits`` its unsigned bit pattern."""

    type: str
    bits: int

    def __str__(self) -> str:
        return _format_num(self.type, self.bits)


@dataclass(frozen=True, slots=True)
class Vec:
    """A v128 value as an unsigned 128-bit integer (lane 0 in the low bits)."""

    bits: int

    def __str__(self) -> str:
        return format_vec(self.bits, "i32")


class RefKind(str, enum.Enum):
    """What a host can tell about a reference."""

    NULL = "null"
    FUNC = "func"
    EXTERN = "extern"   #: an extern reference; ``host`` set when it is a host value
    HOST = "host"       #: a host value seen through the any hierarchy (internalized)
    I31 = "i31"
    STRUCT = "struct"
    ARRAY = "array"
    EXN = "exn"
    ANY = "any"         #: a non-null any-hierarchy reference of no finer known kind


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference value. ``host`` numbers host values (``ref.extern N``)."""

    kind: RefKind
    host: int | None = None

    def __str__(self) -> str:
        if self.kind is RefKind.NULL:
            return "ref.null"
        if self.host is not None:
            return f"ref.{self.kind.value} {self.host}"
        return f"ref.{self.kind.value}"


@dataclass(frozen=True, slots=True)
class Foreign:
    """A result an engine returned that is not a Wasm value of the expected
    kind (say a Python str, or an int where a float was due); never matches."""

    description: str

    def __str__(self) -> str:
        return f"<{self.description}>"


Value = Union[Num, Vec, Ref, Foreign]

NULL = Ref(RefKind.NULL)


# --- bit helpers -------------------------------------------------------------


def f32_bits(x: float) -> int:
    """The f32 bit pattern of a Python float (rounded to f32; NaN payloads of
    floats that came from f32 survive, signalling ones may not)."""
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    """The exact bit pattern of a Python float."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_to_f32(bits: int) -> float:
    """The Python float nearest to an f32 bit pattern (for display only)."""
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


def bits_to_f64(bits: int) -> float:
    """The Python float with exactly these bits."""
    return struct.unpack("<d", struct.pack("<Q", bits & 0xFFFFFFFFFFFFFFFF))[0]


def vec_from_lanes(lane_type: str, lanes: Sequence[int]) -> int:
    """Pack lane bit patterns (lane 0 first) into one 128-bit integer."""
    width, count = LANE_SHAPES[lane_type]
    if len(lanes) != count:
        raise ValueFormatError(f"v128 {lane_type}x{count} needs {count} lanes, got {len(lanes)}")
    mask = (1 << width) - 1
    bits = 0
    for i, lane in enumerate(lanes):
        bits |= (lane & mask) << (i * width)
    return bits


def vec_lanes(bits: int, lane_type: str) -> list[int]:
    """Split a 128-bit integer into unsigned lane bit patterns (lane 0 first)."""
    width, count = LANE_SHAPES[lane_type]
    mask = (1 << width) - 1
    return [(bits >> (i * width)) & mask for i in range(count)]


# --- formatting --------------------------------------------------------------


def _format_float(ftype: str, bits: int) -> str:
    value = bits_to_f32(bits) if ftype == "f32" else bits_to_f64(bits)
    if math.isnan(value):
        sign = "-" if bits >> (WIDTH[ftype] - 1) else ""
        payload = bits & ((1 << (23 if ftype == "f32" else 52)) - 1)
        text = f"{sign}nan:0x{payload:x}"
    else:
        text = repr(value)
    return text


def _format_num(ntype: str, bits: int) -> str:
    digits = WIDTH[ntype] // 4
    if ntype in ("f32", "f64"):
        return f"{ntype} 0x{bits:0{digits}x} ({_format_float(ntype, bits)})"
    signed = bits - (1 << WIDTH[ntype]) if bits >> (WIDTH[ntype] - 1) else bits
    return f"{ntype} {signed} (0x{bits:0{digits}x})"


def format_vec(bits: int, lane_type: str) -> str:
    """A v128 shown in one lane shape, e.g. ``v128 i32x4 [1 2 3 4]``."""
    width, count = LANE_SHAPES[lane_type]
    lanes = vec_lanes(bits, lane_type)
    if lane_type in ("f32", "f64"):
        shown = [_format_float(lane_type, lane) for lane in lanes]
    else:
        shown = [str(lane - (1 << width) if lane >> (width - 1) else lane) for lane in lanes]
    return f"v128 {lane_type}x{count} [{' '.join(shown)}]"


def format_value(value: Value, like: "Pattern | None" = None) -> str:
    """A value for a failure message, shown in the shape of ``like`` if given."""
    if isinstance(value, Vec):
        lane_type = like.lane_type if isinstance(like, VecPat) else "i32"
        return format_vec(value.bits, lane_type)
    return str(value)


# --- patterns ----------------------------------------------------------------


class Pattern:
    """A result pattern of ``assert_return``."""

    __slots__ = ()

    #: the kind of value the pattern expects: a number type, "v128", or the
    #: reference hierarchy ("funcref", "externref", "anyref", "exnref").
    hint: str = ""

    def matches(self, value: Value) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class NumPat(Pattern):
    """An exact number: equal bit patterns."""

    type: str
    bits: int

    @property
    def hint(self) -> str:  # type: ignore[override]
        return self.type

    def matches(self, value: Value) -> bool:
        return isinstance(value, Num) and value.type == self.type and value.bits == self.bits

    def __str__(self) -> str:
        return _format_num(self.type, self.bits)


def _nan_matches(ftype: str, which: str, bits: int) -> bool:
    if which == "canonical":
        return bits in _CANONICAL[ftype]
    mask = _ARITHMETIC_MASK[ftype]
    return bits & mask == mask


@dataclass(frozen=True, slots=True)
class NanPat(Pattern):
    """``nan:canonical`` or ``nan:arithmetic`` of f32 or f64."""

    type: str
    which: str  # "canonical" | "arithmetic"

    @property
    def hint(self) -> str:  # type: ignore[override]
        return self.type

    def matches(self, value: Value) -> bool:
        return (isinstance(value, Num) and value.type == self.type
                and _nan_matches(self.type, self.which, value.bits))

    def __str__(self) -> str:
        return f"{self.type} nan:{self.which}"


#: A v128 lane pattern: an exact lane bit pattern, or a NaN kind.
LanePat = Union[int, str]


@dataclass(frozen=True, slots=True)
class VecPat(Pattern):
    """A v128 pattern in one lane shape; float lanes may be NaN patterns."""

    lane_type: str
    lanes: tuple[LanePat, ...]

    hint = "v128"

    def matches(self, value: Value) -> bool:
        if not isinstance(value, Vec):
            return False
        got = vec_lanes(value.bits, self.lane_type)
        for want, lane in zip(self.lanes, got):
            if isinstance(want, str):
                if not _nan_matches(self.lane_type, want, lane):
                    return False
            elif want != lane:
                return False
        return True

    def __str__(self) -> str:
        width, count = LANE_SHAPES[self.lane_type]
        shown = []
        for lane in self.lanes:
            if isinstance(lane, str):
                shown.append(f"nan:{lane}")
            elif self.lane_type in ("f32", "f64"):
                shown.append(_format_float(self.lane_type, lane))
            else:
                shown.append(str(lane - (1 << width) if lane >> (width - 1) else lane))
        return f"v128 {self.lane_type}x{count} [{' '.join(shown)}]"


#: Which value kinds each reference type pattern accepts.
_REF_TYPE_MATCH: dict[RefKind, frozenset[RefKind]] = {
    RefKind.FUNC: frozenset({RefKind.FUNC}),
    RefKind.EXTERN: frozenset({RefKind.EXTERN}),
    RefKind.HOST: frozenset({RefKind.HOST}),
    RefKind.I31: frozenset({RefKind.I31}),
    RefKind.STRUCT: frozenset({RefKind.STRUCT}),
    RefKind.ARRAY: frozenset({RefKind.ARRAY}),
    RefKind.EXN: frozenset({RefKind.EXN}),
    RefKind.ANY: frozenset({RefKind.I31, RefKind.STRUCT, RefKind.ARRAY, RefKind.HOST, RefKind.ANY}),
}
_EQ_KINDS = frozenset({RefKind.I31, RefKind.STRUCT, RefKind.ARRAY})

#: The reference hierarchy of each pattern kind (the adapter's type hint).
_HIERARCHY = {
    RefKind.NULL: "anyref", RefKind.FUNC: "funcref", RefKind.EXTERN: "externref",
    RefKind.HOST: "anyref", RefKind.I31: "anyref", RefKind.STRUCT: "anyref",
    RefKind.ARRAY: "anyref", RefKind.EXN: "exnref", RefKind.ANY: "anyref",
}


@dataclass(frozen=True, slots=True)
class RefPat(Pattern):
    """A reference pattern.

    ``kind`` NULL matches any null. Otherwise the value must be non-null and
    of the kind (``eq`` is expressed by ``eq=True`` on kind ANY); ``host``
    additionally pins one host value. ``hierarchy`` is the pattern's type
    family, used as the adapter's hint for interpreting untyped results.
    """

    kind: RefKind
    host: int | None = None
    eq: bool = False
    hierarchy: str = ""

    @property
    def hint(self) -> str:  # type: ignore[override]
        return self.hierarchy or _HIERARCHY[self.kind]

    def matches(self, value: Value) -> bool:
        if not isinstance(value, Ref):
            return False
        if self.kind is RefKind.NULL:
            return value.kind is RefKind.NULL
        if self.eq:
            return value.kind in _EQ_KINDS
        if value.kind not in _REF_TYPE_MATCH[self.kind]:
            return False
        return self.host is None or value.host == self.host

    def __str__(self) -> str:
        if self.kind is RefKind.NULL:
            return f"ref.null {self.hierarchy}".rstrip()
        if self.eq:
            return "ref.eq"
        if self.host is not None:
            return f"ref.{self.kind.value} {self.host}"
        return f"ref.{self.kind.value}"


@dataclass(frozen=True, slots=True)
class EitherPat(Pattern):
    """``(either p1 p2 ...)``: the value matches one of the alternatives."""

    alternatives: tuple[Pattern, ...]

    @property
    def hint(self) -> str:  # type: ignore[override]
        return self.alternatives[0].hint if self.alternatives else ""

    def matches(self, value: Value) -> bool:
        return any(p.matches(value) for p in self.alternatives)

    def __str__(self) -> str:
        return "either(" + " | ".join(str(p) for p in self.alternatives) + ")"


def match_results(expected: Sequence[Pattern], got: Sequence[Value]) -> str | None:
    """None if ``got`` matches ``expected``; else a message naming the difference."""
    if len(expected) != len(got):
        return (f"expected {len(expected)} result(s) [{', '.join(map(str, expected))}], "
                f"got {len(got)} [{', '.join(format_value(v) for v in got)}]")
    for i, (pattern, value) in enumerate(zip(expected, got)):
        if not pattern.matches(value):
            like = pattern.alternatives[0] if isinstance(pattern, EitherPat) and pattern.alternatives else pattern
            where = f"result {i}: " if len(expected) > 1 else ""
            return f"{where}expected {pattern}, got {format_value(value, like)}"
    return None


# --- reading values and patterns from converted scripts ----------------------

_REF_ARG_TYPES = {
    # JSON type -> the kind of a non-null argument with a number (host value)
    "externref": RefKind.EXTERN,
    "anyref": RefKind.HOST,
}

#: JSON value types that denote only a null reference when they carry no value
#: (wasm-tools writes e.g. {"type": "nullref"} for ``(ref.null none)``).
_NULL_TYPES = {
    "refnull": "", "nullref": "anyref", "nullfuncref": "funcref",
    "nullexternref": "externref", "nullexnref": "exnref",
}

#: Reference pattern types written without a value: any non-null reference
#: of the kind.
_TYPE_ONLY = {
    "funcref": (RefKind.FUNC, False, "funcref"),
    "externref": (RefKind.EXTERN, False, "externref"),
    "anyref": (RefKind.ANY, False, "anyref"),
    "eqref": (RefKind.ANY, True, "anyref"),
    "i31ref": (RefKind.I31, False, "anyref"),
    # wasm-tools writes ``(ref.i31_shared)`` (shared-everything-threads) so
    "i31refshared": (RefKind.I31, False, "anyref"),
    "structref": (RefKind.STRUCT, False, "anyref"),
    "arrayref": (RefKind.ARRAY, False, "anyref"),
    "exnref": (RefKind.EXN, False, "exnref"),
}

_HIERARCHY_OF_TYPE = {
    "funcref": "funcref", "externref": "externref", "anyref": "anyref",
    "eqref": "anyref", "i31ref": "anyref", "structref": "anyref",
    "arrayref": "anyref", "exnref": "exnref",
}


def _int(text: object, what: str) -> int:
    if not isinstance(text, str):
        raise ValueFormatError(f"{what}: expected a number string, got {text!r}")
    try:
        return int(text, 10)
    except ValueError:
        raise ValueFormatError(f"{what}: not a number: {text!r}") from None


def _num_bits(ntype: str, text: object) -> int:
    value = _int(text, ntype)
    width = WIDTH[ntype]
    if not -(1 << (width - 1)) <= value < (1 << width):
        raise ValueFormatError(f"{ntype} value out of range: {text}")
    return value & ((1 << width) - 1)


def _lanes(lane_type: object, raw: object) -> tuple[str, list[object]]:
    if lane_type not in LANE_SHAPES:
        raise ValueFormatError(f"unknown v128 lane type {lane_type!r}")
    if not isinstance(raw, list):
        raise ValueFormatError(f"v128 lanes must be a list, got {raw!r}")
    count = LANE_SHAPES[lane_type][1]
    if len(raw) != count:
        raise ValueFormatError(f"v128 {lane_type}x{count} needs {count} lanes, got {len(raw)}")
    return lane_type, raw  # type: ignore[return-value]


def parse_value(obj: dict) -> Value:
    """An argument value from a converted script (either JSON dialect)."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise ValueFormatError(f"malformed value {obj!r}")
    vtype = obj["type"]
    raw = obj.get("value")
    if vtype in WIDTH:
        return Num(vtype, _num_bits(vtype, raw))
    if vtype == "v128":
        lane_type, lanes = _lanes(obj.get("lane_type"), raw)
        width = LANE_SHAPES[lane_type][0]
        bits_type = {8: "i8", 16: "i16", 32: "i32", 64: "i64"}[width]
        lane_bits = [_lane_num(bits_type, lane) for lane in lanes]
        return Vec(vec_from_lanes(lane_type, lane_bits))
    if vtype in _NULL_TYPES and raw in (None, "null"):
        return NULL
    if raw == "null" and vtype in _HIERARCHY_OF_TYPE:
        return NULL
    if vtype in _REF_ARG_TYPES and raw is not None:
        return Ref(_REF_ARG_TYPES[vtype], _int(raw, vtype))
    if vtype == "funcref" and raw is not None:
        # a function by index (wast2json: a number; wasm-tools: {"index": N}):
        # a non-null function reference that no host can name, so adapters
        # refuse to pass it (a skipped command, never a guessed value)
        _func_index(raw)
        return Ref(RefKind.FUNC)
    raise ValueFormatError(f"unsupported argument value {obj!r}")


def _func_index(raw: object) -> int:
    """The function index of a funcref value in either converter's form."""
    if isinstance(raw, dict):
        index = raw.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return index
        raise ValueFormatError(f"funcref: unreadable function reference {raw!r}")
    return _int(raw, "funcref")


def _lane_num(bits_type: str, text: object) -> int:
    width = {"i8": 8, "i16": 16, "i32": 32, "i64": 64}[bits_type]
    value = _int(text, "v128 lane")
    if not -(1 << (width - 1)) <= value < (1 << width):
        raise ValueFormatError(f"v128 lane value out of range: {text}")
    return value & ((1 << width) - 1)


def _float_or_nan(ftype: str, text: object) -> NumPat | NanPat:
    if text in ("nan:canonical", "nan:arithmetic"):
        return NanPat(ftype, text[4:])  # type: ignore[index]
    return NumPat(ftype, _num_bits(ftype, text))


def parse_pattern(obj: dict) -> Pattern:
    """A result pattern from a converted script (either JSON dialect)."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise ValueFormatError(f"malformed result pattern {obj!r}")
    vtype = obj["type"]
    raw = obj.get("value")
    if vtype in ("i32", "i64"):
        return NumPat(vtype, _num_bits(vtype, raw))
    if vtype in ("f32", "f64"):
        return _float_or_nan(vtype, raw)
    if vtype == "v128":
        lane_type, lanes = _lanes(obj.get("lane_type"), raw)
        width = LANE_SHAPES[lane_type][0]
        pats: list[LanePat] = []
        for lane in lanes:
            if lane_type in ("f32", "f64") and lane in ("nan:canonical", "nan:arithmetic"):
                pats.append(lane[4:])  # type: ignore[index]
            else:
                pats.append(_lane_num({8: "i8", 16: "i16", 32: "i32", 64: "i64"}[width], lane))
        return VecPat(lane_type, tuple(pats))
    if vtype == "either":
        alts = obj.get("values")
        if not isinstance(alts, list) or not alts:
            raise ValueFormatError(f"either without alternatives: {obj!r}")
        return EitherPat(tuple(parse_pattern(a) for a in alts))
    if vtype in _NULL_TYPES and raw in (None, "null"):
        return RefPat(RefKind.NULL, hierarchy=_NULL_TYPES[vtype])
    if vtype in _HIERARCHY_OF_TYPE and raw == "null":
        return RefPat(RefKind.NULL, hierarchy=_HIERARCHY_OF_TYPE[vtype])
    if vtype in _TYPE_ONLY and raw is None:
        kind, eq, hierarchy = _TYPE_ONLY[vtype]
        return RefPat(kind, eq=eq, hierarchy=hierarchy)
    if vtype == "funcref" and raw is not None:
        # wast2json writes ``(ref.func)`` as a funcref with a number and
        # wasm-tools writes ``(ref.func N)`` as {"index": N}: any non-null
        # function reference (functions have no host-visible index).
        _func_index(raw)
        return RefPat(RefKind.FUNC, hierarchy="funcref")
    if vtype in _REF_ARG_TYPES and raw is not None:
        return RefPat(_REF_ARG_TYPES[vtype], host=_int(raw, vtype),
                      hierarchy=_HIERARCHY_OF_TYPE[vtype])
    raise ValueFormatError(f"unsupported result pattern {obj!r}")


def parse_patterns(objs: Iterable[dict]) -> tuple[Pattern, ...]:
    """Several result patterns."""
    return tuple(parse_pattern(o) for o in objs)
