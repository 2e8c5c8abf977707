"""The module decoder: header, section framing and order, and the checks
that span sections (function and code counts, the data count)."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Optional

from ..errors import MalformedError, UsageError
from ..syntax.module import Module
from . import messages as msg
from .leb128 import u32
from .features import decode_rules
from .proposals import SECTION_NEEDS, needs_message as _needs
from .sections import FULL_RULES, DecodeState, SectionRules, read_custom

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
CUSTOM = 0


def decode_module(
    data: bytes | bytearray | memoryview, features: Optional[Iterable[str]] = None,
    strict_custom: bool = False,
) -> Module:
    """Decode the binary module ``data``.

    ``features`` is a collection of proposal names (see
    :mod:`engine.binary.proposals`) or None for all of them: an encoding
    that a disabled proposal introduced is malformed, as it was before that
    proposal.

    Raises :class:`~engine.errors.MalformedError` for any input that is not
    a well-formed binary module; validation is left to
    :mod:`engine.valid`. A bad ``features`` argument is a
    :class:`~engine.errors.UsageError`.

    The branch hint section is read into ``Module.branch_hints``; a broken
    one is dropped, or with ``strict_custom`` is a MalformedError (see
    :mod:`engine.binary.hints`).
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise UsageError(f"a binary module is bytes, not {type(data).__name__}")
    rules = FULL_RULES if features is None else decode_rules(features)
    _check_header(data)
    # A body decodes into one tuple per instruction, none of them part of a
    # reference cycle; letting the cyclic collector walk the growing heap
    # every few hundred allocations more than doubles the decoding time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode_sections(data, rules, strict_custom)
    finally:
        if gc_was_enabled:
            gc.enable()


def _decode_sections(data: bytes, rules: SectionRules, strict_custom: bool) -> Module:
    st = DecodeState(rules=rules, strict_custom=strict_custom)
    order = rules.order
    readers = rules.readers
    pos = 8
    last = 0  # rank of the last non-custom section
    last_id = 0
    size_of_data = len(data)
    while pos < size_of_data:
        section_id = data[pos]
        rank = order.get(section_id)
        if rank is None and section_id != CUSTOM:
            needs, what = SECTION_NEEDS.get(section_id, (None, ""))
            raise MalformedError(_needs(msg.SECTION_ID, needs, what))
        try:
            size, start = u32(data, pos + 1)
        except IndexError:
            raise MalformedError(msg.UNEXPECTED_END) from None
        end = start + size
        if end > size_of_data:
            raise MalformedError(msg.LENGTH)
        section = data[start:end]
        if rank is None:
            _read_section(read_custom, section, st, last_id)
        else:
            # Each non-custom section at most once, in the spec's order.
            if rank <= last:
                raise MalformedError(msg.AFTER_LAST)
            last = rank
            last_id = section_id
            _read_section(readers[section_id], section, st)
        pos = end
    return _finish(st)


def _check_header(data: bytes) -> None:
    # Magic and version are read as whole 4-byte words: a short word is an
    # unexpected end whatever its bytes.
    if len(data) < 4:
        raise MalformedError(msg.UNEXPECTED_END)
    if data[:4] != MAGIC:
        raise MalformedError(msg.MAGIC)
    if len(data) < 8:
        raise MalformedError(msg.UNEXPECTED_END)
    if data[4:8] != VERSION:
        raise MalformedError(msg.VERSION)


def _read_section(reader, section: bytes, st: DecodeState, *extra) -> None:
    try:
        pos = reader(section, 0, st, *extra)
    except IndexError:
        raise MalformedError(msg.UNEXPECTED_END_SECTION) from None
    if pos != len(section):
        raise MalformedError(msg.SECTION_SIZE)


def _finish(st: DecodeState) -> Module:
    module = st.module
    if len(module.funcs) != st.declared_funcs:
        raise MalformedError(msg.FUNC_CODE)
    if module.data_count is not None and module.data_count != len(module.datas):
        raise MalformedError(msg.DATA_COUNT)
    if st.hints is not None:
        st.hints.finish()
    return module
