"""The WebAssembly text format: ``.wat`` source to the binary format.

:func:`parse_module` reads one module (``(module ...)``, or its fields
without the wrapper) and returns its binary encoding, which
:func:`engine.binary.decode_module` then decodes: text takes the same path
into the engine as binary. The script forms ``(module binary "...")`` and
``(module quote "...")`` are accepted too. Anything the specification calls
malformed in the text format raises :class:`~engine.errors.MalformedError`
(its message starts with the wording of the spec tests and ends with the
line and column), and no other exception escapes.

The pipeline, one module per step:

* :mod:`~engine.text.lexer`: characters to tokens (comments, strings,
  identifiers, annotations);
* :mod:`~engine.text.literals`: integer and float literals, exactly rounded;
* :mod:`~engine.text.cursor`, :mod:`~engine.text.context`: token access,
  index spaces and identifier resolution;
* :mod:`~engine.text.types`, :mod:`~engine.text.instructions`,
  :mod:`~engine.text.module`: the grammar, building an
  :class:`engine.syntax.Module` (implicit function types appended to the
  type section as the spec says);
* :mod:`~engine.text.annotations`: ``@custom`` sections and branch hints;
* :mod:`~engine.text.encode`: the module's binary encoding (shortest
  LEB128 forms; a data count section only when code uses data indices);
* :mod:`~engine.text.script`: a splitter for ``.wast`` scripts (tests).

``python -m engine.text FILE.wat -o FILE.wasm`` assembles from the command
line.
"""

from .parse import parse_module  # noqa: F401

__all__ = ["parse_module"]
