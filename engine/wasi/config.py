"""What a WASI program is given: arguments, environment, stdio, preopens."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from ..errors import UsageError
from ..runtime.managed import Managed
from .streams import StdioSpec

Text = Union[str, bytes]


def _encode(text: Text) -> bytes:
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise UsageError(f"expected str or bytes, got {type(text).__name__}")
    # surrogateescape: host arguments that are not UTF-8 reach the guest as
    # the bytes they were.
    return text.encode("utf-8", "surrogateescape")


@dataclass
class WasiConfig(Managed):
    """The world a WASI command runs in.

    ``argv``: the arguments, ``argv[0]`` being the program name (empty by
    default). ``env``: environment variables (a mapping or ``(key, value)``
    pairs, in the order the program will see them). ``stdin``, ``stdout``,
    ``stderr``: None (empty input / discarded output, the default),
    ``"inherit"`` (the host process's own), bytes (stdin only), a host path,
    or a binary file object such as ``io.BytesIO``. ``preopens``:
    ``(host_dir, guest_name)`` pairs, or ``(host_dir, guest_name, writable)``
    triples; they become fds 3, 4, ... in order, and are the only
    directories the program can reach (read-only ones without the rights
    to create, change or remove anything).

    wasmtime-py's spelling works too: ``config.argv = [...]``,
    ``config.env = [(key, value), ...]``, ``inherit_argv()``,
    ``inherit_env()``, ``inherit_stdin()`` / ``inherit_stdout()`` /
    ``inherit_stderr()``, the settable properties ``stdin_file``,
    ``stdout_file``, ``stderr_file`` (paths, checked and opened when set,
    output files created or truncated then) and ``stdout_custom`` /
    ``stderr_custom`` (a callable given each write's bytes, returning the
    number of bytes it took or None for all), and
    ``preopen_dir(path, guest_path, fs_mutable=True)``.
    """

    argv: list[Text] = field(default_factory=list)
    env: Union[Mapping[Text, Text], list[tuple[Text, Text]]] = field(default_factory=dict)
    stdin: StdioSpec = None
    stdout: StdioSpec = None
    stderr: StdioSpec = None
    preopens: list[tuple[Union[str, os.PathLike], str]] = field(default_factory=list)

    def inherit_stdio(self) -> "WasiConfig":
        """Use the host process's stdin, stdout and stderr."""
        self.stdin = self.stdout = self.stderr = "inherit"
        return self

    def inherit_stdin(self) -> "WasiConfig":
        """Use the host process's stdin."""
        self.stdin = "inherit"
        return self

    def inherit_stdout(self) -> "WasiConfig":
        """Use the host process's stdout."""
        self.stdout = "inherit"
        return self

    def inherit_stderr(self) -> "WasiConfig":
        """Use the host process's stderr."""
        self.stderr = "inherit"
        return self

    def inherit_env(self) -> "WasiConfig":
        """Give the program the host process's environment."""
        self.env = dict(os.environ)
        return self

    def inherit_argv(self) -> "WasiConfig":
        """Give the program the host process's arguments (``sys.argv``)."""
        self.argv = list(sys.argv)
        return self

    def preopen_dir(self, host: Union[str, os.PathLike], guest: str,
                    fs_mutable: bool = True) -> "WasiConfig":
        """Give the program the host directory ``host`` under the name
        ``guest``; with ``fs_mutable=False`` read-only (nothing in it can be
        created, written, renamed or removed). The directory must exist."""
        if not os.path.isdir(host):
            raise UsageError(f"failed to add preopen dir: {host!r} is not a directory")
        self.preopens.append((host, guest, bool(fs_mutable)))
        return self

    def _set_input(self, path: Any) -> None:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise UsageError(f"failed to set stdin file: cannot read {path!r}")
        self.stdin = os.fspath(path)

    def _output(self, path: Any, what: str) -> str:
        try:
            with open(path, "wb"):
                pass  # created or truncated now, as wasmtime-py does
        except (OSError, TypeError, ValueError) as e:
            raise UsageError(f"failed to set {what} file: {e}") from None
        return os.fspath(path)

    stdin_file = property(None, _set_input, doc="Read stdin from this host file.")
    stdout_file = property(None, lambda self, path: setattr(self, "stdout", self._output(path, "stdout")),
                           doc="Write stdout to this host file (created or truncated).")
    stderr_file = property(None, lambda self, path: setattr(self, "stderr", self._output(path, "stderr")),
                           doc="Write stderr to this host file (created or truncated).")
    stdout_custom = property(None, lambda self, cb: setattr(self, "stdout", CustomOutput(cb)),
                             doc="Give every write to stdout to this callable.")
    stderr_custom = property(None, lambda self, cb: setattr(self, "stderr", CustomOutput(cb)),
                             doc="Give every write to stderr to this callable.")

    def encoded_args(self) -> list[bytes]:
        """``argv`` as the bytes the guest receives."""
        out = [_encode(a) for a in self.argv]
        if any(b"\0" in a for a in out):
            raise UsageError("a program argument holds a NUL byte")
        return out

    def encoded_env(self) -> list[bytes]:
        """The ``KEY=VALUE`` strings the guest receives."""
        pairs: Iterable = self.env.items() if isinstance(self.env, Mapping) else self.env
        out = []
        for key, value in pairs:
            key_b = _encode(key)
            if not key_b or b"=" in key_b or b"\0" in key_b:
                raise UsageError(f"bad environment variable name {key!r}")
            value_b = _encode(value)
            if b"\0" in value_b:
                raise UsageError(f"environment variable {key!r} holds a NUL byte")
            out.append(key_b + b"=" + value_b)
        return out


class CustomOutput:
    """An output stream that hands each write to a callable:
    ``callback(data: bytes)`` returns the number of bytes it took (None:
    all of them)."""

    def __init__(self, callback: Callable[[bytes], Optional[int]]):
        if not callable(callback):
            raise UsageError("a custom output needs a callable")
        self.callback = callback

    def write(self, data: bytes) -> int:
        taken = self.callback(bytes(data))
        return len(data) if taken is None else int(taken)
