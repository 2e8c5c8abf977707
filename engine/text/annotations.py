"""The annotations the text parser interprets (all others are white space):

* ``(@custom "name" (before|after section)? "data"*)``: a custom section
  at the named place (default: after the last section); it must sit
  directly inside the module, between fields.
* ``(@metadata.code.branch_hint "\\00"|"\\01")`` before an instruction of a
  function body: a branch hint for the ``metadata.code.branch_hint``
  section.
"""

from __future__ import annotations

from typing import NamedTuple

from .lexer import ID, KEYWORD, LPAREN, RPAREN, STRING, error, utf8_name

#: Sections a placement can name, in binary order (custom placement slots
#: are numbered: before the first section 0, before section i 2i+1, after
#: it 2i+2, after the last 2n+1).
SECTION_ORDER = ("type", "import", "func", "table", "memory", "tag", "global", "export", "start",
                 "elem", "datacount", "code", "data")
SECTION_IDS = {"type": 1, "import": 2, "func": 3, "table": 4, "memory": 5, "tag": 13, "global": 6,
               "export": 7, "start": 8, "elem": 9, "datacount": 12, "code": 10, "data": 11}
LAST_SLOT = 2 * len(SECTION_ORDER) + 1


class CustomPlacement(NamedTuple):
    """A custom section and the slot it goes in."""

    slot: int
    name: str
    data: bytes


def _custom(annot, source: str) -> CustomPlacement:
    kinds, values, offsets = annot.kinds, annot.values, annot.offsets
    n = len(kinds)

    def fail(i: int, message: str):
        at = offsets[i] if i < n else annot.offset
        raise error(source, at, f"@custom annotation: {message}")

    if n == 0 or kinds[0] != STRING:
        fail(0, "missing section name")
    name = utf8_name(values[0], source, offsets[0], "@custom annotation: section name")
    i = 1
    slot = LAST_SLOT
    if i < n and kinds[i] == LPAREN:
        if i + 1 >= n or kinds[i + 1] != KEYWORD or values[i + 1] not in ("before", "after"):
            fail(i + 1, "malformed placement")
        where = values[i + 1]
        if i + 2 >= n or kinds[i + 2] != KEYWORD:
            fail(i + 2, "malformed section kind")
        section = values[i + 2]
        if section == "first" and where == "before":
            slot = 0
        elif section == "last" and where == "after":
            slot = LAST_SLOT
        elif section in SECTION_IDS:
            k = SECTION_ORDER.index(section)
            slot = 2 * k + 1 if where == "before" else 2 * k + 2
        else:
            fail(i + 2, "malformed section kind")
        if i + 3 >= n or kinds[i + 3] != RPAREN:
            fail(i + 3, "malformed placement")
        i += 4
    parts = []
    while i < n:
        if kinds[i] != STRING:
            fail(i, "unexpected token")
        parts.append(values[i])
        i += 1
    return CustomPlacement(slot, name, b"".join(parts))


def custom_sections(parser, boundaries: set) -> list[CustomPlacement]:
    """The module's ``@custom`` annotations; each must be anchored at one of
    ``boundaries`` (the token indices between the module's fields)."""
    source = parser.tokens.source
    out = []
    for annot in parser.tokens.annotations:
        if annot.name != "custom":
            continue
        if annot.anchor not in boundaries:
            raise error(source, annot.offset, "misplaced @custom annotation")
        out.append(_custom(annot, source))
    return out


def branch_hint_anchors(parser) -> dict[int, bytes]:
    """Token index -> hint payload, for every branch hint annotation."""
    source = parser.tokens.source
    out: dict[int, bytes] = {}
    for annot in parser.tokens.annotations:
        if annot.name != "metadata.code.branch_hint":
            continue
        if len(annot.kinds) != 1 or annot.kinds[0] != STRING:
            raise error(source, annot.offset, "@metadata.code.branch_hint annotation: malformed hint")
        if annot.anchor in out:
            raise error(source, annot.offset, "@metadata.code.branch_hint annotation: duplicate annotation")
        out[annot.anchor] = annot.values[0]
    return out


#: Module fields that an ``@name`` annotation may name (right after the
#: field's keyword and optional identifier).
_NAMEABLE = frozenset({"func", "tag", "global", "table", "memory", "type", "elem", "data",
                       "import"})


def check_names(parser) -> None:
    """Where ``@name`` annotations may stand: one right after ``module`` (the
    module's name), one right after the keyword (and identifier) of a field
    that has a name; anything deeper in a field is left alone (names of
    params, locals, labels and fields are not interpreted)."""
    source = parser.tokens.source
    kinds = parser.kinds
    boundaries = {p for _, p in parser.fields} | {parser.end}
    after_keyword: dict[int, str] = {}
    for keyword, p in parser.fields:
        q = p + 2
        after_keyword.setdefault(q, keyword)
        if kinds[q] == ID:
            after_keyword.setdefault(q + 1, keyword)
    module_names = 0
    for annot in parser.tokens.annotations:
        if annot.name != "name":
            continue
        if annot.anchor == parser.start:
            module_names += 1
            if module_names > 1:
                raise error(source, annot.offset, "@name annotation: multiple module names")
            continue
        if annot.anchor in boundaries:
            raise error(source, annot.offset, "misplaced @name annotation")
        keyword = after_keyword.get(annot.anchor)
        if keyword is not None and keyword not in _NAMEABLE:
            raise error(source, annot.offset, "misplaced @name annotation")
