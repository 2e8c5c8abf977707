"""Translation of table, memory and atomic memory instructions.

Memory accesses are ``struct`` calls or ``bytearray`` indexing on the bound
memory (``M<i>``): an access out of bounds raises ``struct.error`` or
``IndexError``, which the call boundary turns into the trap. Tables are
Python lists (``TB<i>``) with explicit bounds checks. Bulk operations are
runtime helpers (engine.compile.env), atomics engine.runtime.atomics.
"""

from __future__ import annotations

import re

from ..syntax.opcodes import Op
from .translator import _H, Translator, _Entry, handles

# -- tables --------------------------------------------------------------------


@handles(Op.TABLE_GET)
def _table_get(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    i = self.atom(self.pop())
    self.push_temp(f"{tb}[{i}] if {i} < len({tb}) else TABLE_OOB()")


@handles(Op.TABLE_SET)
def _table_set(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    v = self.pop()
    i = self.atom(self.pop())
    self.emit(f"if {i} >= len({tb}): TABLE_OOB()")
    self.emit(f"{tb}[{i}] = {v.text}")


@handles(Op.TABLE_SIZE)
def _table_size(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    self.push_temp(f"len({tb})")


@handles(Op.TABLE_GROW)
def _table_grow(self: Translator, ins, pc):
    ti = self.ctx.use(f"TI{ins[1]}")
    n = self.pop()
    v = self.pop()
    self.push_temp(f"{ti}.grow_raw({n.text}, {v.text})")


# op -> (runtime helper, instance-bound names made from the immediates
# ({0} is the first immediate), operand count): the helper is called with the
# bound names, then the operands in Wasm order, as one statement
_HELPER_CALLS = {
    Op.TABLE_FILL: ("TABLE_FILL", ("TB{0}",), 3),
    Op.TABLE_COPY: ("TABLE_COPY", ("TB{0}", "TB{1}"), 3),
    Op.TABLE_INIT: ("TABLE_INIT", ("TB{1}", "EL{0}"), 3),
    Op.MEMORY_FILL: ("MEM_FILL", ("M{0}",), 3),
    Op.MEMORY_COPY: ("MEM_COPY", ("M{0}", "M{1}"), 3),
    Op.MEMORY_INIT: ("MEM_INIT", ("M{1}", "D{0}"), 3),
    Op.ARRAY_COPY: ("ARRAY_COPY", (), 5),
    Op.ARRAY_INIT_DATA: ("ARRAY_INIT_DATA", ("D{1}",), 4),
    Op.ARRAY_INIT_ELEM: ("ARRAY_INIT_ELEM", ("EL{1}",), 4),
}


@handles(*_HELPER_CALLS)
def _helper_call(self: Translator, ins, pc):
    helper, bound, nops = _HELPER_CALLS[ins[0]]
    names = [self.ctx.use(b.format(*ins[1:])) for b in bound]
    operands = [e.text for e in self.pop_n(nops)]
    self.emit(f"{helper}({', '.join(names + operands)})")


@handles(Op.ELEM_DROP)
def _elem_drop(self: Translator, ins, pc):
    el = self.ctx.use(f"EL{ins[1]}")
    self.nonlocals.add(el)
    self.emit(f"{el} = ()")


# -- memory --------------------------------------------------------------------

# op -> (template of the loaded value, or None for a special form)
_LOADS = {
    Op.I32_LOAD: "LD_U32({m}, {a})[0]",
    Op.I64_LOAD: "LD_U64({m}, {a})[0]",
    Op.F64_LOAD: "LD_F64({m}, {a})[0]",
    Op.I32_LOAD8_U: "{m}[{a}]",
    Op.I64_LOAD8_U: "{m}[{a}]",
    Op.I32_LOAD8_S: "SX8_32[{m}[{a}]]",
    Op.I64_LOAD8_S: "SX8_64[{m}[{a}]]",
    Op.I32_LOAD16_U: "LD_U16({m}, {a})[0]",
    Op.I64_LOAD16_U: "LD_U16({m}, {a})[0]",
    Op.I32_LOAD16_S: "LD_S16({m}, {a})[0] & 0xFFFFFFFF",
    Op.I64_LOAD16_S: "LD_S16({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF",
    Op.I64_LOAD32_U: "LD_U32({m}, {a})[0]",
    Op.I64_LOAD32_S: "LD_S32({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF",
}

_STORES = {
    Op.I32_STORE: "ST_U32({m}, {a}, {v})",
    Op.I64_STORE: "ST_U64({m}, {a}, {v})",
    Op.F64_STORE: "ST_F64({m}, {a}, {v})",
    Op.I32_STORE8: "{m}[{a}] = {v} & 0xFF",
    Op.I64_STORE8: "{m}[{a}] = {v} & 0xFF",
    Op.I32_STORE16: "ST_U16({m}, {a}, {v} & 0xFFFF)",
    Op.I64_STORE16: "ST_U16({m}, {a}, {v} & 0xFFFF)",
    Op.I64_STORE32: "ST_U32({m}, {a}, {v} & 0xFFFFFFFF)",
}


def _address(self: Translator, e: _Entry, offset: int) -> str:
    if offset == 0:
        return e.text
    return f"{e.text} + {offset}"


@handles(*_LOADS)
def _load(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    a = _address(self, self.pop(), offset)
    self.push_temp(_LOADS[ins[0]].format(m=m, a=a))


@handles(Op.F32_LOAD)
def _f32_load(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    ae = self.pop()
    if offset or not ae.simple:
        a = self.temp()
        self.emit(f"{a} = {_address(self, ae, offset)}")
    else:
        a = ae.text
    t = self.push_temp(f"LD_F32({m}, {a})[0]")
    # unpacking an f32 quietens signalling NaNs: reload the bits of a NaN
    self.emit(f"if {t} != {t}: {t} = LD_F32_NAN({m}, {a})")


@handles(*_STORES)
def _store(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    v = self.pop()
    a = _address(self, self.pop(), offset)
    self.emit(_STORES[ins[0]].format(m=m, a=a, v=v.text))


@handles(Op.F32_STORE)
def _f32_store(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    v = self.atom(self.pop())
    a = _address(self, self.pop(), offset)
    self.emit(f"ST_F32({m}, {a}, {v}) if {v} == {v} else ST_U32({m}, {a}, F32_BITS({v}))")


@handles(Op.MEMORY_SIZE)
def _memory_size(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[1]}")
    m = self.ctx.use(f"M{ins[1]}")
    self.push_temp(f"len({m}) >> {mi}.page_log2")


@handles(Op.MEMORY_GROW)
def _memory_grow(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[1]}")
    n = self.pop()
    self.push_temp(f"{mi}.grow_raw({n.text})")


@handles(Op.DATA_DROP)
def _data_drop(self: Translator, ins, pc):
    data = self.ctx.use(f"D{ins[1]}")
    self.nonlocals.add(data)
    self.emit(f"{data} = b''")




# -- threads: atomic accesses ---------------------------------------------------------


def _atomic_size(name: str) -> int:
    """Access width in bytes from an op name such as I64_ATOMIC_RMW16_ADD_U."""
    m = re.search(r"(?:LOAD|STORE|RMW)(\d+)", name)
    if m:
        return int(m.group(1)) // 8
    return 8 if name.startswith("I64") else 4


def _aligned_address(self: Translator, ins, size: int) -> str:
    _align, offset, _mem = ins[1], ins[2], ins[3]
    e = self.pop()
    a = self.temp()
    self.emit(f"{a} = {_address(self, e, offset)}")
    if size > 1:
        self.emit(f"if {a} & {size - 1}: UNALIGNED()")
    return a


def _atomic_load(self: Translator, ins, pc):
    name = ins[0].name
    plain = Op[name.replace("_ATOMIC", "")]
    m = self.ctx.use(f"M{ins[3]}")
    a = _aligned_address(self, ins, _atomic_size(name))
    self.push_temp(_LOADS[plain].format(m=m, a=a))


def _atomic_store(self: Translator, ins, pc):
    # under the memory's lock, as read-modify-writes are (engine.runtime.atomics)
    mi = self.ctx.use(f"MI{ins[3]}")
    v = self.pop()
    addr = _address(self, self.pop(), ins[2])
    self.emit(f"ATOMIC_STORE({mi}, {addr}, {_atomic_size(ins[0].name)}, {v.text})")


def _atomic_rmw(self: Translator, ins, pc):
    name = ins[0].name
    size = _atomic_size(name)
    mi = self.ctx.use(f"MI{ins[3]}")
    if "CMPXCHG" in name:
        rep, exp = self.pop(), self.pop()
        a = self.pop()
        addr = _address(self, a, ins[2])
        self.push_temp(f"ATOMIC_CMPXCHG({mi}, {addr}, {size}, {exp.text}, {rep.text})")
        return
    op = re.search(r"RMW\d*_([A-Z]+)", name).group(1).lower()
    v = self.pop()
    a = self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_RMW({mi}, {addr}, {size}, RMW_{op.upper()}, {v.text})")


for _op in Op:
    if "_ATOMIC_" in _op.name and _op.name.startswith(("I32", "I64")):
        if "_ATOMIC_LOAD" in _op.name:
            _H[_op] = _atomic_load
        elif "_ATOMIC_STORE" in _op.name:
            _H[_op] = _atomic_store
        elif "_ATOMIC_RMW" in _op.name:
            _H[_op] = _atomic_rmw


@handles(Op.MEMORY_ATOMIC_WAIT32, Op.MEMORY_ATOMIC_WAIT64)
def _atomic_wait(self: Translator, ins, pc):
    size = 4 if ins[0] == Op.MEMORY_ATOMIC_WAIT32 else 8
    mi = self.ctx.use(f"MI{ins[3]}")
    timeout, expected, a = self.pop(), self.pop(), self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_WAIT({mi}, {addr}, {expected.text}, {timeout.text}, {size})")


@handles(Op.MEMORY_ATOMIC_NOTIFY)
def _atomic_notify(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[3]}")
    count, a = self.pop(), self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_NOTIFY({mi}, {addr}, {count.text})")


@handles(Op.ATOMIC_FENCE)
def _atomic_fence(self: Translator, ins, pc):
    pass
