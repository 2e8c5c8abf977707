"""Value matching of the conformance harness: bit-exact numbers, the spec's
NaN classes, v128 lanes of every shape, references and ``either``."""

import pytest

from spectest.values import (NULL, EitherPat, Foreign, NanPat, Num, NumPat, Ref, RefKind,
                             ValueFormatError, Vec, VecPat, match_results, parse_pattern,
                             parse_value, vec_from_lanes)


def pat(obj):
    return parse_pattern(obj)


# --- scalars -----------------------------------------------------------------


def test_f32_is_compared_bit_exactly():
    p = pat({"type": "f32", "value": str(0x3FC00000)})  # 1.5
    assert p.matches(Num("f32", 0x3FC00000))
    assert not p.matches(Num("f32", 0x3FC00001))      # one ulp away
    assert not p.matches(Num("f64", 0x3FC00000))      # right bits, wrong type


def test_signed_zeros_differ():
    assert not pat({"type": "f64", "value": "0"}).matches(Num("f64", 1 << 63))
    assert not pat({"type": "f32", "value": str(1 << 31)}).matches(Num("f32", 0))


def test_nan_payloads_are_compared_exactly():
    snan = 0x7FA00000
    assert pat({"type": "f32", "value": str(snan)}).matches(Num("f32", snan))
    assert not pat({"type": "f32", "value": str(snan)}).matches(Num("f32", 0x7FE00000))


@pytest.mark.parametrize("bits,ok", [
    (0x7FC00000, True), (0xFFC00000, True),            # both signs
    (0x7FC00001, False),                               # arithmetic, not canonical
    (0x7FA00000, False), (0x7F800000, False),          # signalling NaN, infinity
])
def test_f32_canonical_nan(bits, ok):
    assert pat({"type": "f32", "value": "nan:canonical"}).matches(Num("f32", bits)) is ok


@pytest.mark.parametrize("bits,ok", [
    (0x7FC00000, True), (0xFFC00001, True), (0x7FFFFFFF, True),
    (0x7F800001, False),                               # quiet bit clear
    (0x7F800000, False), (0x3F800000, False),
])
def test_f32_arithmetic_nan(bits, ok):
    assert pat({"type": "f32", "value": "nan:arithmetic"}).matches(Num("f32", bits)) is ok


@pytest.mark.parametrize("which,bits,ok", [
    ("canonical", 0x7FF8000000000000, True), ("canonical", 0xFFF8000000000000, True),
    ("canonical", 0x7FF8000000000001, False), ("arithmetic", 0x7FF8000000000001, True),
    ("arithmetic", 0x7FF4000000000000, False), ("arithmetic", 0x7FF0000000000000, False),
])
def test_f64_nans(which, bits, ok):
    assert NanPat("f64", which).matches(Num("f64", bits)) is ok


def test_integers_accept_both_spellings_and_stay_exact():
    assert pat({"type": "i32", "value": "4294967295"}) == pat({"type": "i32", "value": "-1"})
    assert pat({"type": "i64", "value": "1"}).matches(Num("i64", 1))
    assert not pat({"type": "i64", "value": "1"}).matches(Num("i32", 1))
    with pytest.raises(ValueFormatError):
        pat({"type": "i32", "value": str(1 << 32)})


# --- v128 ----------------------------------------------------------------------


@pytest.mark.parametrize("lane_type,lanes", [
    ("i8", [str(i) for i in range(16)]),
    ("i16", ["65535", "1", "2", "3", "4", "5", "6", "32768"]),
    ("i32", ["1", "2", "3", "4294967295"]),
    ("i64", ["1", "18446744073709551615"]),
    ("f32", [str(0x3F800000), "0", str(0x80000000), str(0x7FC00000)]),
    ("f64", [str(0x3FF0000000000000), str(0x7FF8000000000001)]),
])
def test_v128_every_shape_matches_itself_and_not_a_lane_swap(lane_type, lanes):
    value = parse_value({"type": "v128", "lane_type": lane_type, "value": lanes})
    p = pat({"type": "v128", "lane_type": lane_type, "value": lanes})
    assert p.matches(value)
    swapped = lanes[1:2] + lanes[0:1] + lanes[2:]
    assert lanes[0] != lanes[1]
    assert not p.matches(parse_value({"type": "v128", "lane_type": lane_type, "value": swapped}))


def test_v128_lanes_signed_or_unsigned_are_the_same_value():
    # wasm-tools writes signed lanes, wast2json unsigned ones
    a = parse_value({"type": "v128", "lane_type": "i16", "value": ["-1"] + ["0"] * 7})
    b = parse_value({"type": "v128", "lane_type": "i16", "value": ["65535"] + ["0"] * 7})
    assert a == b == Vec(0xFFFF)


def test_v128_lane_order_is_little_endian():
    v = parse_value({"type": "v128", "lane_type": "i32", "value": ["1", "2", "3", "4"]})
    assert v == Vec(1 | 2 << 32 | 3 << 64 | 4 << 96)


