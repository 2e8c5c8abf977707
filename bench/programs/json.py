"""A JSON reader and writer: generates, parses, hashes, writes compactly and re-parses about 12 KB per round.

The twin is json.c's algorithm in plain Python: the same document
generator, a recursive-descent parser over the bytes that builds the same
tree (nodes as lists), the same hash and the same compact writer.
"""

from __future__ import annotations

from ._common import M32, next_random, seed_for

RESULT = "i32"
FULL = (24,)
QUICK = (1,)
REDUCED = (1,)

DOC_TARGET = 12000
MAX_DEPTH = 4
NULL, FALSE, TRUE, NUMBER, STRING, ARRAY, OBJECT = range(7)

WORDS = ["id", "name", "value", "items", "price", "tags", "owner", "active",
         "north", "south", "delta", "omega", "kilo", "mega", "text", "note"]
ESCAPES = ['\\"', "\\\\", "\\n", "\\t", "\\/", "\\u00e9", "\\u4e2d", "\\u0041"]
_SPACE = b" \n\t\r"
_DIGITS = b"0123456789"


class _Generator:
    """json.c's document generator."""

    def __init__(self, seed: int):
        self.state = seed
        self.out: list[str] = []

    def draw(self) -> int:
        self.state = next_random(self.state)
        return self.state

    def space(self, x: int) -> None:
        k = x % 6
        if k == 0:
            self.out.append(" ")
        elif k == 1:
            self.out.append("\n  ")

    def string(self) -> None:
        x = self.draw()
        out = self.out
        out.append('"')
        for _ in range(x % 4 + 1):
            y = self.draw()
            out.append(ESCAPES[(y >> 8) % 8] if y % 5 == 0 else WORDS[(y >> 8) % 16])
            if (y >> 16) % 3 == 0:
                out.append(" ")
        out.append('"')

    def number(self) -> None:
        x = self.draw()
        out = self.out
        if (x >> 17) & 1:
            out.append("-")
        out.append(str(x % 100000))
        if (x >> 20) % 3 == 0:
            out.append(".")
            out.append(str(self.draw() % 10000).zfill((x >> 24) % 4 + 1))
        if (x >> 27) % 5 == 0:
            out.append("e" if (x >> 26) & 1 else "E")
            s = (x >> 22) % 3
            if s:
                out.append("-" if s == 1 else "+")
            out.append(str((x >> 8) % 21))

    def obj(self, depth: int) -> None:
        members = self.draw() % 5
        out = self.out
        out.append("{")
        for i in range(members):
            y = self.draw()
            if i:
                out.append(",")
            self.space(y)
            out.append(f'"{WORDS[y % 16]}{(y >> 4) % 10}":')
            self.space(y >> 12)
            self.value(depth + 1)
        out.append("}")

    def array(self, depth: int) -> None:
        items = self.draw() % 6
        out = self.out
        out.append("[")
        for i in range(items):
            if i:
                out.append(",")
                self.space(self.draw())
            self.value(depth + 1)
        out.append("]")

    def value(self, depth: int) -> None:
        x = self.draw()
        kind = x % 4 if depth >= MAX_DEPTH else x % 8
        if kind <= 1:
            self.number()
        elif kind == 2:
            self.string()
        elif kind == 3:
            k = (x >> 8) % 3
            self.out.append("true" if k == 0 else "false" if k == 1 else "null")
        elif kind <= 5:
            self.array(depth)
        else:
            self.obj(depth)


def generate(seed: int) -> bytes:
    """The document json.c generates for ``seed``."""
    g = _Generator(seed)
    g.out.append("[")
    length = counted = 1
    while length < DOC_TARGET:
        if length > 1:
            g.out.append(",\n")
        g.obj(1)
        length += sum(map(len, g.out[counted:]))
        counted = len(g.out)
    g.out.append("]")
    return "".join(g.out).encode()


