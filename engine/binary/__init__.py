"""The binary format: bytes to :class:`engine.syntax.Module`, with every
malformed check of the specification.

:func:`decode_module` is the entry point; it raises
:class:`~engine.errors.MalformedError` and nothing else for bad input.

``decode_module(data, features)`` decodes the format of a set of proposals
(see :mod:`engine.binary.proposals` for the names and
:mod:`engine.binary.features` for what each switch changes).
"""

from .module import decode_module  # noqa: F401

__all__ = ["decode_module"]
