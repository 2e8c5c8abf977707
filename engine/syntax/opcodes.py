"""Every instruction of the binary format: opcode, text name and immediates.

``Op`` member names are the text-format mnemonics upper-cased with ``.``
replaced by ``_`` (``i32.add`` -> ``I32_ADD``, ``i32.atomic.rmw8.add_u`` ->
``I32_ATOMIC_RMW8_ADD_U``). Values are the single opcode byte, or
``(prefix << 12) | subopcode`` for the prefixed families (0xFB GC, 0xFC
misc, 0xFD SIMD, 0xFE threads).

A decoded instruction is the tuple ``(op, *immediates)``; the immediates per
:class:`Imm` kind are:

=============== ===========================================================
kind            immediates after ``op``
=============== ===========================================================
NONE            (none)
BLOCKTYPE       ``bt``: None (empty), a ValType, or a type index ``int``
LABEL           label index
BR_TABLE        ``(labels: tuple[int, ...], default: int)``
FUNC            function index
CALL_INDIRECT   ``typeidx, tableidx``
LOCAL, GLOBAL, TABLE, MEM, TAG, TYPE, DATA, ELEM
                one index
MEMARG          ``align (log2), offset, memidx``
MEMARG_LANE     ``align (log2), offset, memidx, lane``
I32, I64        the value as an *unsigned* int (two's complement)
F32, F64        the raw IEEE bit pattern as an int (NaN payloads intact)
V128            the 128-bit value as an unsigned int (little-endian lanes)
SHUFFLE         ``lanes: tuple[int, ...]`` (16 entries)
LANE            lane index
HEAPTYPE        a heap type (AbsHeapType or type index); ``ref.null`` with
                the custom-descriptors exact marker adds ``True``
                (``(op, ht, True)``: the null's type is exact)
REFTYPE         a RefType (``ref.test``/``ref.cast``; both binary forms,
                nullable and not, decode to the same Op)
CASTOP          ``label, rt1: RefType, rt2: RefType`` (br_on_cast[_fail])
SELECT_T        ``types: tuple[ValType, ...]``
TRY_TABLE       ``bt, catches`` where each catch is ``(kind, tag, label)``,
                kind a CatchKind, tag None for the catch_all forms
ZERO_BYTE       (none; a reserved 0x00 byte is checked by the decoder)
DATA_MEM        ``dataidx, memidx`` (memory.init)
MEM_MEM         ``dst memidx, src memidx`` (memory.copy)
ELEM_TABLE      ``elemidx, tableidx`` (table.init)
TABLE_TABLE     ``dst tableidx, src tableidx`` (table.copy)
TYPE_FIELD      ``typeidx, fieldidx``
TYPE_N          ``typeidx, n`` (array.new_fixed)
TYPE_DATA       ``typeidx, dataidx``
TYPE_ELEM       ``typeidx, elemidx``
TYPE_TYPE       ``typeidx1, typeidx2`` (array.copy)
ORDER_GLOBAL    ``order, globalidx`` (shared-everything atomics; ``order``
                a :class:`MemoryOrder`)
ORDER_TABLE     ``order, tableidx``
ORDER_TYPE      ``order, typeidx``
ORDER_FIELD     ``order, typeidx, fieldidx``
=============== ===========================================================
"""

from __future__ import annotations

import enum