class _Parser:
    """json.c's recursive-descent parser. A node is a list:
    [type, children, key, payload] where children is a list of nodes (arrays
    and objects), key the member's key bytes (or None), payload the decoded
    string bytes or the (mantissa, exponent) of a number."""

    def __init__(self, text: bytes):
        self.text = text
        self.at = 0

    def fail(self) -> None:
        raise ValueError(f"bad JSON at {self.at}")

    def skip_space(self) -> None:
        text, at, n = self.text, self.at, len(self.text)
        while at < n and text[at] in _SPACE:
            at += 1
        self.at = at

    def expect(self, c: int) -> None:
        if self.at >= len(self.text) or self.text[self.at] != c:
            self.fail()
        self.at += 1

    def string(self) -> bytes:
        self.expect(34)
        text = self.text
        out = bytearray()
        at = self.at
        while True:
            c = text[at]
            at += 1
            if c == 34:
                self.at = at
                return bytes(out)
            if c != 92:
                if c < 0x20:
                    self.at = at
                    self.fail()
                out.append(c)
                continue
            c = text[at]
            at += 1
            if c in b'"\\/':
                out.append(c)
            elif c == 98:
                out.append(8)
            elif c == 102:
                out.append(12)
            elif c == 110:
                out.append(10)
            elif c == 114:
                out.append(13)
            elif c == 116:
                out.append(9)
            elif c == 117:
                cp = int(text[at:at + 4], 16)
                at += 4
                if 0xD800 <= cp <= 0xDFFF:
                    self.fail()
                out += chr(cp).encode()
            else:
                self.at = at
                self.fail()

    def number(self) -> tuple[int, int]:
        text, at = self.text, self.at
        n = len(text)
        negative = text[at] == 45
        if negative:
            at += 1
        mantissa = exponent = digits = 0
        if at >= n or text[at] not in _DIGITS:
            self.fail()
        if text[at] == 48:
            at += 1
        else:
            while at < n and text[at] in _DIGITS:
                digits += 1
                mantissa = mantissa * 10 + text[at] - 48
                at += 1
        if at < n and text[at] == 46:
            at += 1
            if at >= n or text[at] not in _DIGITS:
                self.fail()
            while at < n and text[at] in _DIGITS:
                digits += 1
                mantissa = mantissa * 10 + text[at] - 48
                exponent -= 1
                at += 1
        if at < n and text[at] in b"eE":
            at += 1
            exp_negative = False
            if at < n and text[at] in b"+-":
                exp_negative = text[at] == 45
                at += 1
            if at >= n or text[at] not in _DIGITS:
                self.fail()
            e = 0
            while at < n and text[at] in _DIGITS:
                e = e * 10 + text[at] - 48
                at += 1
            exponent += -e if exp_negative else e
        if digits > 18:
            self.fail()
        self.at = at
        return (-mantissa if negative else mantissa), exponent

    def literal(self, word: bytes) -> None:
        if self.text[self.at:self.at + len(word)] != word:
            self.fail()
        self.at += len(word)

    def value(self, depth: int) -> list:
        if depth >= 64:
            self.fail()
        self.skip_space()
        c = self.text[self.at] if self.at < len(self.text) else 0
        if c == 123:
            self.at += 1
            node = [OBJECT, [], None, None]
            self.skip_space()
            if self.text[self.at] == 125:
                self.at += 1
                return node
            while True:
                self.skip_space()
                key = self.string()
                self.skip_space()
                self.expect(58)
                child = self.value(depth + 1)
                child[2] = key
                node[1].append(child)
                self.skip_space()
                if self.text[self.at] == 44:
                    self.at += 1
                    continue
                self.expect(125)
                return node
        if c == 91:
            self.at += 1
            node = [ARRAY, [], None, None]
            self.skip_space()
            if self.text[self.at] == 93:
                self.at += 1
                return node
            while True:
                node[1].append(self.value(depth + 1))
                self.skip_space()
                if self.text[self.at] == 44:
                    self.at += 1
                    continue
                self.expect(93)
                return node
        if c == 34:
            return [STRING, None, None, self.string()]
        if c == 116:
            self.literal(b"true")
            return [TRUE, None, None, None]
        if c == 102:
            self.literal(b"false")
            return [FALSE, None, None, None]
        if c == 110:
            self.literal(b"null")
            return [NULL, None, None, None]
        return [NUMBER, None, None, self.number()]


def parse(text: bytes) -> list:
    """The tree of ``text`` (ValueError if it is not one JSON value)."""
    parser = _Parser(text)
    try:
        root = parser.value(0)
    except IndexError:
        # the text ended inside a value (the C program's peek() sees a 0)
        raise ValueError("JSON text ends early") from None
    parser.skip_space()
    if parser.at != len(text):
        parser.fail()
    return root


def _mix(h: int, v: int) -> int:
    h = ((h ^ v) * 0x9E3779B1) & M32
    return h ^ h >> 16


def _hash_bytes(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & M32
    return h


def hash_tree(node: list) -> int:
    """json.c's hash_tree."""
    kind = node[0]
    h = _mix(0x811C9DC5, kind)
    if kind == NUMBER:
        mantissa, exponent = node[3]
        m = mantissa & 0xFFFFFFFFFFFFFFFF
        h = _mix(_mix(_mix(h, m & M32), m >> 32), exponent & M32)
    elif kind == STRING:
        h = _mix(h, _hash_bytes(node[3]))
    elif kind == ARRAY or kind == OBJECT:
        children = node[1]
        h = _mix(h, len(children))
        for child in children:
            if kind == OBJECT:
                h = _mix(h, _hash_bytes(child[2]))
            h = _mix(h, hash_tree(child))
    return h


def _write_string(out: list[bytes], data: bytes) -> None:
    out.append(b'"')
    for b in data:
        if b == 34 or b == 92:
            out.append(b"\\" + bytes((b,)))
        elif b < 0x20:
            out.append(b"\\u%04x" % b)
        else:
            out.append(bytes((b,)))
    out.append(b'"')


_LITERALS = {NULL: b"null", TRUE: b"true", FALSE: b"false"}


def write(node: list, out: list[bytes]) -> None:
    """json.c's write_tree: the tree as compact JSON, appended to ``out``."""
    kind = node[0]
    if kind in _LITERALS:
        out.append(_LITERALS[kind])
    elif kind == NUMBER:
        mantissa, exponent = node[3]
        out.append(b"%d" % mantissa)
        if exponent:
            out.append(b"e%d" % exponent)
    elif kind == STRING:
        _write_string(out, node[3])
    else:
        out.append(b"[" if kind == ARRAY else b"{")
        for i, child in enumerate(node[1]):
            if i:
                out.append(b",")
            if kind == OBJECT:
                _write_string(out, child[2])
                out.append(b":")
            write(child, out)
        out.append(b"]" if kind == ARRAY else b"}")


def run(rounds: int) -> int:
    """json.c's run: the checksum of ``rounds`` parse, write, re-parse rounds."""
    checksum = 0
    for round_ in range(rounds):
        first_tree = parse(generate(seed_for(round_)))
        first = hash_tree(first_tree)
        out: list[bytes] = []
        write(first_tree, out)
        compact = b"".join(out)
        if hash_tree(parse(compact)) != first:
            raise AssertionError("the compact text parses to another tree")
        checksum = _mix(checksum, first) ^ len(compact)
    return checksum
