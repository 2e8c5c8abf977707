"""Per-proposal feature switches of the decoder and the validator.

For every switchable proposal, modules that use it must be accepted by a
feature set holding just that proposal (and what it builds on), and
rejected without it: malformed by ``decode_module`` where the older binary
format had no such encoding, invalid by ``validate_module`` where an older
validation rule forbids it. The validator must also reject each of them,
as invalid, when given a module that was decoded with every proposal on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.binary import decode_module
from engine.binary.features import decode_rules
from engine.binary.proposals import (
    CODE_NEEDS,
    KNOWN,
    LEGACY_EXCEPTIONS,
    PROPOSALS,
    REQUIRES,
    normalise,
)
from engine.binary.sections import FULL_RULES
from engine.errors import InvalidError, MalformedError, UsageError
from engine.syntax import DECODE, Op
from engine.syntax.module import Data, Export, Global, Import, Module, SegmentMode
from engine.syntax.types import (
    FUNCREF,
    I32,
    AbsHeapType,
    ExternKind,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    RecType,
    RefType,
    SubType,
    TagType,
)
from engine.text import parse_module
from engine.valid import validate_module
from engine.valid.features import valid_rules
from tests.test_binary import code, functype, module, section, uleb, vec
from tests.watutil import wat2wasm

ALL = frozenset(PROPOSALS)


def closure(names) -> frozenset[str]:
    """``names`` and every proposal they build on."""
    out = set(names)
    todo = list(out)
    while todo:
        for base in REQUIRES.get(todo.pop(), ()):
            if base not in out:
                out.add(base)
                todo.append(base)
    return frozenset(out)


def dependants(name: str) -> frozenset[str]:
    """The proposals that build on ``name``, directly or not."""
    return frozenset(p for p in PROPOSALS if p != name and name in closure({p}))


@dataclass(frozen=True)
class Case:
    """A module using ``proposal`` (and ``also``): ``layer`` says who rejects
    it without the proposal ("decode": MalformedError, "validate":
    InvalidError), with a message starting with ``message``."""

    proposal: str
    text: str
    layer: str
    message: str
    also: tuple[str, ...] = ()
    own_reader: bool = False  # syntax newer than the external tools: the engine's text reader


    @property
    def id(self) -> str:
        return f"{self.proposal}:{self.message}"

    def binary(self) -> bytes:
        return parse_module(self.text) if self.own_reader else wat2wasm(self.text)

    def on(self) -> frozenset[str]:
        return closure({self.proposal, *self.also})

    def off(self) -> frozenset[str]:
        """Only what the module needs, without the proposal."""
        return self.on() - {self.proposal} - dependants(self.proposal)

    def all_but(self) -> frozenset[str]:
        """Every proposal but this one (and those built on it)."""
        return ALL - {self.proposal} - dependants(self.proposal)


MEMORY_INIT = """(module (memory 1) (data $d "x")
  (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))"""

CASES = [
    Case("mutable-global", '(module (import "m" "g" (global (mut i32))))',
         "validate", "mutable globals cannot be imported"),
    Case("mutable-global", '(module (global (export "g") (mut i32) (i32.const 0)))',
         "validate", "mutable globals cannot be exported"),
    Case("sign-extension-ops",
         "(module (func (param i32) (result i32) (i32.extend8_s (local.get 0))))",
         "decode", "illegal opcode c0"),
    Case("nontrapping-float-to-int-conversions",
         "(module (func (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0))))",
         "decode", "illegal opcode fc"),
    Case("multi-value", "(module (func (result i32 i32) (i32.const 0) (i32.const 0)))",
         "validate", "invalid result arity"),
    Case("multi-value", "(module (func (i32.const 1) (block (param i32) (drop))))",
         "validate", "invalid result arity"),
    Case("bulk-memory-operations",
         "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
         "decode", "illegal opcode fc"),
    Case("bulk-memory-operations", '(module (memory 1) (data "x"))',
         "decode", "malformed segment kind"),
    Case("bulk-memory-operations", '(module (table 1 funcref) (func $f) (elem func $f))',
         "decode", "malformed segment kind"),
    Case("bulk-memory-operations", MEMORY_INIT, "decode", "malformed section id"),
    Case("reference-types", "(module (func (param externref)))",
         "decode", "malformed value type"),
    Case("reference-types", "(module (table 1 externref))",
         "decode", "malformed reference type"),
    Case("reference-types", "(module (table 1 funcref) (table 1 funcref))",
         "validate", "multiple tables"),
    Case("reference-types", "(module (table 1 funcref) (func (drop (table.get (i32.const 0)))))",
         "decode", "illegal opcode 25"),
    Case("reference-types", "(module (func (drop (ref.null func))))",
         "decode", "illegal opcode d0"),
    Case("reference-types", "(module (table 1 funcref) (func (drop (table.size))))",
         "decode", "illegal opcode fc 16"),
    Case("reference-types",
         "(module (table 1 funcref) (table 1 funcref) (type $t (func))"
         " (func (call_indirect 1 (type $t) (i32.const 0))))",
         "decode", "zero byte expected"),
    Case("reference-types", "(module (func $f) (elem declare func $f))",
         "decode", "malformed segment kind"),
    Case("simd", "(module (func (param v128)))", "decode", "malformed value type"),
    Case("simd", "(module (func (drop (v128.const i64x2 0 0))))", "decode", "illegal opcode fd"),
    Case("relaxed-simd",
         "(module (func (param v128 v128) (result v128)"
         " (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))",
         "decode", "illegal opcode fd 256"),
    Case("tail-call", "(module (func (return_call 0)))", "decode", "illegal opcode 12"),
    Case("tail-call",
         "(module (type $t (func)) (func (param (ref $t)) (return_call_ref $t (local.get 0))))",
         "decode", "illegal opcode 15", also=("function-references",)),
    Case("extended-const", "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
         "validate", "constant expression required"),
    Case("extended-const", "(module (global i32 (i32.const 1)) (global i32 (global.get 0)))",
         "validate", "unknown global 0"),
    Case("multi-memory", "(module (memory 1) (memory 1))", "validate", "multiple memories"),
    Case("multi-memory", '(module (memory (import "m" "a") 1) (memory 1))',
         "validate", "multiple memories"),
    Case("multi-memory",
         "(module (memory 1) (memory 1) (func (result i32) (memory.size 1)))",
         "decode", "zero byte expected"),
    Case("memory64", "(module (memory i64 1))", "decode", "malformed limits flags"),
    Case("memory64", "(module (table i64 1 funcref))", "decode", "malformed limits flags"),
    Case("function-references", "(module (type $t (func)) (func (param (ref $t))))",
         "decode", "malformed value type"),
    Case("function-references",
         "(module (type $t (func)) (func (param (ref null $t)) (call_ref $t (local.get 0))))",
         "decode", "malformed value type"),
    Case("function-references",
         "(module (type $t (func)) (func (drop (ref.as_non_null (ref.null func)))))",
         "decode", "illegal opcode d4"),
    Case("function-references", "(module (type $t (func)) (func (drop (ref.null $t))))",
         "decode", "malformed reference type"),
    Case("function-references", "(module (table 1 funcref (ref.null func)))",
         "decode", "malformed reference type"),
    Case("gc", "(module (type (struct)))", "decode", "malformed definition type"),
    Case("gc", "(module (rec (type (func)) (type (func))))", "decode", "malformed definition type"),
    Case("gc", "(module (func (param anyref)))", "decode", "malformed value type"),
    Case("gc", "(module (func (drop (ref.i31 (i32.const 0)))))", "decode", "illegal opcode fb"),
    Case("gc", "(module (func (drop (ref.null none))))", "decode", "malformed reference type"),
    Case("exception-handling", "(module (tag $t))", "decode", "malformed section id"),
    Case("exception-handling", '(module (import "m" "t" (tag)))', "decode", "malformed import kind"),
    Case("exception-handling", "(module (func (param exnref)))", "decode", "malformed value type"),
    Case("exception-handling", "(module (func (try_table)))", "decode", "illegal opcode 1f"),
    Case("threads", "(module (memory 1 1 shared))", "decode", "malformed limits flags"),
    Case("threads", "(module (memory 1) (func (atomic.fence)))", "decode", "illegal opcode fe"),
    Case("wide-arithmetic",
         "(module (func (param i64 i64 i64 i64) (result i64)"
         " (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)) (drop)))",
         "decode", "illegal opcode fc"),
    Case("custom-page-sizes", "(module (memory 1 (pagesize 1)))", "decode", "malformed limits flags"),
    Case("custom-descriptors",
         "(module (rec (type $a (descriptor $b) (struct)) (type $b (describes $a) (struct))))",
         "decode", "malformed definition type"),
    Case("custom-descriptors", "(module (type $t (struct)) (func (param (ref (exact $t)))))",
         "decode", "malformed value type"),
    Case("custom-descriptors", "(module (type $t (struct)) (func (drop (ref.null (exact $t)))))",
         "decode", "malformed reference type"),
    Case("custom-descriptors", '(module (type $f (func)) (import "m" "f" (func (exact (type $f)))))',
         "decode", "malformed import kind"),
    # Wasm 3.0 requires a branching cast's target to match its source
    Case("custom-descriptors", "(module (func (result anyref) (br_on_cast 0 eqref anyref (unreachable))))",
         "validate", "type mismatch"),
    Case("shared-everything-threads", "(module (type (shared (func))))",
         "decode", "malformed definition type", own_reader=True),
    Case("shared-everything-threads", "(module (global (shared i32) (i32.const 0)))",
         "decode", "malformed mutability", own_reader=True),
    Case("shared-everything-threads", "(module (table shared 1 (ref null (shared func))))",
         "decode", "malformed limits flags", own_reader=True),
    Case("shared-everything-threads", "(module (func (drop (ref.null (shared any)))))",
         "decode", "malformed reference type", own_reader=True),
    Case("shared-everything-threads", "(module (func (param (shared anyref))))",
         "decode", "malformed value type", own_reader=True),
    Case("shared-everything-threads", "(module (func (pause)))",
         "decode", "illegal opcode fe", own_reader=True),
    Case("shared-everything-threads",
         "(module (type $s (shared (struct (field (mut i32))))) (func (param (ref null $s)) (result i32)"
         " (struct.atomic.get seq_cst $s 0 (local.get 0))))",
         "decode", "malformed definition type", own_reader=True),
    Case("rounding-mode-control",
         "(module (func (param f32) (result f32) (f32.sqrt_ceil (local.get 0))))",
         "decode", "illegal opcode fc", own_reader=True),
    Case("rounding-mode-control",
         "(module (func (param i64) (result f64) (f64.convert_trunc_i64_u (local.get 0))))",
         "decode", "illegal opcode fc", own_reader=True),
]

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


def test_every_proposal_has_cases() -> None:
    covered = {c.proposal for c in CASES}
    assert covered == ALL


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_accepted_with_the_proposal(case: Case) -> None:
    data = case.binary()
    m = decode_module(data, case.on())
    validate_module(m, case.on())


@pytest.mark.parametrize("case", CASE_PARAMS)
@pytest.mark.parametrize("which", ["minimal", "all-but"])
def test_rejected_without_the_proposal(case: Case, which: str) -> None:
    data = case.binary()
    off = case.off() if which == "minimal" else case.all_but()
    if case.layer == "decode":
        with pytest.raises(MalformedError) as info:
            decode_module(data, off)
    else:
        m = decode_module(data, off)
        with pytest.raises(InvalidError) as info:
            validate_module(m, off)
    assert str(info.value).startswith(case.message), str(info.value)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_validator_rejects_without_the_proposal(case: Case) -> None:
    # A module decoded with everything on (or built by hand) is still
    # checked by the validator alone.
    m = decode_module(case.binary())
    for off in (case.off(), case.all_but()):
        with pytest.raises(InvalidError):
            validate_module(m, off)


# --- the feature sets themselves --------------------------------------------------


def test_names_match_the_runtime_config() -> None:
    from engine.runtime.store import FEATURES

    assert tuple(FEATURES) == PROPOSALS
    assert KNOWN == ALL | {LEGACY_EXCEPTIONS}


def test_every_proposal_is_enabled_at_no_cost() -> None:
    assert normalise(None) is None
    assert normalise(ALL) is None
    assert normalise(list(PROPOSALS) + [LEGACY_EXCEPTIONS]) is None
    assert decode_rules(ALL) is FULL_RULES
    assert valid_rules(ALL) is None


def test_bases_come_first() -> None:
    # normalise prunes dependants in one pass over PROPOSALS.
    for name, bases in REQUIRES.items():
        for base in bases:
            assert PROPOSALS.index(base) < PROPOSALS.index(name)


def test_a_proposal_without_its_base_is_off() -> None:
    enabled = normalise(ALL - {"reference-types"})
    assert not enabled & {"reference-types", "function-references", "gc", "exception-handling"}
    # the legacy exception instructions do not build on reference types
    assert LEGACY_EXCEPTIONS in enabled
    assert normalise({"gc"}) == frozenset()
    assert "relaxed-simd" not in normalise(ALL - {"simd"})


@pytest.mark.parametrize("bad", [
    {"simd", "no-such-proposal"}, "simd", b"simd", 42, [["simd"]],
])
def test_bad_feature_arguments_are_usage_errors(bad) -> None:
    data = wat2wasm("(module)")
    with pytest.raises(UsageError):
        decode_module(data, bad)
    with pytest.raises(UsageError):
        validate_module(decode_module(data), bad)


def test_same_results_with_none_and_every_proposal() -> None:
    data = wat2wasm("""(module (memory 1) (table 2 funcref) (global (mut i32) (i32.const 0))
      (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.load (i32.const 0))))
      (elem (i32.const 0) $f) (data (i32.const 0) "ab") (export "f" (func $f)))""")
    assert decode_module(data) == decode_module(data, ALL)
    a, b = validate_module(decode_module(data)), validate_module(decode_module(data), ALL)
    assert a.exports == b.exports and len(a.code) == len(b.code)


# --- Wasm 1.0 ----------------------------------------------------------------------

MVP_MODULE = """(module
  (type $t (func (param i64) (result i64)))
  (import "env" "g" (global i32))
  (memory 1 2) (table 2 funcref)
  (global $h i32 (global.get 0))
  (func $fac (type $t) (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "call") (param i32) (result i64)
    (call_indirect (type $t) (i64.const 5) (local.get 0)))
  (func (export "mem") (result i32)
    (drop (memory.grow (i32.const 1))) (i32.load16_u offset=2 (memory.size)))
  (elem (i32.const 0) $fac)
  (data (i32.const 8) "\\01\\02")
  (export "fac" (func $fac)) (export "m" (memory 0)) (export "t" (table 0)))"""


def test_a_wasm_1_module_needs_no_proposal() -> None:
    m = decode_module(wat2wasm(MVP_MODULE), set())
    validate_module(m, set())
    assert m.elems[0].type == FUNCREF  # not (ref func): no typed references


def test_element_segments_of_function_indices_hold_funcref_without_typed_references() -> None:
    data = wat2wasm("(module (table 1 funcref) (func $f) (elem (i32.const 0) $f))")
    assert decode_module(data).elems[0].type == RefType(False, AbsHeapType.FUNC)
    assert decode_module(data, ALL - {"function-references"}).elems[0].type == FUNCREF
    info = validate_module(decode_module(data), ALL - {"function-references"})
    assert info.elems[0] == FUNCREF


def test_every_instruction_belongs_to_wasm_1_or_to_its_proposals() -> None:
    tables = decode_rules(set()).expr
    for key in DECODE:
        prefix, code = key
        if prefix is None:
            legal = tables.kinds[code] != 0
        else:
            legal = key in tables.prefixed
        assert legal == (key not in CODE_NEEDS), key
    # every prefix byte is illegal in Wasm 1.0
    assert all(tables.kinds[p] == 0 for p in (0xFB, 0xFC, 0xFD, 0xFE))


@pytest.mark.parametrize("proposal", PROPOSALS)
def test_disabling_one_proposal_removes_exactly_its_instructions(proposal: str) -> None:
    enabled = normalise(ALL - {proposal})
    tables = decode_rules(ALL - {proposal}).expr
    for key, needs in CODE_NEEDS.items():
        prefix, code = key
        legal = tables.kinds[code] != 0 if prefix is None else key in tables.prefixed
        assert legal == all(n in enabled for n in needs), (key, needs)


# --- encodings of the older formats -----------------------------------------------


def _one_function(body: bytes, *, memories: int = 1) -> bytes:
    """A module with ``memories`` memories of one page and one [] -> []
    function with ``body`` (ending with end)."""
    return module(
        section(1, vec([functype()])),
        section(3, vec([b"\x00"])),
        section(5, vec([b"\x00\x01"] * memories)),
        section(10, vec([code(body)])),
    )


def test_a_memory_index_in_a_memory_argument_reads_as_alignment_without_multi_memory() -> None:
    # i32.load with flags 0x42 (alignment 2, memory index follows) memidx 0, offset 0
    data = _one_function(b"\x41\x00\x28\x42\x00\x00\x1a\x0b")
    m = decode_module(data)
    assert m.funcs[0].body[1] == (Op.I32_LOAD, 2, 0, 0)
    validate_module(m, ALL - {"multi-memory"})  # memory 0 is fine semantically
    old = ALL - {"multi-memory"}
    m = decode_module(data, old)
    # Before multi-memory the field was a plain alignment: 2**66 is too large,
    # and the memory index byte was the offset.
    assert m.funcs[0].body[1] == (Op.I32_LOAD, 0x42, 0, 0)
    with pytest.raises(InvalidError, match="alignment"):
        validate_module(m, old)


def test_memory_instructions_have_a_reserved_byte_without_multi_memory() -> None:
    old = ALL - {"multi-memory"}
    ok = _one_function(b"\x3f\x00\x1a\x0b")  # memory.size 0; drop
    assert decode_module(ok, old).funcs[0].body[0] == (Op.MEMORY_SIZE, 0)
    long_zero = _one_function(b"\x3f\x80\x00\x1a\x0b")  # index 0 as a two-byte LEB128
    decode_module(long_zero)
    with pytest.raises(MalformedError, match="zero byte expected"):
        decode_module(long_zero, old)
    fill = _one_function(b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x01\x0b", memories=2)
    decode_module(fill)
    with pytest.raises(MalformedError, match="zero byte expected"):
        decode_module(fill, old)


def test_offsets_are_u32_without_memory64() -> None:
    # i32.load offset=2**32 on a 32-bit memory: invalid in Wasm 3.0, a
    # too large integer before memory64.
    data = _one_function(b"\x41\x00\x28\x02\x80\x80\x80\x80\x10\x1a\x0b")
    with pytest.raises(InvalidError, match="offset out of range"):
        validate_module(decode_module(data))
    with pytest.raises(MalformedError, match="integer too large"):
        decode_module(data, ALL - {"memory64"})


def test_legacy_exception_instructions() -> None:
    legacy = wat2wasm("(module (tag $e) (func (try (do (throw $e)) (catch $e) (catch_all))))")
    new = wat2wasm("(module (tag $e) (func (block $l (try_table (catch_all $l) (throw $e)))))")
    base = closure({"reference-types"})
    only_legacy = base | {LEGACY_EXCEPTIONS}
    validate_module(decode_module(legacy, only_legacy), only_legacy)
    validate_module(decode_module(legacy, base | {"exception-handling"}), base | {"exception-handling"})
    with pytest.raises(MalformedError, match="illegal opcode 1f"):
        decode_module(new, only_legacy)
    with pytest.raises(InvalidError, match="illegal opcode: try_table"):
        validate_module(decode_module(new), only_legacy)
    with pytest.raises(MalformedError, match="malformed section id"):
        decode_module(legacy, base)
    with pytest.raises(InvalidError, match="tags require"):
        validate_module(decode_module(legacy), base)


def test_data_count_section_is_unknown_without_bulk_memory() -> None:
    data = module(section(12, uleb(0)))
    decode_module(data)
    with pytest.raises(MalformedError, match="malformed section id"):
        decode_module(data, ALL - {"bulk-memory-operations"})


def test_exact_function_imports_need_gc() -> None:
    data = module(
        section(1, vec([functype()])),
        section(2, vec([b"\x01m\x01f\x20\x00"])),
    )
    assert decode_module(data).imports[0].exact
    with pytest.raises(MalformedError, match="malformed import kind"):
        decode_module(data, ALL - {"gc"})
    with pytest.raises(InvalidError, match="invalid import"):
        validate_module(decode_module(data), ALL - {"gc"})


# --- the validator on modules built by hand ------------------------------------------


def _functype_module(**kw) -> Module:
    m = Module(**kw)
    m.types.append(SubType(True, (), FuncType((), ())))
    m.rec_groups.append((0, RecType(tuple(m.types))))
    return m


@pytest.mark.parametrize("proposal, build, message", [
    ("threads", lambda: Module(mems=[MemType(Limits(1, 1), shared=True)]), "invalid memory type"),
    ("memory64", lambda: Module(mems=[MemType(Limits(1), addr64=True)]), "invalid memory type"),
    ("custom-page-sizes", lambda: Module(mems=[MemType(Limits(1), page_size_log2=0)]),
     "invalid custom page size"),
    ("multi-memory", lambda: Module(mems=[MemType(Limits(1)), MemType(Limits(1))]),
     "multiple memories"),
    ("bulk-memory-operations",
     lambda: Module(mems=[MemType(Limits(1))], datas=[Data(b"x", SegmentMode.PASSIVE)]),
     "invalid data segment"),
    ("mutable-global",
     lambda: Module(globals=[Global(GlobalType(I32, True), ((Op.I32_CONST, 0), (Op.END,)))],
                    exports=[Export("g", ExternKind.GLOBAL, 0)]),
     "mutable globals cannot be exported"),
    ("exception-handling",
     lambda: _functype_module(imports=[Import("m", "t", ExternKind.TAG, TagType(0))]),
     "invalid tag"),
])
def test_hand_built_modules(proposal: str, build, message: str) -> None:
    validate_module(build())
    with pytest.raises(InvalidError) as info:
        validate_module(build(), ALL - {proposal})
    assert str(info.value).startswith(message)


def test_element_expressions_with_bulk_memory_alone() -> None:
    # Bulk memory's element expressions (ref.func, ref.null) predate
    # reference types; in function bodies those instructions do not.
    data = wat2wasm("(module (table 2 funcref) (func $f)"
                    " (elem (i32.const 0) funcref (ref.func $f) (ref.null func)))")
    bulk = closure({"bulk-memory-operations"})
    validate_module(decode_module(data, bulk), bulk)
    validate_module(decode_module(data), bulk)
    with pytest.raises(MalformedError, match="illegal opcode d0"):
        decode_module(wat2wasm("(module (func (drop (ref.null func))))"), bulk)
    # Wasm 1.0 segments list function indices only.
    with pytest.raises(MalformedError, match="malformed segment kind"):
        decode_module(data, set())
    with pytest.raises(InvalidError, match="constant expression required"):
        validate_module(decode_module(data), set())


_NO_MULTI_MEMORY = ALL - {"multi-memory"}
_NO_REFERENCE_TYPES = ALL - {"reference-types"} - dependants("reference-types")


@pytest.mark.parametrize("features, good, bad, instr", [
    (_NO_MULTI_MEMORY, b"\x40\x00", b"\x40\x01", (Op.MEMORY_GROW, 0)),
    (_NO_MULTI_MEMORY, b"\xfc\x08\x03\x00", b"\xfc\x08\x03\x01", (Op.MEMORY_INIT, 3, 0)),
    (_NO_MULTI_MEMORY, b"\xfc\x0a\x00\x00", b"\xfc\x0a\x00\x01", (Op.MEMORY_COPY, 0, 0)),
    (_NO_MULTI_MEMORY, b"\xfc\x0b\x00", b"\xfc\x0b\x80\x00", (Op.MEMORY_FILL, 0)),
    (_NO_REFERENCE_TYPES, b"\x11\x02\x00", b"\x11\x02\x01", (Op.CALL_INDIRECT, 2, 0)),
    (_NO_REFERENCE_TYPES, b"\xfc\x0c\x04\x00", b"\xfc\x0c\x04\x01", (Op.TABLE_INIT, 4, 0)),
    (_NO_REFERENCE_TYPES, b"\xfc\x0e\x00\x00", b"\xfc\x0e\x01\x00", (Op.TABLE_COPY, 0, 0)),
], ids=["memory.grow", "memory.init", "memory.copy", "memory.fill", "call_indirect",
        "table.init", "table.copy"])
def test_reserved_bytes_before_multiple_memories_and_tables(features, good, bad, instr) -> None:
    from tests.test_binary import func_module

    # The bodies need not validate: only their decoding is checked.
    assert decode_module(func_module(good + b"\x0b"), features).funcs[0].body[0] == instr
    decode_module(func_module(bad + b"\x0b"))
    with pytest.raises(MalformedError, match="zero byte expected"):
        decode_module(func_module(bad + b"\x0b"), features)


def test_atomic_and_vector_memory_arguments_follow_the_older_format() -> None:
    from tests.test_binary import func_module

    atomic = b"\xfe\x10\x42\x00\x00\x0b"  # i32.atomic.load, flags 0x42, memidx 0, offset 0
    assert decode_module(func_module(atomic)).funcs[0].body[0] == (Op.I32_ATOMIC_LOAD, 2, 0, 0)
    assert decode_module(func_module(atomic), _NO_MULTI_MEMORY).funcs[0].body[0][:3] == (
        Op.I32_ATOMIC_LOAD, 0x42, 0)
    lane = b"\xfd\x54\x00\x80\x80\x80\x80\x10\x00\x0b"  # v128.load8_lane offset=2**32 lane 0
    decode_module(func_module(lane))
    with pytest.raises(MalformedError, match="integer too large"):
        decode_module(func_module(lane), ALL - {"memory64"})


def test_tag_exports_need_exception_handling() -> None:
    data = module(section(7, vec([b"\x01t\x04\x00"])))
    decode_module(data)  # well-formed; the unknown tag is for the validator
    with pytest.raises(MalformedError, match="malformed export kind"):
        decode_module(data, ALL - {"exception-handling"})
    with pytest.raises(MalformedError, match="malformed export kind"):
        decode_module(module(section(7, vec([b"\x01t\x05\x00"]))))


def test_mutated_modules_get_the_documented_errors_under_restricted_sets() -> None:
    # Seeded; each restricted set sees mutations of the same valid modules
    # plus the modules of every case above.
    import random

    from tests.test_binary import sample_modules
    from tests.test_binary_fuzz import _mutate

    rng = random.Random(0xFEA7)
    seeds = sample_modules() + [c.binary() for c in CASES]
    sets = [frozenset(), closure({"bulk-memory-operations", "multi-value"}),
            _NO_MULTI_MEMORY, _NO_REFERENCE_TYPES, ALL - {"gc"}, ALL - {"simd", "memory64"}]
    outcomes = {"valid": 0, "malformed": 0, "invalid": 0}
    for i in range(3000):
        data = _mutate(rng, seeds[i % len(seeds)]) if i % 4 else seeds[i % len(seeds)]
        features = sets[i % len(sets)]
        try:
            m = decode_module(data, features)
        except MalformedError:
            outcomes["malformed"] += 1
            continue
        try:
            validate_module(m, features)
            outcomes["valid"] += 1
        except InvalidError:
            outcomes["invalid"] += 1
    assert outcomes["valid"] > 100 and outcomes["malformed"] > 1000 and outcomes["invalid"] > 20, outcomes
