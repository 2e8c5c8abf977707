"""The lexical format: source text to tokens.

Tokens are kept in three parallel lists (kind, value, source offset), which
is much cheaper in CPython than one object per token. Values are:

* ``KEYWORD``: the keyword text (``"i32.add"``, ``"offset=4"``, ``"nan:0x1"``);
* ``ID``: the identifier's name without the ``$`` (``$"..."`` names are
  decoded, so ``$a`` and ``$"a"`` are the same identifier);
* ``STRING``: the string's bytes, escapes resolved;
* ``NUMBER``: the token text (a word of identifier characters that does not
  start with a letter or ``$``; whether it is a valid literal depends on
  where it is used, so it is parsed there);
* ``RESERVED``: the token text;
* ``LPAREN``/``RPAREN``/``EOF``: None.

White space, comments and annotations produce no tokens. The annotations a
later stage interprets (``@custom``, ``@metadata.code.branch_hint`` and the
placement of ``@name``) are
kept aside in :attr:`Tokens.annotations`, each anchored at the index of the
token that follows it.

Longest match: a token runs until white space, a parenthesis, a line comment
or the end; any character sequence that is not a keyword, number, string or
identifier is one reserved token (``0$x``, ``"a""b"``), which no production
accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..errors import MalformedError

LPAREN, RPAREN, KEYWORD, ID, STRING, NUMBER, RESERVED, EOF = range(8)

KIND_NAMES = ("'('", "')'", "keyword", "identifier", "string", "number", "reserved token", "end of input")

#: Annotations whose contents a later stage reads; all others are white space.
KEPT_ANNOTATIONS = frozenset({"custom", "metadata.code.branch_hint", "name"})

_IDCHARS = r"0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~"
# possessive: a string has one reading, and backtracking into it would only
# cost time (linear either way, five times faster so)
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
# One lexical step: white space, a line comment, a block comment or
# annotation opener, a parenthesis, or a word (maximal run of identifier
# characters, strings and the other reserved characters; ';' only when it
# does not start a line comment).
_STEP = re.compile(
    r"(?P<ws>[ \t\n\r]+)"
    r"|(?P<line>;;[^\n\r]*)"
    r"|(?P<block>\(;)"
    r"|(?P<annot>\(@)"
    r"|(?P<lp>\()"
    r"|(?P<rp>\))"
    rf"|(?P<word>(?:[{_IDCHARS},\[\]{{}}]+|;(?!;)|{_STRING})+)",
    re.DOTALL,
)
_PLAIN_WORD = re.compile(rf"[{_IDCHARS}]+\Z")
_ONE_STRING = re.compile(_STRING + r"\Z", re.DOTALL)
_BLOCK_DELIM = re.compile(r"\(;|;\)")
_STRING_BODY_SPECIAL = re.compile(r'[\\\x00-\x1f\x7f]')
# the well-formed escapes, a run of \hh escapes as one piece (a backslash
# left in a literal piece is an illegal escape); possessive, as for _STRING
_ESCAPE_SPLIT = re.compile(r"""((?:\\[0-9A-Fa-f]{2})++|\\u\{[0-9A-Fa-f](?:_?[0-9A-Fa-f])*+\}|\\[tnr"'\\])""")
_SIMPLE_ESCAPES = {"t": 0x09, "n": 0x0A, "r": 0x0D, '"': 0x22, "'": 0x27, "\\": 0x5C}


@dataclass(slots=True)
class Annotation:
    """A kept annotation: its id, its tokens (between the id and the closing
    parenthesis), the index of the main-stream token that follows it, and
    its source offset."""

    name: str
    kinds: list
    values: list
    offsets: list
    anchor: int
    offset: int


@dataclass(slots=True)
class Tokens:
    """The token stream of one source text.

    ``close[i]`` is, for an ``LPAREN`` at index ``i``, the index of its
    matching ``RPAREN`` (other entries are meaningless). The lists end with
    one ``EOF`` token.
    """

    source: str
    kinds: list = field(default_factory=list)
    values: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    close: list = field(default_factory=list)
    annotations: list = field(default_factory=list)

    def position(self, offset: int) -> str:
        """``line:column`` (1-based) of a source offset."""
        return position(self.source, offset)


def position(source: str, offset: int) -> str:
    """``line:column`` (both 1-based) of ``offset`` in ``source``."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def error(source: str, offset: int, message: str) -> MalformedError:
    """A MalformedError whose text starts with ``message`` (as the spec
    tests word it) and ends with the position."""
    return MalformedError(f"{message} (at {position(source, offset)})")


def decode_string(body: str, source: str = "", offset: int = 0) -> bytes:
    """The bytes a string literal denotes; ``body`` is the text between the
    quotes. Characters stand for their UTF-8 encoding, ``\\hh`` for a raw
    byte.

    Linear, with no Python step per escape: one split cuts the body into
    literal runs and escapes (a run of ``\\hh`` escapes is one piece), each
    distinct piece is decoded once, and one join builds the bytes. A literal
    run that still holds a backslash or a control character is malformed."""
    if _STRING_BODY_SPECIAL.search(body) is None:
        return body.encode("utf-8")
    parts = _ESCAPE_SPLIT.split(body)
    literals = parts[0::2]
    escapes = parts[1::2]
    decoded = {e: _decode_escape(e) for e in set(escapes)}
    if None in decoded.values() or _STRING_BODY_SPECIAL.search("".join(literals)) is not None:
        _raise_first_error(parts, decoded, source, offset)
    parts[0::2] = map(str.encode, literals)
    parts[1::2] = map(decoded.__getitem__, escapes)
    return b"".join(parts)


def _decode_escape(e: str) -> Optional[bytes]:
    """The bytes of one piece the split found: a run of ``\\hh`` escapes,
    a ``\\u{...}`` escape (None when not a Unicode scalar value) or a
    one-character escape."""
    c = e[1]
    if c == "u":
        cp = int(e[3:-1].replace("_", ""), 16)
        if not (cp < 0xD800 or 0xE000 <= cp < 0x110000):
            return None
        return chr(cp).encode("utf-8")
    if c in _SIMPLE_ESCAPES:
        return bytes((_SIMPLE_ESCAPES[c],))
    return bytes.fromhex(e.replace("\\", ""))


def _raise_first_error(parts: list, decoded: dict, source: str, offset: int) -> None:
    """Raise the error of the first bad character or escape (a slow walk,
    taken only for a malformed string)."""
    pos = 0
    for k, part in enumerate(parts):
        if k % 2:
            if decoded[part] is None:
                raise error(source, offset + pos, "malformed UTF-8 encoding: not a scalar value")
        else:
            m = _STRING_BODY_SPECIAL.search(part)
            if m is not None:
                at = offset + pos + m.start()
                if m.group() == "\\":
                    raise error(source, at, "illegal escape")
                raise error(source, at, "illegal character in string")
        pos += len(part)
    raise AssertionError("no error found in a string said to be malformed")


def utf8_name(raw: bytes, source: str = "", offset: int = 0, what: str = "") -> str:
    """A name: the string's bytes must be valid UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(source, offset, "malformed UTF-8 encoding" + (f" ({what})" if what else "")) from None


def _skip_block_comment(source: str, pos: int) -> int:
    """The offset just past the block comment opening at ``pos``."""
    depth = 0
    search = _BLOCK_DELIM.search
    p = pos
    while True:
        m = search(source, p)
        if m is None:
            raise error(source, pos, "unclosed comment")
        if m.group() == "(;":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
        p = m.end()


def _classify(word: str, source: str, offset: int) -> tuple[int, object]:
    """The kind and value of a word."""
    if '"' not in word:
        if _PLAIN_WORD.match(word) is None:
            return RESERVED, word
        c = word[0]
        if c == "$":
            if len(word) == 1:
                raise error(source, offset, "empty identifier")
            return ID, word[1:]
        if "a" <= c <= "z":
            return KEYWORD, word
        return NUMBER, word
    if word[0] == '"' and _ONE_STRING.match(word):
        return STRING, decode_string(word[1:-1], source, offset + 1)
    if word[0] == "$" and _ONE_STRING.match(word, 1):
        raw = decode_string(word[2:-1], source, offset + 2)
        if not raw:
            raise error(source, offset, "empty identifier")
        return ID, utf8_name(raw, source, offset, "identifier")
    return RESERVED, word


def tokenize(source: str) -> Tokens:
    """Split ``source`` into tokens; raises MalformedError for lexical
    errors (illegal characters, unclosed strings, comments or annotations,
    unbalanced parentheses, empty identifiers)."""
    toks = Tokens(source)
    kinds, values, offsets, close = toks.kinds, toks.values, toks.offsets, toks.close
    step = _STEP.match
    n = len(source)
    pos = 0
    open_parens: list[int] = []
    pairs: list[tuple[int, int]] = []
    # Annotation frames: [name or None (dropped), depth, kinds, values, offsets, offset].
    frames: list[list] = []
    # Where the current token goes: the main stream or the innermost frame.
    out_k, out_v, out_o = kinds, values, offsets
    while pos < n:
        m = step(source, pos)
        if m is None:
            c = source[pos]
            if c == '"':
                raise error(source, pos, "unclosed string")
            raise error(source, pos, f"illegal character {c!r}")
        group = m.lastgroup
        end = m.end()
        if group == "ws" or group == "line":
            pos = end
            continue
        if group == "word":
            kind, value = _classify(m.group(), source, pos)
            out_k.append(kind)
            out_v.append(value)
            out_o.append(pos)
            pos = end
            continue
        if group == "lp":
            if frames:
                frames[-1][1] += 1
            else:
                open_parens.append(len(kinds))
            out_k.append(LPAREN)
            out_v.append(None)
            out_o.append(pos)
            pos = end
            continue
        if group == "rp":
            if frames:
                frame = frames[-1]
                frame[1] -= 1
                if frame[1] == 0:
                    frames.pop()
                    if not frames and frame[0] is not None:
                        toks.annotations.append(Annotation(
                            frame[0], frame[2], frame[3], frame[4], len(kinds), frame[5]))
                    out_k, out_v, out_o = (kinds, values, offsets) if not frames else frames[-1][2:5]
                    pos = end
                    continue
            else:
                if not open_parens:
                    raise error(source, pos, "unexpected token ')'")
                pairs.append((open_parens.pop(), len(kinds)))
            out_k.append(RPAREN)
            out_v.append(None)
            out_o.append(pos)
            pos = end
            continue
        if group == "block":
            pos = _skip_block_comment(source, pos)
            continue
        # An annotation: "(@" immediately followed by its id. Inside another
        # annotation, a "(@" without an id is just a parenthesis and tokens.
        w = step(source, end)
        if (w is None or w.lastgroup != "word") and frames:
            frames[-1][1] += 1
            out_k.append(LPAREN)
            out_v.append(None)
            out_o.append(pos)
            pos += 1
            continue
        if w is None or w.lastgroup != "word":
            raise error(source, pos, "empty annotation id")
        word = w.group()
        if _PLAIN_WORD.match(word):
            name = word
        elif word[0] == '"' and _ONE_STRING.match(word):
            raw = decode_string(word[1:-1], source, end + 1)
            if not raw:
                raise error(source, pos, "empty annotation id")
            name = utf8_name(raw, source, end, "annotation id")
        else:
            raise error(source, pos, "malformed annotation id")
        keep = name if (not frames and name in KEPT_ANNOTATIONS) else None
        frames.append([keep, 1, [], [], [], pos])
        out_k, out_v, out_o = frames[-1][2:5]
        pos = w.end()
    if frames:
        raise error(source, frames[-1][5], "unclosed annotation")
    if open_parens:
        raise error(source, offsets[open_parens[-1]], "unclosed parenthesis")
    kinds.append(EOF)
    values.append(None)
    offsets.append(n)
    close.extend([-1] * len(kinds))
    for a, b in pairs:
        close[a] = b
    return toks
