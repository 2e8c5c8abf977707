"""``close()`` and ``with`` blocks, as wasmtime-py's objects have them: the
:class:`~engine.errors.Managed` mixin lives with the error classes, the
lowest layer, so that types and errors can have it too."""

from ..errors import Managed

__all__ = ["Managed"]
