"""From Python source to a code object, and from a code object to a function
bound to one instance.

Each Wasm function is translated on its own (lazily, the first time any
instance calls it) into ``def F<i>(...)``. The source is wrapped in a maker
that declares every instance-bound name the function uses, so that CPython
compiles them as free variables; the inner code object is kept, once per
Module. Binding it to an instance is ``FunctionType(code, globals, name,
None, cells)`` with that instance's cells in ``co_freevars`` order: no
source is compiled per instance.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Callable, Optional

from .context import FunctionContext, ModuleContext
from .env import generated_globals
from .translator import TooDeep, Translator


@dataclass(frozen=True, slots=True)
class CompiledFunction:
    """The code object of one function and the source it came from."""

    code: types.CodeType
    source: str
    lowering: str  # "structured" or "flat"
    tail: bool  # makes tail calls: the code is a body run by a trampoline
    # the body position each line of ``source`` runs (None: none in
    # particular), and the line of the code object where ``source`` starts
    line_pcs: tuple = ()
    first_line: int = 1

    @property
    def freevars(self) -> tuple[str, ...]:
        return self.code.co_freevars

    def pc_of_line(self, lineno: int) -> Optional[int]:
        """The body position a line of the code object runs: that of the
        line, else of the nearest line above it that has one."""
        i = lineno - self.first_line
        if i >= len(self.line_pcs):
            i = len(self.line_pcs) - 1
        while i >= 0:
            pc = self.line_pcs[i]
            if pc is not None:
                return pc
            i -= 1
        return None


def translate(mctx: ModuleContext, funcidx: int) -> tuple[str, set[str], str, bool, tuple]:
    """The source of function ``funcidx``, the free names it uses, which
    lowering produced it, whether it makes tail calls, and the body
    position of each line."""
    fctx = FunctionContext(mctx)
    try:
        tr = Translator(fctx, funcidx)
        source = tr.translate()
        lowering = "structured"
    except TooDeep:
        from .flat import FlatTranslator

        fctx = FunctionContext(mctx)
        tr = FlatTranslator(fctx, funcidx)
        source = tr.translate()
        lowering = "flat"
    return source, fctx.used, lowering, tr.uses_tail, tr.line_pcs


def compile_function(mctx: ModuleContext, funcidx: int) -> CompiledFunction:
    """Translate and compile function ``funcidx`` (a defined function)."""
    source, used, lowering, tail, line_pcs = translate(mctx, funcidx)
    free = sorted(used)
    lines = ["def MAKE():"]
    if free:
        lines.append("    " + " = ".join(free) + " = None")
    first_line = len(lines) + 1
    lines.extend("    " + line if line else line for line in source.splitlines())
    lines.append(f"    return F{funcidx}")
    wrapper = "\n".join(lines) + "\n"
    module_code = compile(wrapper, f"<wasm function {funcidx}>", "exec")
    maker = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in maker.co_consts if isinstance(c, types.CodeType))
    return CompiledFunction(inner, source, lowering, tail, line_pcs, first_line)


def bind(compiled: CompiledFunction, cell_of: Callable[[str], types.CellType]) -> Callable:
    """A Python function running ``compiled`` against one instance's cells."""
    closure = tuple(cell_of(name) for name in compiled.code.co_freevars)
    return types.FunctionType(compiled.code, generated_globals(), compiled.code.co_name, None, closure)
