"""``Module.serialize`` / ``Module.deserialize``: a module in a byte string.

What is stored is the module's binary in a versioned container, and
deserialising decodes, validates and compiles it again for the engine at
hand: a module survives a round trip whatever the engine's settings, and a
container written by another version of the engine (or not by the engine
at all, or damaged) is refused with a :class:`~engine.WasmtimeError`.
(A cache of generated code may later take the binary's place in the same
container; until then deserialising costs what compiling costs.) Only
deserialise bytes you trust, as with wasmtime-py.

Layout: the magic ``\\0transwasm-module\\0``, one byte of format, the engine
version (a u16 length and UTF-8), the binary (a u64 length and its bytes),
and the SHA-256 of everything before it.
"""

from __future__ import annotations

import hashlib
import struct

from ..errors import UsageError

MAGIC = b"\0transwasm-module\0"
FORMAT = 1


def engine_version() -> str:
    """The version of the engine (the installed package's, else "unknown")."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - always there on Python >= 3.8
        return "unknown"
    try:
        return version("transwasm")
    except PackageNotFoundError:
        return "unknown"


def pack(wasm: bytes) -> bytearray:
    """The container for the module binary ``wasm``."""
    tag = engine_version().encode()
    body = MAGIC + bytes((FORMAT,)) + struct.pack("<H", len(tag)) + tag \
        + struct.pack("<Q", len(wasm)) + bytes(wasm)
    return bytearray(body + hashlib.sha256(body).digest())


def unpack(data: bytes) -> bytes:
    """The module binary a container holds; :class:`~engine.UsageError`
    (a WasmtimeError) when ``data`` is not a container of this engine."""
    try:
        data = bytes(data)
    except TypeError:
        raise UsageError(f"expected bytes, got {type(data).__name__}") from None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 1 + 2 + 8 + 32:
        raise UsageError("not a serialized module of this engine")
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        raise UsageError("serialized module is damaged (checksum mismatch)")
    try:
        return _read(body)
    except (struct.error, IndexError):
        raise UsageError("serialized module is damaged (truncated)") from None


def _read(body: bytes) -> bytes:
    pos = len(MAGIC)
    if body[pos] != FORMAT:
        raise UsageError(f"serialized module has format {body[pos]}, this engine reads {FORMAT}")
    pos += 1
    (n,) = struct.unpack_from("<H", body, pos)
    pos += 2
    tag = body[pos:pos + n].decode("utf-8", "replace")
    pos += n
    if tag != engine_version():
        raise UsageError(f"module serialized by engine version {tag}, this is {engine_version()}")
    (size,) = struct.unpack_from("<Q", body, pos)
    pos += 8
    if pos + size != len(body):
        raise UsageError("serialized module is damaged (bad length)")
    return body[pos:]
