"""The one error the benchmark runner reports to its user as a message."""

from __future__ import annotations


class BenchError(Exception):
    """A problem with the benchmark setup (a kernel that does not load, no
    WAT compiler, an unwritable output file): printed, never a traceback."""
