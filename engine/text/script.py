"""A small splitter for ``.wast`` scripts: the top-level commands and, for
those that carry a module, the module's source text.

Only the structure is read: the commands' other arguments (invocations,
expected values) are left to a harness. A module is reported with its form:
``text`` (an ordinary module), ``quote`` (text given as strings) or
``binary``; ``source`` is text that :func:`engine.text.parse_module`
accepts as it is (for ``module definition`` the ``definition`` keyword is
dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .lexer import ID, KEYWORD, LPAREN, Tokens, tokenize

#: Commands whose first argument is a module.
MODULE_ASSERTIONS = frozenset({
    "assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable",
    "assert_trap", "assert_exhaustion", "assert_malformed_custom", "assert_invalid_custom",
})


@dataclass(frozen=True)
class ScriptModule:
    """A module inside a script command."""

    form: str
    source: str
    name: Optional[str] = None
    line: int = 0


@dataclass(frozen=True)
class ScriptCommand:
    """One top-level command: its keyword, 1-based line, and its module
    (None for commands without one)."""

    kind: str
    line: int
    module: Optional[ScriptModule]


def _module_at(tokens: Tokens, p: int, command: int, line: int) -> Optional[ScriptModule]:
    """The module whose ``(module`` starts at token ``p``, if any, in the
    command starting at token ``command`` on ``line``."""
    kinds, values, offsets, src = tokens.kinds, tokens.values, tokens.offsets, tokens.source
    if not (kinds[p] == LPAREN and kinds[p + 1] == KEYWORD and values[p + 1] == "module"):
        return None
    close = tokens.close[p]
    end = offsets[close] + 1
    q = p + 2
    name = None
    definition = False
    if kinds[q] == KEYWORD and values[q] == "definition":
        definition = True
        q += 1
    if kinds[q] == ID:
        name = values[q]
        q += 1
    form = "text"
    if kinds[q] == KEYWORD and values[q] in ("binary", "quote"):
        form = values[q]
    elif kinds[q] == KEYWORD and values[q] == "instance":
        return None
    if definition:
        # Drop the keyword: the rest is an ordinary module.
        source = "(module " + src[offsets[p + 3]:end]
    else:
        source = src[offsets[p]:end]
    line += src.count("\n", offsets[command], offsets[p])
    return ScriptModule(form, source, name, line)


def split_script(text: str) -> list[ScriptCommand]:
    """The commands of a ``.wast`` script, in order."""
    tokens = tokenize(text)
    kinds, values, offsets = tokens.kinds, tokens.values, tokens.offsets
    commands = []
    p = 0
    n = len(kinds) - 1
    line, counted = 1, 0
    while p < n:
        if kinds[p] != LPAREN or kinds[p + 1] != KEYWORD:
            raise ValueError(f"unexpected token at {tokens.position(offsets[p])}")
        kind = values[p + 1]
        line += text.count("\n", counted, offsets[p])
        counted = offsets[p]
        module = None
        if kind == "module":
            module = _module_at(tokens, p, p, line)
        elif kind in MODULE_ASSERTIONS:
            module = _module_at(tokens, p + 2, p, line)
        commands.append(ScriptCommand(kind, line, module))
        p = tokens.close[p] + 1
    return commands
