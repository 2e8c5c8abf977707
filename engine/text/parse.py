"""The entry point: source text (or UTF-8 bytes) to a binary module."""

from __future__ import annotations

import gc

from ..errors import MalformedError
from .encode import encode_module, name_section
from .lexer import EOF, ID, KEYWORD, LPAREN, STRING, Tokens, error, tokenize
from .module import ModuleParser

#: ``(module quote ...)`` may nest; a bound keeps that finite.
_MAX_QUOTE_DEPTH = 16


def parse_module(source: str | bytes | bytearray | memoryview, *, names: bool = False) -> bytes:
    """The binary encoding of the text module ``source``.

    ``source`` is a ``str`` or UTF-8 bytes. Raises
    :class:`~engine.errors.MalformedError` for any text that is not a
    well-formed module (and for bytes that are not UTF-8). With ``names``,
    a ``name`` section records the identifiers of the module and of its
    functions (as other toolchains' text readers do; trap backtraces show
    them), unless the module has a ``name`` custom section of its own or
    no identifiers.
    """
    return _parse(source, 0, names)


def _text(source: object) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        try:
            return bytes(source).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedError(f"malformed UTF-8 encoding (at byte {exc.start})") from None
    if not isinstance(source, str):
        raise MalformedError(f"a text module is str or bytes, not {type(source).__name__}")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedError(f"malformed UTF-8 encoding: lone surrogate (at {exc.start})") from None
    return source


def _parse(source: object, depth: int, names: bool = False) -> bytes:
    text = _text(source)
    gc_was_enabled = gc.isenabled()
    # Parsing allocates many small acyclic tuples; the cyclic collector
    # walking them repeatedly would dominate the time on large modules.
    gc.disable()
    try:
        tokens = tokenize(text)
        return _module(tokens, depth, names)
    except RecursionError:
        raise MalformedError("module nested too deeply") from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _module(tokens: Tokens, depth: int, names: bool = False) -> bytes:
    kinds, values = tokens.kinds, tokens.values
    end = len(kinds) - 1  # the EOF token
    module_name = None
    if kinds[0] == LPAREN and kinds[1] == KEYWORD and values[1] == "module":
        close = tokens.close[0]
        if kinds[close + 1] != EOF:
            raise error(tokens.source, tokens.offsets[close + 1], "unexpected token after the module")
        p = 2
        if kinds[p] == ID:
            module_name = values[p]
            p += 1
        if kinds[p] == KEYWORD and values[p] in ("binary", "quote"):
            form = values[p]
            parts = []
            p += 1
            while kinds[p] == STRING:
                parts.append(values[p])
                p += 1
            if p != close:
                raise error(tokens.source, tokens.offsets[p], "unexpected token (expected a string)")
            data = b"".join(parts)
            if form == "binary":
                return data
            if depth >= _MAX_QUOTE_DEPTH:
                raise error(tokens.source, tokens.offsets[0], "module quote nested too deeply")
            return _parse(data, depth + 1, names)
        parser = ModuleParser(tokens, p, close)
    else:
        parser = ModuleParser(tokens, 0, end)
    module = parser.parse()
    customs = list(parser.customs)
    if names and not any(c.name == "name" for c in customs):
        func_names = {i: n for n, i in parser.ctx.spaces["func"].names.items()}
        if module_name is not None or func_names:
            customs.append(name_section(module_name, func_names))
    return encode_module(module, customs, parser.func_hints)