class Imm(enum.Enum):
    """Immediate shapes; see the module docstring."""

    NONE = enum.auto()
    BLOCKTYPE = enum.auto()
    LABEL = enum.auto()
    BR_TABLE = enum.auto()
    FUNC = enum.auto()
    CALL_INDIRECT = enum.auto()
    LOCAL = enum.auto()
    GLOBAL = enum.auto()
    TABLE = enum.auto()
    MEM = enum.auto()
    TAG = enum.auto()
    TYPE = enum.auto()
    DATA = enum.auto()
    ELEM = enum.auto()
    MEMARG = enum.auto()
    MEMARG_LANE = enum.auto()
    I32 = enum.auto()
    I64 = enum.auto()
    F32 = enum.auto()
    F64 = enum.auto()
    V128 = enum.auto()
    SHUFFLE = enum.auto()
    LANE = enum.auto()
    HEAPTYPE = enum.auto()
    REFTYPE = enum.auto()
    REFTYPE_NULL = enum.auto()  # decoder detail: ref.test/ref.cast nullable form
    CASTOP = enum.auto()
    SELECT_T = enum.auto()
    TRY_TABLE = enum.auto()
    ZERO_BYTE = enum.auto()
    DATA_MEM = enum.auto()
    MEM_MEM = enum.auto()
    ELEM_TABLE = enum.auto()
    TABLE_TABLE = enum.auto()
    TYPE_FIELD = enum.auto()
    TYPE_N = enum.auto()
    TYPE_DATA = enum.auto()
    TYPE_ELEM = enum.auto()
    TYPE_TYPE = enum.auto()
    ORDER_GLOBAL = enum.auto()
    ORDER_TABLE = enum.auto()
    ORDER_TYPE = enum.auto()
    ORDER_FIELD = enum.auto()


class MemoryOrder(enum.IntEnum):
    """The ordering immediate of the shared-everything-threads atomic
    accesses; values are their binary encodings."""

    SEQ_CST = 0
    ACQ_REL = 1


class CatchKind(enum.IntEnum):
    """The clauses of ``try_table``; values are their binary encodings."""

    CATCH = 0
    CATCH_REF = 1
    CATCH_ALL = 2
    CATCH_ALL_REF = 3


