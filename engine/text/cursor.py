"""A cursor over a token stream, with the small recognisers every part of
the parser shares: parentheses, keywords, names, literals and indices."""

from __future__ import annotations

from typing import NoReturn, Optional

from .context import Space
from .lexer import (
    EOF, ID, KEYWORD, KIND_NAMES, LPAREN, NUMBER, RPAREN, STRING, Tokens, error, utf8_name,
)
from .literals import F32, F64, LiteralError, parse_float, parse_int, parse_uint
from .optable import PLAIN


#: Keywords of the grammar other than instruction names (a misplaced one is
#: an unexpected token; any other keyword is an unknown operator).
KNOWN_KEYWORDS = frozenset("""
    module type rec sub final func struct array field mut param result local import export
    table memory global tag elem data start offset item declare then else do end ref null
    exact describes descriptor pagesize shared i32 i64 f32 f64 v128 i8 i16 any eq i31 none
    nofunc exn noexn extern noextern anyref eqref i31ref structref arrayref nullref funcref
    nullfuncref exnref nullexnref externref nullexternref binary quote block loop if try
    try_table catch catch_ref catch_all catch_all_ref delegate select
""".split()) | frozenset(PLAIN)


class Cursor:
    """Position in a :class:`~engine.text.lexer.Tokens` stream.

    ``kinds``/``values`` are the stream's lists; ``pos`` is the index of the
    next token. Methods named ``at_*`` look without consuming; the others
    consume or raise MalformedError.
    """

    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self.kinds = tokens.kinds
        self.values = tokens.values
        self.close = tokens.close
        self.pos = 0

    # --- errors ------------------------------------------------------------

    def fail(self, message: str, at: Optional[int] = None) -> NoReturn:
        """Raise MalformedError at token ``at`` (default: the next token)."""
        index = self.pos if at is None else at
        index = min(index, len(self.kinds) - 1)
        raise error(self.tokens.source, self.tokens.offsets[index], message)

    def unexpected(self, at: Optional[int] = None) -> NoReturn:
        """Reject the next token (or token ``at``)."""
        index = self.pos if at is None else at
        kind = self.kinds[index]
        if kind == KEYWORD:
            word = self.values[index]
            if word in KNOWN_KEYWORDS:
                self.fail(f"unexpected token {word}", index)
            self.fail(f"unknown operator {word}", index)
        if kind == EOF:
            self.fail("unexpected end of input", index)
        detail = KIND_NAMES[kind]
        if kind in (NUMBER, ID):
            detail += f" {'$' if kind == ID else ''}{self.values[index]}"
        self.fail(f"unexpected token ({detail})", index)

    # --- structure ---------------------------------------------------------

    def at_open(self, keyword: str) -> bool:
        """The next tokens are ``(`` and ``keyword``."""
        p = self.pos
        return self.kinds[p] == LPAREN and self.kinds[p + 1] == KEYWORD and self.values[p + 1] == keyword

    def open_keyword(self) -> Optional[str]:
        """The keyword after a ``(`` at the cursor, or None."""
        p = self.pos
        if self.kinds[p] == LPAREN and self.kinds[p + 1] == KEYWORD:
            return self.values[p + 1]
        return None

    def expect_open(self, keyword: str) -> None:
        """Consume ``(`` ``keyword``."""
        if not self.at_open(keyword):
            if self.kinds[self.pos] == LPAREN:
                self.unexpected(self.pos + 1)
            self.unexpected()
        self.pos += 2

    def expect_close(self) -> None:
        """Consume ``)``."""
        if self.kinds[self.pos] != RPAREN:
            self.unexpected()
        self.pos += 1

    def expect_lparen(self) -> None:
        """Consume ``(``."""
        if self.kinds[self.pos] != LPAREN:
            self.unexpected()
        self.pos += 1

    def at_keyword(self, keyword: str) -> bool:
        """The next token is ``keyword``."""
        return self.kinds[self.pos] == KEYWORD and self.values[self.pos] == keyword

    def keyword(self) -> str:
        """Consume a keyword and return it."""
        if self.kinds[self.pos] != KEYWORD:
            self.unexpected()
        self.pos += 1
        return self.values[self.pos - 1]

    def optional_id(self) -> Optional[str]:
        """Consume an identifier if there is one."""
        if self.kinds[self.pos] == ID:
            self.pos += 1
            return self.values[self.pos - 1]
        return None

    def skip_group(self) -> None:
        """Skip the parenthesised group starting at the cursor."""
        self.pos = self.close[self.pos] + 1

    # --- strings -----------------------------------------------------------

    def string(self) -> bytes:
        """Consume a string literal."""
        if self.kinds[self.pos] != STRING:
            self.unexpected()
        self.pos += 1
        return self.values[self.pos - 1]

    def name(self) -> str:
        """Consume a string that must be valid UTF-8 (a name)."""
        raw = self.string()
        return utf8_name(raw, self.tokens.source, self.tokens.offsets[self.pos - 1])

    def strings(self) -> bytes:
        """Consume a possibly empty sequence of strings (a data string)."""
        parts = []
        kinds, values = self.kinds, self.values
        while kinds[self.pos] == STRING:
            parts.append(values[self.pos])
            self.pos += 1
        return b"".join(parts)

    # --- numbers -----------------------------------------------------------

    def _literal(self, parse, *args) -> int:
        kind = self.kinds[self.pos]
        if kind != NUMBER and kind != KEYWORD:
            self.unexpected()
        try:
            value = parse(self.values[self.pos], *args)
        except LiteralError as exc:
            self.fail(str(exc))
        self.pos += 1
        return value

    def u32(self) -> int:
        """Consume an unsigned 32-bit literal."""
        if self.kinds[self.pos] != NUMBER:
            self.unexpected()
        return self._literal(parse_uint, 32)

    def u64(self) -> int:
        """Consume an unsigned 64-bit literal."""
        if self.kinds[self.pos] != NUMBER:
            self.unexpected()
        return self._literal(parse_uint, 64)

    def uint(self, bits: int) -> int:
        """Consume an unsigned ``bits``-wide literal."""
        if self.kinds[self.pos] != NUMBER:
            self.unexpected()
        return self._literal(parse_uint, bits)

    def int_bits(self, bits: int) -> int:
        """Consume an ``iN`` literal (unsigned two's complement result)."""
        if self.kinds[self.pos] != NUMBER:
            self.unexpected()
        return self._literal(parse_int, bits)

    def f32(self) -> int:
        """Consume an f32 literal; the raw bits."""
        return self._literal(parse_float, F32)

    def f64(self) -> int:
        """Consume an f64 literal; the raw bits."""
        return self._literal(parse_float, F64)

    # --- indices -----------------------------------------------------------

    def at_index(self) -> bool:
        """The next token can start an index (a number or an identifier)."""
        kind = self.kinds[self.pos]
        return kind == NUMBER or kind == ID

    def index(self, space: Space) -> int:
        """Consume an index into ``space``: a u32 or a bound identifier."""
        kind = self.kinds[self.pos]
        if kind == ID:
            name = self.values[self.pos]
            x = space.names.get(name)
            if x is None:
                self.fail(f"unknown {space.kind} ${name}")
            self.pos += 1
            return x
        if kind == NUMBER:
            return self.u32()
        self.unexpected()

    def optional_index(self, space: Space, default: int = 0) -> int:
        """An index if one follows, else ``default``."""
        if self.at_index():
            return self.index(space)
        return default
