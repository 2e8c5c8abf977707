"""The branch hint section, ``metadata.code.branch_hint`` (the
branch-hinting proposal, in the code metadata format).

The section is a custom section that comes once, before the code section::

    vec(funcidx vec(offset:u32 size:u32 value:byte))

with ``size`` 1 and ``value`` 0 (the condition is likely false) or 1 (likely
true). Function indices increase strictly, and so do the offsets of one
function; an offset counts bytes from the start of the function's code entry
(its locals declaration) and must be where an instruction starts. That the
instruction is an ``if`` or a ``br_if`` is a validation rule
(:mod:`engine.valid.module`).

An offset means something only against its body's instruction boundaries,
so the decoder reads the section when it meets it (:meth:`HintReader.read`),
decodes the bodies of hinted functions noting where each instruction starts,
and turns offsets into instruction indices then (:meth:`HintReader.resolve`).

What a broken section does: the core specification lets no custom section
make a module malformed or invalid, so by default a section with any problem
(its bytes, its place, an offset between instructions, a function without a
body) is dropped as a whole and ``Module.branch_hint_error`` says why. With
``strict`` (``Config(strict_custom_sections=True)``, what the testsuite's
``assert_malformed_custom`` and ``assert_invalid_custom`` check) those
problems are a :class:`~engine.errors.MalformedError`, and a hint on another
instruction an :class:`~engine.errors.InvalidError` from validation, as the
proposal's reference interpreter classes them.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Optional

from ..errors import MalformedError
from ..syntax.module import BranchHint, Module
from .leb128 import u32
from .types import count

SECTION_NAME = "metadata.code.branch_hint"


class HintReader:
    """The branch hint section of one module while it is being decoded."""

    __slots__ = ("strict", "module", "pending", "seen")

    def __init__(self, module: Module, strict: bool):
        self.strict = strict
        self.module = module
        #: function index -> [(offset, value)] not yet resolved; None once
        #: the section has been dropped
        self.pending: Optional[dict[int, list[tuple[int, int]]]] = {}
        self.seen = False

    def drop(self, problem: str) -> None:
        """A problem with the section: raise it when strict, else forget
        every hint of the module and note why."""
        if self.strict:
            raise MalformedError(f"malformed {SECTION_NAME} section: {problem}")
        if self.pending is not None:
            self.pending = None
            self.module.branch_hints = {}
            self.module.branch_hint_error = problem

    def read(self, data: bytes, after_code: bool) -> None:
        """The section's bytes; ``after_code`` when the code section (or one
        after it) came first."""
        if self.seen:
            self.drop("more than one section")
            return
        self.seen = True
        if after_code:
            self.drop("section after the code section")
            return
        try:
            funcs = _parse(data)
        except MalformedError as e:
            problem = str(e)
        except IndexError:
            problem = "unexpected end"
        else:
            if self.pending is not None:
                self.pending = funcs
            return
        self.drop(problem)

    def wants(self, funcidx: int) -> bool:
        """Whether the body of function ``funcidx`` has hints to resolve."""
        pending = self.pending
        return pending is not None and funcidx in pending

    def resolve(self, funcidx: int, starts: list[int]) -> None:
        """Turn the offsets of ``funcidx`` into instruction indices;
        ``starts`` are where its instructions start, in order."""
        pending = self.pending
        if pending is None:
            return
        hints = []
        for offset, value in pending.pop(funcidx):
            index = bisect_left(starts, offset)
            if index == len(starts) or starts[index] != offset:
                self.drop(f"offset {offset} in function {funcidx} is not where an instruction starts")
                return
            hints.append(BranchHint(offset, index, value == 1))
        self.module.branch_hints[funcidx] = tuple(hints)

    def finish(self) -> None:
        """After the last section: every hinted function must have had a body."""
        if self.pending:
            self.drop(f"function {min(self.pending)} is not a function with a body")


def _parse(data: bytes) -> dict[int, list[tuple[int, int]]]:
    """Function index -> [(offset, value)], checking the section's format."""
    funcs: dict[int, list[tuple[int, int]]] = {}
    n, pos = count(data, 0)
    funcidx = -1
    for _ in range(n):
        funcidx, pos = _after(data, pos, funcidx, "function indices")
        m, pos = count(data, pos)
        hints = funcs[funcidx] = []
        offset = -1
        for _ in range(m):
            offset, pos = _after(data, pos, offset, "offsets")
            size, pos = u32(data, pos)
            if size != 1:
                raise MalformedError(f"hint size {size}, not 1")
            value = data[pos]
            pos += 1
            if value > 1:
                raise MalformedError(f"invalid hint value {value}")
            hints.append((offset, value))
    if pos != len(data):
        raise MalformedError("section size mismatch")
    return funcs


def _after(data: bytes, pos: int, last: int, what: str) -> tuple[int, int]:
    """A u32 greater than ``last`` (the list it belongs to increases strictly)."""
    value, pos = u32(data, pos)
    if value <= last:
        raise MalformedError(f"{what} out of order")
    return value, pos