# code, text name, immediate kind. Codes: "0x6A" or "FD:12" (prefix:subop).
_TABLE = """
0x00 unreachable
0x01 nop
0x02 block BLOCKTYPE
0x03 loop BLOCKTYPE
0x04 if BLOCKTYPE
0x05 else
0x06 try BLOCKTYPE
0x07 catch TAG
0x08 throw TAG
0x09 rethrow LABEL
0x0A throw_ref
0x0B end
0x0C br LABEL
0x0D br_if LABEL
0x0E br_table BR_TABLE
0x0F return
0x10 call FUNC
0x11 call_indirect CALL_INDIRECT
0x12 return_call FUNC
0x13 return_call_indirect CALL_INDIRECT
0x14 call_ref TYPE
0x15 return_call_ref TYPE
0x18 delegate LABEL
0x19 catch_all
0x1A drop
0x1B select
0x1C select_t SELECT_T
0x1F try_table TRY_TABLE
0x20 local.get LOCAL
0x21 local.set LOCAL
0x22 local.tee LOCAL
0x23 global.get GLOBAL
0x24 global.set GLOBAL
0x25 table.get TABLE
0x26 table.set TABLE
0x28 i32.load MEMARG
0x29 i64.load MEMARG
0x2A f32.load MEMARG
0x2B f64.load MEMARG
0x2C i32.load8_s MEMARG
0x2D i32.load8_u MEMARG
0x2E i32.load16_s MEMARG
0x2F i32.load16_u MEMARG
0x30 i64.load8_s MEMARG
0x31 i64.load8_u MEMARG
0x32 i64.load16_s MEMARG
0x33 i64.load16_u MEMARG
0x34 i64.load32_s MEMARG
0x35 i64.load32_u MEMARG
0x36 i32.store MEMARG
0x37 i64.store MEMARG
0x38 f32.store MEMARG
0x39 f64.store MEMARG
0x3A i32.store8 MEMARG
0x3B i32.store16 MEMARG
0x3C i64.store8 MEMARG
0x3D i64.store16 MEMARG
0x3E i64.store32 MEMARG
0x3F memory.size MEM
0x40 memory.grow MEM
0x41 i32.const I32
0x42 i64.const I64
0x43 f32.const F32
0x44 f64.const F64
0x45 i32.eqz
0x46 i32.eq
0x47 i32.ne
0x48 i32.lt_s
0x49 i32.lt_u
0x4A i32.gt_s
0x4B i32.gt_u
0x4C i32.le_s
0x4D i32.le_u
0x4E i32.ge_s
0x4F i32.ge_u
0x50 i64.eqz
0x51 i64.eq
0x52 i64.ne
0x53 i64.lt_s
0x54 i64.lt_u
0x55 i64.gt_s
0x56 i64.gt_u
0x57 i64.le_s
0x58 i64.le_u
0x59 i64.ge_s
0x5A i64.ge_u
0x5B f32.eq
0x5C f32.ne
0x5D f32.lt
0x5E f32.gt
0x5F f32.le
0x60 f32.ge
0x61 f64.eq
0x62 f64.ne
0x63 f64.lt
0x64 f64.gt
0x65 f64.le
0x66 f64.ge
0x67 i32.clz
0x68 i32.ctz
0x69 i32.popcnt
0x6A i32.add
0x6B i32.sub
0x6C i32.mul
0x6D i32.div_s
0x6E i32.div_u
0x6F i32.rem_s
0x70 i32.rem_u
0x71 i32.and
0x72 i32.or
0x73 i32.xor
0x74 i32.shl
0x75 i32.shr_s
0x76 i32.shr_u
0x77 i32.rotl
0x78 i32.rotr
0x79 i64.clz
0x7A i64.ctz
0x7B i64.popcnt
0x7C i64.add
0x7D i64.sub
0x7E i64.mul
0x7F i64.div_s
0x80 i64.div_u
0x81 i64.rem_s
0x82 i64.rem_u
0x83 i64.and
0x84 i64.or
0x85 i64.xor
0x86 i64.shl
0x87 i64.shr_s
0x88 i64.shr_u
0x89 i64.rotl
0x8A i64.rotr
0x8B f32.abs
0x8C f32.neg
0x8D f32.ceil
0x8E f32.floor
0x8F f32.trunc
0x90 f32.nearest
0x91 f32.sqrt
0x92 f32.add
0x93 f32.sub
0x94 f32.mul
0x95 f32.div
0x96 f32.min
0x97 f32.max
0x98 f32.copysign
0x99 f64.abs
0x9A f64.neg
0x9B f64.ceil
0x9C f64.floor
0x9D f64.trunc
0x9E f64.nearest
0x9F f64.sqrt
0xA0 f64.add
0xA1 f64.sub
0xA2 f64.mul
0xA3 f64.div
0xA4 f64.min
0xA5 f64.max
0xA6 f64.copysign
0xA7 i32.wrap_i64
0xA8 i32.trunc_f32_s
0xA9 i32.trunc_f32_u
0xAA i32.trunc_f64_s
0xAB i32.trunc_f64_u
0xAC i64.extend_i32_s
0xAD i64.extend_i32_u
0xAE i64.trunc_f32_s
0xAF i64.trunc_f32_u
0xB0 i64.trunc_f64_s
0xB1 i64.trunc_f64_u
0xB2 f32.convert_i32_s
0xB3 f32.convert_i32_u
0xB4 f32.convert_i64_s
0xB5 f32.convert_i64_u
0xB6 f32.demote_f64
0xB7 f64.convert_i32_s
0xB8 f64.convert_i32_u
0xB9 f64.convert_i64_s
0xBA f64.convert_i64_u
0xBB f64.promote_f32
0xBC i32.reinterpret_f32
0xBD i64.reinterpret_f64
0xBE f32.reinterpret_i32
0xBF f64.reinterpret_i64
0xC0 i32.extend8_s
0xC1 i32.extend16_s
0xC2 i64.extend8_s
0xC3 i64.extend16_s
0xC4 i64.extend32_s
0xD0 ref.null HEAPTYPE
0xD1 ref.is_null
0xD2 ref.func FUNC
0xD3 ref.eq
0xD4 ref.as_non_null
0xD5 br_on_null LABEL
0xD6 br_on_non_null LABEL
FB:0 struct.new TYPE
FB:1 struct.new_default TYPE
FB:2 struct.get TYPE_FIELD
FB:3 struct.get_s TYPE_FIELD
FB:4 struct.get_u TYPE_FIELD
FB:5 struct.set TYPE_FIELD
FB:6 array.new TYPE
FB:7 array.new_default TYPE
FB:8 array.new_fixed TYPE_N
FB:9 array.new_data TYPE_DATA
FB:10 array.new_elem TYPE_ELEM
FB:11 array.get TYPE
FB:12 array.get_s TYPE
FB:13 array.get_u TYPE
FB:14 array.set TYPE
FB:15 array.len
FB:16 array.fill TYPE
FB:17 array.copy TYPE_TYPE
FB:18 array.init_data TYPE_DATA
FB:19 array.init_elem TYPE_ELEM
FB:20 ref.test REFTYPE
FB:21 ref.test REFTYPE_NULL
FB:22 ref.cast REFTYPE
FB:23 ref.cast REFTYPE_NULL
FB:24 br_on_cast CASTOP
FB:25 br_on_cast_fail CASTOP
FB:26 any.convert_extern
FB:27 extern.convert_any
FB:28 ref.i31
FB:29 i31.get_s
FB:30 i31.get_u
FB:32 struct.new_desc TYPE
FB:33 struct.new_default_desc TYPE
FB:34 ref.get_desc TYPE
FB:35 ref.cast_desc_eq REFTYPE
FB:36 ref.cast_desc_eq REFTYPE_NULL
FB:37 br_on_cast_desc_eq CASTOP
FB:38 br_on_cast_desc_eq_fail CASTOP
FC:0 i32.trunc_sat_f32_s
FC:1 i32.trunc_sat_f32_u
FC:2 i32.trunc_sat_f64_s
FC:3 i32.trunc_sat_f64_u
FC:4 i64.trunc_sat_f32_s
FC:5 i64.trunc_sat_f32_u
FC:6 i64.trunc_sat_f64_s
FC:7 i64.trunc_sat_f64_u
FC:8 memory.init DATA_MEM
FC:9 data.drop DATA
FC:10 memory.copy MEM_MEM
FC:11 memory.fill MEM
FC:12 table.init ELEM_TABLE
FC:13 elem.drop ELEM
FC:14 table.copy TABLE_TABLE
FC:15 table.grow TABLE
FC:16 table.size TABLE
FC:17 table.fill TABLE
FC:19 i64.add128
FC:20 i64.sub128
FC:21 i64.mul_wide_s
FC:22 i64.mul_wide_u
FD:0 v128.load MEMARG
FD:1 v128.load8x8_s MEMARG
FD:2 v128.load8x8_u MEMARG
FD:3 v128.load16x4_s MEMARG
FD:4 v128.load16x4_u MEMARG
FD:5 v128.load32x2_s MEMARG
FD:6 v128.load32x2_u MEMARG
FD:7 v128.load8_splat MEMARG
FD:8 v128.load16_splat MEMARG
FD:9 v128.load32_splat MEMARG
FD:10 v128.load64_splat MEMARG
FD:11 v128.store MEMARG
FD:12 v128.const V128
FD:13 i8x16.shuffle SHUFFLE
FD:14 i8x16.swizzle
FD:15 i8x16.splat
FD:16 i16x8.splat
FD:17 i32x4.splat
FD:18 i64x2.splat
FD:19 f32x4.splat
FD:20 f64x2.splat
FD:21 i8x16.extract_lane_s LANE
FD:22 i8x16.extract_lane_u LANE
FD:23 i8x16.replace_lane LANE
FD:24 i16x8.extract_lane_s LANE
FD:25 i16x8.extract_lane_u LANE
FD:26 i16x8.replace_lane LANE
FD:27 i32x4.extract_lane LANE
FD:28 i32x4.replace_lane LANE
FD:29 i64x2.extract_lane LANE
FD:30 i64x2.replace_lane LANE
FD:31 f32x4.extract_lane LANE
FD:32 f32x4.replace_lane LANE
FD:33 f64x2.extract_lane LANE
FD:34 f64x2.replace_lane LANE
FD:35 i8x16.eq
FD:36 i8x16.ne
FD:37 i8x16.lt_s
FD:38 i8x16.lt_u
FD:39 i8x16.gt_s
FD:40 i8x16.gt_u
FD:41 i8x16.le_s
FD:42 i8x16.le_u
FD:43 i8x16.ge_s
FD:44 i8x16.ge_u
FD:45 i16x8.eq
FD:46 i16x8.ne
FD:47 i16x8.lt_s
FD:48 i16x8.lt_u
FD:49 i16x8.gt_s
FD:50 i16x8.gt_u
FD:51 i16x8.le_s
FD:52 i16x8.le_u
FD:53 i16x8.ge_s
FD:54 i16x8.ge_u
FD:55 i32x4.eq
FD:56 i32x4.ne
FD:57 i32x4.lt_s
FD:58 i32x4.lt_u
FD:59 i32x4.gt_s
FD:60 i32x4.gt_u
FD:61 i32x4.le_s
FD:62 i32x4.le_u
FD:63 i32x4.ge_s
FD:64 i32x4.ge_u
FD:65 f32x4.eq
FD:66 f32x4.ne
FD:67 f32x4.lt
FD:68 f32x4.gt
FD:69 f32x4.le
FD:70 f32x4.ge
FD:71 f64x2.eq
FD:72 f64x2.ne
FD:73 f64x2.lt
FD:74 f64x2.gt
FD:75 f64x2.le
FD:76 f64x2.ge
FD:77 v128.not
FD:78 v128.and
FD:79 v128.andnot
FD:80 v128.or
FD:81 v128.xor
FD:82 v128.bitselect
FD:83 v128.any_true
FD:84 v128.load8_lane MEMARG_LANE
FD:85 v128.load16_lane MEMARG_LANE
FD:86 v128.load32_lane MEMARG_LANE
FD:87 v128.load64_lane MEMARG_LANE
FD:88 v128.store8_lane MEMARG_LANE
FD:89 v128.store16_lane MEMARG_LANE
FD:90 v128.store32_lane MEMARG_LANE
FD:91 v128.store64_lane MEMARG_LANE
FD:92 v128.load32_zero MEMARG
FD:93 v128.load64_zero MEMARG
FD:94 f32x4.demote_f64x2_zero
FD:95 f64x2.promote_low_f32x4
FD:96 i8x16.abs
FD:97 i8x16.neg
FD:98 i8x16.popcnt
FD:99 i8x16.all_true
FD:100 i8x16.bitmask
FD:101 i8x16.narrow_i16x8_s
FD:102 i8x16.narrow_i16x8_u
FD:103 f32x4.ceil
FD:104 f32x4.floor
FD:105 f32x4.trunc
FD:106 f32x4.nearest
FD:107 i8x16.shl
FD:108 i8x16.shr_s
FD:109 i8x16.shr_u
FD:110 i8x16.add
FD:111 i8x16.add_sat_s
FD:112 i8x16.add_sat_u
FD:113 i8x16.sub
FD:114 i8x16.sub_sat_s
FD:115 i8x16.sub_sat_u
FD:116 f64x2.ceil
FD:117 f64x2.floor
FD:118 i8x16.min_s
FD:119 i8x16.min_u
FD:120 i8x16.max_s
FD:121 i8x16.max_u
FD:122 f64x2.trunc
FD:123 i8x16.avgr_u
FD:124 i16x8.extadd_pairwise_i8x16_s
FD:125 i16x8.extadd_pairwise_i8x16_u
FD:126 i32x4.extadd_pairwise_i16x8_s
FD:127 i32x4.extadd_pairwise_i16x8_u
FD:128 i16x8.abs
FD:129 i16x8.neg
FD:130 i16x8.q15mulr_sat_s
FD:131 i16x8.all_true
FD:132 i16x8.bitmask
FD:133 i16x8.narrow_i32x4_s
FD:134 i16x8.narrow_i32x4_u
FD:135 i16x8.extend_low_i8x16_s
FD:136 i16x8.extend_high_i8x16_s
FD:137 i16x8.extend_low_i8x16_u
FD:138 i16x8.extend_high_i8x16_u
FD:139 i16x8.shl
FD:140 i16x8.shr_s
FD:141 i16x8.shr_u
FD:142 i16x8.add
FD:143 i16x8.add_sat_s
FD:144 i16x8.add_sat_u
FD:145 i16x8.sub
FD:146 i16x8.sub_sat_s
FD:147 i16x8.sub_sat_u
FD:148 f64x2.nearest
FD:149 i16x8.mul
FD:150 i16x8.min_s
FD:151 i16x8.min_u
FD:152 i16x8.max_s
FD:153 i16x8.max_u
FD:155 i16x8.avgr_u
FD:156 i16x8.extmul_low_i8x16_s
FD:157 i16x8.extmul_high_i8x16_s
FD:158 i16x8.extmul_low_i8x16_u
FD:159 i16x8.extmul_high_i8x16_u
FD:160 i32x4.abs
FD:161 i32x4.neg
FD:163 i32x4.all_true
FD:164 i32x4.bitmask
FD:167 i32x4.extend_low_i16x8_s
FD:168 i32x4.extend_high_i16x8_s
FD:169 i32x4.extend_low_i16x8_u
FD:170 i32x4.extend_high_i16x8_u
FD:171 i32x4.shl
FD:172 i32x4.shr_s
FD:173 i32x4.shr_u
FD:174 i32x4.add
FD:177 i32x4.sub
FD:181 i32x4.mul
FD:182 i32x4.min_s
FD:183 i32x4.min_u
FD:184 i32x4.max_s
FD:185 i32x4.max_u
FD:186 i32x4.dot_i16x8_s
FD:188 i32x4.extmul_low_i16x8_s
FD:189 i32x4.extmul_high_i16x8_s
FD:190 i32x4.extmul_low_i16x8_u
FD:191 i32x4.extmul_high_i16x8_u
FD:192 i64x2.abs
FD:193 i64x2.neg
FD:195 i64x2.all_true
FD:196 i64x2.bitmask
FD:199 i64x2.extend_low_i32x4_s
FD:200 i64x2.extend_high_i32x4_s
FD:201 i64x2.extend_low_i32x4_u
FD:202 i64x2.extend_high_i32x4_u
FD:203 i64x2.shl
FD:204 i64x2.shr_s
FD:205 i64x2.shr_u
FD:206 i64x2.add
FD:209 i64x2.sub
FD:213 i64x2.mul
FD:214 i64x2.eq
FD:215 i64x2.ne
FD:216 i64x2.lt_s
FD:217 i64x2.gt_s
FD:218 i64x2.le_s
FD:219 i64x2.ge_s
FD:220 i64x2.extmul_low_i32x4_s
FD:221 i64x2.extmul_high_i32x4_s
FD:222 i64x2.extmul_low_i32x4_u
FD:223 i64x2.extmul_high_i32x4_u
FD:224 f32x4.abs
FD:225 f32x4.neg
FD:227 f32x4.sqrt
FD:228 f32x4.add
FD:229 f32x4.sub
FD:230 f32x4.mul
FD:231 f32x4.div
FD:232 f32x4.min
FD:233 f32x4.max
FD:234 f32x4.pmin
FD:235 f32x4.pmax
FD:236 f64x2.abs
FD:237 f64x2.neg
FD:239 f64x2.sqrt
FD:240 f64x2.add
FD:241 f64x2.sub
FD:242 f64x2.mul
FD:243 f64x2.div
FD:244 f64x2.min
FD:245 f64x2.max
FD:246 f64x2.pmin
FD:247 f64x2.pmax
FD:248 i32x4.trunc_sat_f32x4_s
FD:249 i32x4.trunc_sat_f32x4_u
FD:250 f32x4.convert_i32x4_s
FD:251 f32x4.convert_i32x4_u
FD:252 i32x4.trunc_sat_f64x2_s_zero
FD:253 i32x4.trunc_sat_f64x2_u_zero
FD:254 f64x2.convert_low_i32x4_s
FD:255 f64x2.convert_low_i32x4_u
FD:256 i8x16.relaxed_swizzle
FD:257 i32x4.relaxed_trunc_f32x4_s
FD:258 i32x4.relaxed_trunc_f32x4_u
FD:259 i32x4.relaxed_trunc_f64x2_s_zero
FD:260 i32x4.relaxed_trunc_f64x2_u_zero
FD:261 f32x4.relaxed_madd
FD:262 f32x4.relaxed_nmadd
FD:263 f64x2.relaxed_madd
FD:264 f64x2.relaxed_nmadd
FD:265 i8x16.relaxed_laneselect
FD:266 i16x8.relaxed_laneselect
FD:267 i32x4.relaxed_laneselect
FD:268 i64x2.relaxed_laneselect
FD:269 f32x4.relaxed_min
FD:270 f32x4.relaxed_max
FD:271 f64x2.relaxed_min
FD:272 f64x2.relaxed_max
FD:273 i16x8.relaxed_q15mulr_s
FD:274 i16x8.relaxed_dot_i8x16_i7x16_s
FD:275 i32x4.relaxed_dot_i8x16_i7x16_add_s
FE:0 memory.atomic.notify MEMARG
FE:1 memory.atomic.wait32 MEMARG
FE:2 memory.atomic.wait64 MEMARG
FE:3 atomic.fence ZERO_BYTE
FE:16 i32.atomic.load MEMARG
FE:17 i64.atomic.load MEMARG
FE:18 i32.atomic.load8_u MEMARG
FE:19 i32.atomic.load16_u MEMARG
FE:20 i64.atomic.load8_u MEMARG
FE:21 i64.atomic.load16_u MEMARG
FE:22 i64.atomic.load32_u MEMARG
FE:23 i32.atomic.store MEMARG
FE:24 i64.atomic.store MEMARG
FE:25 i32.atomic.store8 MEMARG
FE:26 i32.atomic.store16 MEMARG
FE:27 i64.atomic.store8 MEMARG
FE:28 i64.atomic.store16 MEMARG
FE:29 i64.atomic.store32 MEMARG
"""