def test_v128_per_lane_nan_patterns():
    p = pat({"type": "v128", "lane_type": "f32",
             "value": ["nan:canonical", "nan:arithmetic", "0", str(0x3F800000)]})
    good = vec_from_lanes("f32", [0xFFC00000, 0x7FC00001, 0, 0x3F800000])
    assert p.matches(Vec(good))
    # lane 0 arithmetic where canonical is due
    assert not p.matches(Vec(vec_from_lanes("f32", [0x7FC00001, 0x7FC00001, 0, 0x3F800000])))
    # lane 1 signalling where arithmetic is due
    assert not p.matches(Vec(vec_from_lanes("f32", [0x7FC00000, 0x7FA00000, 0, 0x3F800000])))
    f64 = pat({"type": "v128", "lane_type": "f64", "value": ["nan:arithmetic", "nan:canonical"]})
    assert f64.matches(Vec(vec_from_lanes("f64", [0xFFF8000000000002, 0x7FF8000000000000])))
    assert not f64.matches(Vec(vec_from_lanes("f64", [0xFFF8000000000002, 0x7FF8000000000001])))


def test_v128_pattern_rejects_wrong_lane_count():
    with pytest.raises(ValueFormatError):
        pat({"type": "v128", "lane_type": "i32", "value": ["1", "2"]})


# --- references ------------------------------------------------------------------


@pytest.mark.parametrize("obj", [
    {"type": "refnull"}, {"type": "nullref"}, {"type": "nullfuncref"},
    {"type": "nullexternref"}, {"type": "nullexnref"}, {"type": "funcref", "value": "null"},
    {"type": "externref", "value": "null"}, {"type": "exnref", "value": "null"},
    {"type": "anyref", "value": "null"},
])
def test_every_null_pattern_matches_any_null_and_nothing_else(obj):
    p = pat(obj)
    assert p.matches(NULL)
    assert not p.matches(Ref(RefKind.FUNC))
    assert not p.matches(Ref(RefKind.EXTERN, 0))


def test_host_references_are_matched_by_number():
    assert pat({"type": "externref", "value": "1"}).matches(Ref(RefKind.EXTERN, 1))
    assert not pat({"type": "externref", "value": "1"}).matches(Ref(RefKind.EXTERN, 2))
    assert not pat({"type": "externref", "value": "1"}).matches(NULL)
    # ref.host N is the internalized form: an extern with that number is not it
    assert pat({"type": "anyref", "value": "3"}).matches(Ref(RefKind.HOST, 3))
    assert not pat({"type": "anyref", "value": "3"}).matches(Ref(RefKind.EXTERN, 3))


def test_type_patterns_need_a_non_null_reference_of_that_kind():
    assert pat({"type": "funcref"}).matches(Ref(RefKind.FUNC))
    assert pat({"type": "funcref", "value": "0"}).matches(Ref(RefKind.FUNC))  # wabt's (ref.func)
    assert not pat({"type": "funcref"}).matches(NULL)
    assert pat({"type": "externref"}).matches(Ref(RefKind.EXTERN))
    assert pat({"type": "structref"}).matches(Ref(RefKind.STRUCT))
    assert not pat({"type": "structref"}).matches(Ref(RefKind.ARRAY))
    assert pat({"type": "i31ref"}).matches(Ref(RefKind.I31))
    assert pat({"type": "exnref"}).matches(Ref(RefKind.EXN))
    assert not pat({"type": "exnref"}).matches(NULL)
    eq = pat({"type": "eqref"})
    assert all(eq.matches(Ref(k)) for k in (RefKind.I31, RefKind.STRUCT, RefKind.ARRAY))
    assert not eq.matches(Ref(RefKind.HOST, 1)) and not eq.matches(NULL)


def test_either_accepts_any_alternative_only():
    p = pat({"type": "either", "values": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]})
    assert isinstance(p, EitherPat)
    assert p.matches(Num("i32", 2)) and not p.matches(Num("i32", 3))


def test_match_results_counts_and_messages():
    expected = (NumPat("i32", 1), NumPat("f32", 0x3F800000))
    assert match_results(expected, [Num("i32", 1), Num("f32", 0x3F800000)]) is None
    msg = match_results(expected, [Num("i32", 1), Num("f32", 0x3F800001)])
    assert "result 1" in msg and "expected f32 0x3f800000" in msg and "got f32 0x3f800001" in msg
    assert "expected 2 result(s)" in match_results(expected, [Num("i32", 1)])
    assert match_results((NumPat("i32", 1),), [Foreign("str 'x' as i32")]) is not None


def test_vec_failure_message_uses_the_expected_shape():
    p = VecPat("i16", (1, 2, 3, 4, 5, 6, 7, 8))
    msg = match_results((p,), [Vec(vec_from_lanes("i16", [2, 1, 3, 4, 5, 6, 7, 8]))])
    assert "v128 i16x8 [2 1 3 4 5 6 7 8]" in msg


@pytest.mark.parametrize("obj", [
    {"type": "contref"}, {"type": "i32"}, {"type": "f32", "value": "nan:foo"},
    {"type": "v128", "lane_type": "i7", "value": []}, {"value": "1"},
])
def test_unreadable_patterns_raise_a_clear_error(obj):
    with pytest.raises(ValueFormatError):
        pat(obj)
