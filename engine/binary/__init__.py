"""The binary format: bytes to :class:`engine.syntax.Module`, with every
malformed check of the specification."""