_RMW_OPS = ("add", "sub", "and", "or", "xor", "xchg", "cmpxchg")
_RMW_SHAPES = (
    "i32.atomic.rmw.{}",
    "i64.atomic.rmw.{}",
    "i32.atomic.rmw8.{}_u",
    "i32.atomic.rmw16.{}_u",
    "i64.atomic.rmw8.{}_u",
    "i64.atomic.rmw16.{}_u",
    "i64.atomic.rmw32.{}_u",
)

# The shared-everything-threads proposal: pause, ref.i31_shared (0xFB 0x1F in
# the overview, 0xFE 0x72 as wasm-tools encodes it: both decode), and the
# atomic accesses to globals, tables, structs and arrays, each with an
# ordering immediate: family, first subopcode (prefix 0xFE), immediates,
# accesses in subopcode order.
_SHARED_EVERYTHING_TABLE = """
FB:31 ref.i31_shared
FE:114 ref.i31_shared
FE:4 pause
"""
_RMW_ACCESSES = ("rmw.add", "rmw.sub", "rmw.and", "rmw.or", "rmw.xor", "rmw.xchg", "rmw.cmpxchg")
_SHARED_ATOMICS = (
    ("global", 0x4F, "ORDER_GLOBAL", ("get", "set") + _RMW_ACCESSES),
    ("table", 0x58, "ORDER_TABLE", ("get", "set", "rmw.xchg", "rmw.cmpxchg")),
    ("struct", 0x5C, "ORDER_FIELD", ("get", "get_s", "get_u", "set") + _RMW_ACCESSES),
    ("array", 0x67, "ORDER_TYPE", ("get", "get_s", "get_u", "set") + _RMW_ACCESSES),
)

