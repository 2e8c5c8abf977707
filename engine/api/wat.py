"""``wat2wasm``: the text format to the binary format, by the engine's own
text reader (:mod:`engine.text`)."""

from __future__ import annotations

from typing import Union

from ..text import parse_module


def wat2wasm(wat: Union[str, bytes]) -> bytearray:
    """The binary encoding of the text module ``wat`` (a ``str`` or UTF-8
    bytes), as a ``bytearray``, with a ``name`` section for the identifiers
    of the module and its functions; :class:`~engine.MalformedError` (a
    WasmtimeError) when it is not a well-formed text module."""
    return bytearray(parse_module(wat, names=True))
