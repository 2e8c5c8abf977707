"""Translation of the SIMD instructions through the templates of
:mod:`engine.numeric.simd` (v128 values are 128-bit ints)."""

from __future__ import annotations

from ..syntax.opcodes import Op
from .ops_memory import _address
from .translator import _H, Translator, _Entry, _template_info, handles

# -- SIMD ---------------------------------------------------------------------------------


def _simd_tables():
    from ..numeric import simd

    return simd


@handles(Op.V128_CONST)
def _v128_const(self: Translator, ins, pc):
    simd = _simd_tables()
    self.stack.append(_Entry(self.ctx.constant(simd.v128_from_int(ins[1])), 0, True))


def _simd_op(self: Translator, ins, pc):
    simd = _simd_tables()
    op = ins[0]
    entry = simd.SIMD_OPS[op]
    tmpl = entry(ins[1]) if callable(entry) else entry
    nargs, repeated, pure = _template_info(tmpl)
    args = self.pop_n(nargs)
    for i, e in enumerate(args):
        if i in repeated and not e.simple:
            self.atom(e)
    mask = 0
    for e in args:
        mask |= e.mask
    text = tmpl.format(*[e.text for e in args])
    if pure:
        self.push(text, mask, False)
    else:
        self.push_temp(text)


def _simd_memory(self: Translator, ins, pc):
    simd = _simd_tables()
    op = ins[0]
    tmpl = simd.SIMD_MEMORY[op]
    offset, mem = ins[2], ins[3]
    lane = ins[4] if len(ins) > 4 else None
    m = self.ctx.use(f"M{mem}")
    v = self.atom(self.pop()) if "{v}" in tmpl else None
    e = self.pop()
    if offset or not e.simple:
        a = self.temp()
        self.emit(f"{a} = {_address(self, e, offset)}")
    else:
        a = e.text
    text = tmpl.format(m=m, a=a, v=v, lane=lane)
    is_store = "STORE" in op.name and "LOAD" not in op.name
    if is_store:
        self.emit(text)
    else:
        self.push_temp(text)


def _install_simd() -> None:
    for op in Op:
        if (op.value >> 12) != 0xFD or op in _H:
            continue
        name = op.name
        if name.startswith("V128_LOAD") or name.startswith("V128_STORE"):
            _H[op] = _simd_memory
        else:
            _H[op] = _simd_op


_install_simd()
