"""The proposal catalogue: what each switchable proposal added to the
WebAssembly binary format and to validation.

A *feature set* names the proposals to enable (the names of
``engine.runtime.store.FEATURES``); ``None`` enables everything. The
decoder (:mod:`engine.binary.features`) and the validator
(:mod:`engine.valid.features`) both read this catalogue, so the two layers
agree on what belongs to which proposal.

Conventions:

* ``exception-handling`` enables the whole exception-handling proposal: tags,
  ``throw``, ``throw_ref``, ``try_table`` and the ``exn`` heap types, and also
  the legacy instructions (``try``, ``catch``, ``catch_all``, ``delegate``,
  ``rethrow``) that the testsuite still exercises. The extra name
  ``exception-handling-legacy`` enables tags, ``throw`` and the legacy
  instructions only, as engines that shipped the first draft of the proposal
  did.
* A proposal that builds on another (:data:`REQUIRES`) is enabled only
  with it: a set of every proposal but reference-types has neither typed
  function references nor GC nor exception handling. (The legacy exception
  instructions do not build on reference types: a set naming
  exception-handling keeps them.)
* ``custom-descriptors`` (built on gc) adds exact reference types,
  ``describes``/``descriptor`` clauses, exact function imports and the
  descriptor instructions, and relaxes the rule of ``br_on_cast`` and
  ``br_on_cast_fail``: their two types need a common supertype, no longer
  ``rt2 <: rt1``. Wasm 3.0's own tests assert the older rule, so the
  testsuite runs the gc scripts with this proposal off.
* ``shared-everything-threads`` (built on threads and gc) adds shared
  composite types, shared abstract heap types (``0x65 ht``), shared globals
  (bit 1 of the mutability byte) and tables (bit 1 of the limits flags),
  ``pause``, ``ref.i31_shared`` and the atomic accesses to globals, tables,
  structs and arrays.
* ``rounding-mode-control`` adds the float instructions with an explicit
  rounding direction (``f32.add_ceil`` ...: prefix 0xFC, subopcodes
  0x80-0xBB).
* Extensions beyond the listed proposals that the engine also implements
  (compact import sections) are not switchable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Optional

from ..errors import UsageError
from ..syntax.opcodes import DECODE, ROUNDING_FIRST, Op
from ..syntax.types import FUNCREF, AbsHeapType, RefType, VecType

MUTABLE_GLOBAL = "mutable-global"
SIGN_EXTENSION = "sign-extension-ops"
SAT_CONVERSIONS = "nontrapping-float-to-int-conversions"
MULTI_VALUE = "multi-value"
BULK_MEMORY = "bulk-memory-operations"
REFERENCE_TYPES = "reference-types"
SIMD = "simd"
RELAXED_SIMD = "relaxed-simd"
TAIL_CALL = "tail-call"
EXTENDED_CONST = "extended-const"
MULTI_MEMORY = "multi-memory"
MEMORY64 = "memory64"
FUNCTION_REFERENCES = "function-references"
GC = "gc"
EXCEPTIONS = "exception-handling"
THREADS = "threads"
WIDE_ARITHMETIC = "wide-arithmetic"
CUSTOM_PAGE_SIZES = "custom-page-sizes"
CUSTOM_DESCRIPTORS = "custom-descriptors"
LEGACY_EXCEPTIONS = "exception-handling-legacy"
SHARED_EVERYTHING = "shared-everything-threads"
ROUNDING = "rounding-mode-control"

#: The switchable proposals, in the order of ``engine.runtime.store.FEATURES``.
PROPOSALS: tuple[str, ...] = (
    MUTABLE_GLOBAL, SIGN_EXTENSION, SAT_CONVERSIONS, MULTI_VALUE, BULK_MEMORY,
    REFERENCE_TYPES, SIMD, RELAXED_SIMD, TAIL_CALL, EXTENDED_CONST, MULTI_MEMORY,
    MEMORY64, FUNCTION_REFERENCES, GC, EXCEPTIONS, THREADS, WIDE_ARITHMETIC,
    CUSTOM_PAGE_SIZES, CUSTOM_DESCRIPTORS, SHARED_EVERYTHING, ROUNDING,
)

#: Every name a feature set may hold.
KNOWN: frozenset[str] = frozenset(PROPOSALS) | {LEGACY_EXCEPTIONS}

#: proposal -> the proposals it builds on.
REQUIRES: dict[str, tuple[str, ...]] = {
    RELAXED_SIMD: (SIMD,),
    REFERENCE_TYPES: (BULK_MEMORY,),
    FUNCTION_REFERENCES: (REFERENCE_TYPES,),
    GC: (FUNCTION_REFERENCES,),
    EXCEPTIONS: (REFERENCE_TYPES,),
    CUSTOM_DESCRIPTORS: (GC,),
    SHARED_EVERYTHING: (THREADS, GC),
}


def cached_rules(features: Optional[Iterable[str]], cache: dict, full, build):
    """The rules one layer derives from a feature set: ``full`` when every
    proposal is enabled, else ``build(normalised set)``. ``cache`` maps
    frozenset arguments (a Config's feature set) to their rules, so the
    common case costs one dictionary lookup."""
    if features is None:
        return full
    try:
        return cache[features]
    except (KeyError, TypeError):
        pass
    enabled = normalise(features)
    rules = full if enabled is None else build(enabled)
    if type(features) is frozenset and len(cache) < 256:
        cache[features] = rules
    return rules


def normalise(features: Optional[Iterable[str]]) -> Optional[frozenset[str]]:
    """The effective feature set, or None when everything is enabled.

    A set holding every proposal of :data:`PROPOSALS` is "everything" (so
    ``Config()``'s default set costs nothing). A proposal named without one
    it builds on is left out. Raises :class:`~engine.errors.UsageError` for
    unknown names and for a string instead of a collection of names.
    """
    if features is None:
        return None
    if isinstance(features, (str, bytes)):
        raise UsageError("features is a collection of proposal names, not a string")
    try:
        names = frozenset(features)
    except TypeError:
        raise UsageError(
            f"features is a collection of proposal names, not {type(features).__name__}"
        ) from None
    return _normalise(names)


@functools.lru_cache(maxsize=64)
def _normalise(names: frozenset) -> Optional[frozenset[str]]:
    unknown = sorted(repr(n) for n in names if n not in KNOWN)
    if unknown:
        raise UsageError(f"unknown features: {', '.join(unknown)}")
    if names.issuperset(PROPOSALS):
        return None
    enabled = set(names)
    if EXCEPTIONS in enabled:
        enabled.add(LEGACY_EXCEPTIONS)
    # PROPOSALS lists every base before the proposals built on it.
    for name in PROPOSALS:
        if name in enabled and not all(base in enabled for base in REQUIRES.get(name, ())):
            enabled.discard(name)
    return frozenset(enabled)


# --- encodings ------------------------------------------------------------------

#: Section ids that a proposal introduced: the proposal and the section's name.
SECTION_NEEDS: dict[int, tuple[str, str]] = {
    12: (BULK_MEMORY, "the data count section"),
    13: (EXCEPTIONS, "the tag section"),
}
#: Element segment flags (beyond 0) by the proposal that introduced them:
#: bulk memory the passive, explicitly indexed and expression forms,
#: reference types the declarative ones.
ELEM_FLAG_NEEDS: dict[int, str] = {1: BULK_MEMORY, 2: BULK_MEMORY, 3: REFERENCE_TYPES,
                                   4: BULK_MEMORY, 5: BULK_MEMORY, 6: BULK_MEMORY,
                                   7: REFERENCE_TYPES}
#: The instructions an element segment's expressions may use with bulk
#: memory alone (its element expressions predate reference types).
ELEM_EXPR_OPS: frozenset[Op] = frozenset({Op.REF_NULL, Op.REF_FUNC})
#: Data segment flags (beyond 0) by the proposal that introduced them.
DATA_FLAG_NEEDS: dict[int, str] = {1: BULK_MEMORY, 2: BULK_MEMORY}
#: Limits flag bits by the proposal that introduced them.
LIMITS_FLAG_NEEDS: dict[int, str] = {2: THREADS, 4: MEMORY64, 8: CUSTOM_PAGE_SIZES}


# --- instructions ------------------------------------------------------------------

#: One-byte opcodes that are not Wasm 1.0 (MVP) instructions: the proposals
#: each needs, all of them.
_ONE_BYTE: dict[int, tuple[str, ...]] = {
    0x06: (LEGACY_EXCEPTIONS,),  # try
    0x07: (LEGACY_EXCEPTIONS,),  # catch
    0x08: (LEGACY_EXCEPTIONS,),  # throw
    0x09: (LEGACY_EXCEPTIONS,),  # rethrow
    0x0A: (EXCEPTIONS,),  # throw_ref
    0x12: (TAIL_CALL,),  # return_call
    0x13: (TAIL_CALL,),  # return_call_indirect
    0x14: (FUNCTION_REFERENCES,),  # call_ref
    0x15: (FUNCTION_REFERENCES, TAIL_CALL),  # return_call_ref
    0x18: (LEGACY_EXCEPTIONS,),  # delegate
    0x19: (LEGACY_EXCEPTIONS,),  # catch_all
    0x1C: (REFERENCE_TYPES,),  # select t*
    0x1F: (EXCEPTIONS,),  # try_table
    0x25: (REFERENCE_TYPES,),  # table.get
    0x26: (REFERENCE_TYPES,),  # table.set
    **{code: (SIGN_EXTENSION,) for code in range(0xC0, 0xC5)},
    0xD0: (REFERENCE_TYPES,),  # ref.null
    0xD1: (REFERENCE_TYPES,),  # ref.is_null
    0xD2: (REFERENCE_TYPES,),  # ref.func
    0xD3: (GC,),  # ref.eq
    0xD4: (FUNCTION_REFERENCES,),  # ref.as_non_null
    0xD5: (FUNCTION_REFERENCES,),  # br_on_null
    0xD6: (FUNCTION_REFERENCES,),  # br_on_non_null
}


#: The 0xFB subopcodes of the custom-descriptors instructions.
_DESCRIPTOR_CODES = range(32, 39)


#: The 0xFE subopcodes of the shared-everything-threads instructions: pause,
#: the atomic accesses to globals, tables, structs and arrays, and the
#: ref.i31_shared encoding of wasm-tools.
_SHARED_EVERYTHING_CODES = frozenset({0x04, *range(0x4F, 0x73)})
#: ref.i31_shared as the overview encodes it.
_REF_I31_SHARED = 0x1F


def _prefixed(prefix: int, code: int) -> tuple[str, ...]:
    if prefix == 0xFB:
        if code == _REF_I31_SHARED:
            return (GC, SHARED_EVERYTHING)
        # struct.new_desc .. br_on_cast_desc_eq_fail are custom descriptors'
        return (GC, CUSTOM_DESCRIPTORS) if code in _DESCRIPTOR_CODES else (GC,)
    if prefix == 0xFC:
        if code <= 7:
            return (SAT_CONVERSIONS,)
        if code <= 14:
            return (BULK_MEMORY,)
        if code <= 17:
            return (REFERENCE_TYPES,)  # table.grow, table.size, table.fill
        if code >= ROUNDING_FIRST:
            return (ROUNDING,)
        return (WIDE_ARITHMETIC,)
    if prefix == 0xFD:
        return (SIMD,) if code < 0x100 else (RELAXED_SIMD,)
    if code in _SHARED_EVERYTHING_CODES:
        return (THREADS, SHARED_EVERYTHING)
    return (THREADS,)


def _build_code_owners() -> dict[tuple, tuple[str, ...]]:
    owners = {}
    for key in DECODE:
        prefix, code = key
        if prefix is None:
            needs = _ONE_BYTE.get(code)
            if needs:
                owners[key] = needs
        else:
            owners[key] = _prefixed(prefix, code)
    return owners


#: (prefix or None, opcode) -> the proposals an instruction needs; Wasm 1.0
#: instructions are absent.
CODE_NEEDS: dict[tuple, tuple[str, ...]] = _build_code_owners()

#: The same, by :class:`~engine.syntax.opcodes.Op`.
OP_NEEDS: dict[Op, tuple[str, ...]] = {DECODE[key][0]: needs for key, needs in CODE_NEEDS.items()}


def missing(needs: tuple[str, ...], enabled: frozenset[str]) -> Optional[str]:
    """The first of ``needs`` that ``enabled`` lacks, or None."""
    for name in needs:
        if name not in enabled:
            return name
    return None


# --- types ---------------------------------------------------------------------

_GC_HEAPS = frozenset({
    AbsHeapType.ANY, AbsHeapType.EQ, AbsHeapType.I31, AbsHeapType.STRUCT,
    AbsHeapType.ARRAY, AbsHeapType.NONE, AbsHeapType.NOFUNC, AbsHeapType.NOEXTERN,
})
_EXN_HEAPS = frozenset({AbsHeapType.EXN, AbsHeapType.NOEXN})


def needs_message(base: str, proposal: Optional[str], what: str) -> str:
    """``base``, saying which proposal ``what`` needs when one does."""
    return base if proposal is None else f"{base}: {what} requires {proposal}"


def type_name(t: object) -> str:
    """A type as the text format writes it, shorthands preferred."""
    if type(t) is int:
        return f"type index {t}"
    if type(t) is RefType and t.nullable and not t.exact and type(t.heap) is AbsHeapType:
        heap = t.heap.name.lower()
        return {"none": "nullref", "nofunc": "nullfuncref", "noextern": "nullexternref",
                "noexn": "nullexnref"}.get(heap, heap + "ref")
    return str(t)


def heap_missing(h: object, enabled: frozenset[str]) -> Optional[str]:
    """The disabled proposal a heap type needs, or None."""
    if type(h) is AbsHeapType:
        if h.shared:
            if SHARED_EVERYTHING not in enabled:
                return SHARED_EVERYTHING
            h = h.unshared
        if h in _GC_HEAPS:
            return None if GC in enabled else GC
        if h in _EXN_HEAPS:
            return None if EXCEPTIONS in enabled else EXCEPTIONS
        return None
    # A type index (or, after validation, a defined type).
    return None if FUNCTION_REFERENCES in enabled else FUNCTION_REFERENCES


def ref_missing(rt: RefType, enabled: frozenset[str]) -> Optional[str]:
    """The disabled proposal a reference type needs beyond reference-types
    (``funcref`` itself is a Wasm 1.0 table element type), or None."""
    need = heap_missing(rt.heap, enabled)
    if need is not None:
        return need
    if not rt.nullable and FUNCTION_REFERENCES not in enabled:
        return FUNCTION_REFERENCES
    if rt.exact:
        return missing((GC, CUSTOM_DESCRIPTORS), enabled)
    return None


def val_missing(t: object, enabled: frozenset[str]) -> Optional[str]:
    """The disabled proposal a value type needs, or None."""
    if type(t) is VecType:
        return None if SIMD in enabled else SIMD
    if type(t) is RefType:
        if REFERENCE_TYPES not in enabled:
            return REFERENCE_TYPES
        return ref_missing(t, enabled)
    return None


def table_elem_missing(rt: RefType, enabled: frozenset[str]) -> Optional[str]:
    """The disabled proposal a table's element type needs, or None:
    Wasm 1.0 tables hold ``funcref`` only."""
    if REFERENCE_TYPES not in enabled:
        return None if rt == FUNCREF else REFERENCE_TYPES
    return ref_missing(rt, enabled)

