"""Validation: module and function typing rules, subtyping, constant
expressions.

``validate_module(module) -> ModuleInfo`` checks a decoded module and
returns its resolved types (see :mod:`engine.valid.context`);
``validate_module(module, features)`` applies the rules of a set of
proposals (see :mod:`engine.valid.features`). Canonical
types live in :mod:`engine.valid.canon`; matching of value, reference and
external types in :mod:`engine.valid.subtyping`.
"""

from .canon import DefType, RecGroup, canonicalize, func_deftype, is_subtype  # noqa: F401
from .context import ExternType, FuncInfo, ModuleInfo  # noqa: F401
from .module import validate_module  # noqa: F401
from .subtyping import (  # noqa: F401
    BOT,
    TagDesc,
    comp_sub,
    extern_sub,
    global_sub,
    heap_sub,
    limits_sub,
    mem_sub,
    ref_sub,
    results_sub,
    table_sub,
    top_heap,
    val_sub,
)