# The rounding-mode-control proposal: FC:0x80 + 20 * direction + k, where k
# follows this list and direction is ceil, floor, trunc.
ROUNDING_DIRECTIONS = ("ceil", "floor", "trunc")
_ROUNDING_SHAPES = (
    "f32.sqrt_{}", "f32.add_{}", "f32.sub_{}", "f32.mul_{}", "f32.div_{}",
    "f64.sqrt_{}", "f64.add_{}", "f64.sub_{}", "f64.mul_{}", "f64.div_{}",
    "f32.convert_{}_i32_s", "f32.convert_{}_i32_u", "f32.convert_{}_i64_s",
    "f32.convert_{}_i64_u", "f32.demote_{}_f64",
    "f64.convert_{}_i32_s", "f64.convert_{}_i32_u", "f64.convert_{}_i64_s",
    "f64.convert_{}_i64_u", "f64.promote_{}_f32",
)
#: The first subopcode of the rounding-mode-control instructions (prefix 0xFC).
ROUNDING_FIRST = 0x80


def _rows():
    for line in (_TABLE + _SHARED_EVERYTHING_TABLE).split("\n"):
        if not line:
            continue
        parts = line.split()
        code, name = parts[0], parts[1]
        kind = parts[2] if len(parts) > 2 else "NONE"
        if ":" in code:
            prefix, sub = code.split(":")
            prefix_byte, value = int(prefix, 16), int(sub)
        else:
            prefix_byte, value = None, int(code, 16)
        yield prefix_byte, value, name, kind
    sub = 0x1E
    for op in _RMW_OPS:
        for shape in _RMW_SHAPES:
            yield 0xFE, sub, shape.format(op), "MEMARG"
            sub += 1
    for family, first, kind, accesses in _SHARED_ATOMICS:
        for k, access in enumerate(accesses):
            yield 0xFE, first + k, f"{family}.atomic.{access}", kind
    sub = ROUNDING_FIRST
    for direction in ROUNDING_DIRECTIONS:
        for shape in _ROUNDING_SHAPES:
            yield 0xFC, sub, shape.format(direction), "NONE"
            sub += 1


