"""The binary format: bytes to :class:`engine.syntax.Module`, with every
malformed check of the specification.

:func:`decode_module` is the entry point; it raises
:class:`~engine.errors.MalformedError` and nothing else for bad input.
"""

from .module import decode_module  # noqa: F401

__all__ = ["decode_module"]
