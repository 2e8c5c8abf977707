"""A per-command time limit, so one hanging command cannot stall a run.

It uses ``SIGALRM``, so it works in the main thread on POSIX systems (where
pytest and its xdist workers run tests) and is a no-op elsewhere. The signal
interrupts Python code only: an engine stuck in native code is not stopped.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ["CommandTimeout", "deadline"]


class CommandTimeout(BaseException):
    """Raised into a command that ran past its limit. A BaseException, so an
    engine's ``except Exception`` cannot swallow it."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: Optional[float]) -> Iterator[None]:
    """Raise :class:`CommandTimeout` in the body after ``seconds`` (None or
    0: no limit)."""
    if not seconds or not _usable():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CommandTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