def _op_name(text: str) -> str:
    return text.replace(".", "_").upper()


_members: dict[str, int] = {}
_text_names: dict[str, str] = {}
#: (prefix byte or None, opcode or subopcode) -> (op name, Imm)
_decode: dict[tuple, tuple[str, Imm]] = {}
for _prefix, _value, _text, _kind in _rows():
    _name = _op_name(_text)
    _code = _value if _prefix is None else (_prefix << 12) | _value
    if _name not in _members:
        _members[_name] = _code
        _text_names[_name] = _text
    _decode[(_prefix, _value)] = (_name, Imm[_kind])

Op = enum.IntEnum("Op", _members)
Op.__doc__ = "Every instruction; see the module docstring for the naming and values."
Op.text = property(lambda self: _text_names[self.name])  # type: ignore[attr-defined]

#: (prefix byte or None, opcode or subopcode) -> (Op, Imm): the decoder's table.
DECODE: dict[tuple, tuple[Op, Imm]] = {
    key: (Op[name], kind) for key, (name, kind) in _decode.items()
}

#: Op -> Imm (for ops with two binary forms, the non-null form's kind).
IMMEDIATES: dict[Op, Imm] = {}
for (_op, _kind) in DECODE.values():
    IMMEDIATES.setdefault(_op, _kind if _kind is not Imm.REFTYPE_NULL else Imm.REFTYPE)

PREFIXES = (0xFB, 0xFC, 0xFD, 0xFE)

del _prefix, _value, _text, _kind, _name, _code, _op
