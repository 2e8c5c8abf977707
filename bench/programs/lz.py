"""LZ77 compression round trip (hash chains, LZ4-style format) over 16 KiB of pseudo-text per round.

The twin is lz.c's algorithm in plain Python: the same text generator,
match finder, byte format and checks; literal runs are copied by slicing,
as a Python programmer would.
"""

from __future__ import annotations

from ._common import M32, next_random, seed_for

RESULT = "i32"
FULL = (8,)
QUICK = (1,)
REDUCED = (1,)

BLOCK = 16384
HASH_BITS = 12
MAX_CHAIN = 16
MIN_MATCH = 4
MAX_MATCH = 272

WORDS = [w.encode() for w in (
    "alpha", "beta", "gamma", "delta", "signal", "vector", "matrix", "stream",
    "packet", "buffer", "window", "symbol", "token", "record", "header", "footer",
    "the", "of", "and", "to", "in", "is", "for", "on",
    "compress", "expand", "literal", "match", "offset", "length", "history", "table")]


def make_text(size: int, seed: int) -> bytes:
    """Words, numbers, commas and line breaks drawn from the generator."""
    x = seed
    out = bytearray()
    while len(out) < size:
        x = next_random(x)
        if (x >> 8) % 9 == 0:
            out += str(x >> 20).encode()
        else:
            out += WORDS[x & 31]
        k = 10 if (x >> 13) % 11 == 0 else 44 if (x >> 17) % 7 == 0 else 32
        out.append(k)
    return bytes(out[:size])


def _put_length(dst: bytearray, rest: int) -> None:
    while rest >= 255:
        dst.append(255)
        rest -= 255
    dst.append(rest)


def _put_sequence(dst: bytearray, literals: bytes, match: int, offset: int) -> None:
    lit = len(literals)
    ml = match - MIN_MATCH if match else 0
    dst.append(min(lit, 15) << 4 | min(ml, 15))
    if lit >= 15:
        _put_length(dst, lit - 15)
    dst += literals
    if match:
        dst.append(offset & 255)
        dst.append(offset >> 8)
        if ml >= 15:
            _put_length(dst, ml - 15)


def compress(src: bytes) -> bytes:
    """src in the LZ4-style format, as lz.c's compress writes it."""
    n = len(src)
    shift = 32 - HASH_BITS
    head = [-1] * (1 << HASH_BITS)
    chain = [-1] * n
    dst = bytearray()
    pos = anchor = 0

    def insert(p: int) -> None:
        h = ((int.from_bytes(src[p:p + 4], "little") * 2654435761) & M32) >> shift
        chain[p] = head[h]
        head[h] = p

    while pos + MIN_MATCH <= n:
        limit = min(n - pos, MAX_MATCH)
        best_len = best_off = 0
        h = ((int.from_bytes(src[pos:pos + 4], "little") * 2654435761) & M32) >> shift
        candidate = head[h]
        tries = MAX_CHAIN
        while candidate >= 0 and tries > 0:
            if src[candidate + best_len] == src[pos + best_len]:
                length = 0
                while length < limit and src[candidate + length] == src[pos + length]:
                    length += 1
                if length > best_len:
                    best_len = length
                    best_off = pos - candidate
                    if length == limit:
                        break
            candidate = chain[candidate]
            tries -= 1
        chain[pos] = head[h]
        head[h] = pos
        if best_len >= MIN_MATCH:
            _put_sequence(dst, src[anchor:pos], best_len, best_off)
            k = 1
            while k < best_len and pos + k + MIN_MATCH <= n:
                insert(pos + k)
                k += 1
            pos += best_len
            anchor = pos
        else:
            pos += 1
    _put_sequence(dst, src[anchor:n], 0, 0)
    return bytes(dst)


def _get_length(src: bytes, ip: int) -> tuple[int, int]:
    total = 0
    while True:
        b = src[ip]
        ip += 1
        total += b
        if b != 255:
            return total, ip


def decompress(src: bytes) -> bytes:
    """The bytes compress() was given."""
    size = len(src)
    dst = bytearray()
    ip = 0
    while ip < size:
        token = src[ip]
        ip += 1
        lit = token >> 4
        if lit == 15:
            extra, ip = _get_length(src, ip)
            lit += extra
        dst += src[ip:ip + lit]
        ip += lit
        if ip >= size:
            break
        offset = src[ip] | src[ip + 1] << 8
        ip += 2
        match = token & 15
        if match == 15:
            extra, ip = _get_length(src, ip)
            match += extra
        match += MIN_MATCH
        if not 0 < offset <= len(dst):
            raise ValueError("corrupt offset")
        start = len(dst) - offset
        if offset >= match:
            dst += dst[start:start + match]
        else:
            # the match overlaps the bytes it produces: byte by byte
            for k in range(match):
                dst.append(dst[start + k])
    return bytes(dst)


def run(rounds: int) -> int:
    """lz.c's run: compress, decompress and check ``rounds`` blocks; the checksum."""
    checksum = 0
    for round_ in range(rounds):
        text = make_text(BLOCK, seed_for(round_))
        packed = compress(text)
        if decompress(packed) != text:
            raise AssertionError("round trip failed")
        h = 2166136261
        for b in packed:
            h = ((h ^ b) * 16777619) & M32
        checksum = (((checksum * 31 + len(packed)) & M32) ^ h)
    return checksum
