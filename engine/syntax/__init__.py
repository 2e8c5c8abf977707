"""Abstract syntax: the types, instructions and module structure that the
decoder produces and the validator and translator consume."""

from .module import (  # noqa: F401
    BranchHint,
    CustomSection,
    Data,
    Elem,
    Export,
    Func,
    Global,
    Import,
    Module,
    SegmentMode,
    Table,
)
from .opcodes import DECODE, IMMEDIATES, CatchKind, Imm, Op  # noqa: F401
from .types import *  # noqa: F401,F403
