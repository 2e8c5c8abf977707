"""The WebAssembly text format: ``.wat`` source to the binary format.

:func:`parse_module` reads one module (``(module ...)``, or its fields
without the wrapper) and returns its binary encoding, which
:func:`engine.binary.decode_module` then decodes: text takes the same path
into the engine as binary. The script forms ``(module binary "...")`` and
``(module quote "...")`` are accepted too.

Anything the specification calls malformed in the text format raises
:class:`~engine.errors.MalformedError`, and no other exception escapes.
"""

from .parse import parse_module  # noqa: F401

__all__ = ["parse_module"]
