"""What a WASI program is given: arguments, environment, stdio, preopens."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Union

from ..errors import UsageError
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
class WasiConfig:
    """The world a WASI command runs in.

    ``argv``: the arguments, ``argv[0]`` being the program name (empty by
    default). ``env``: environment variables (a mapping or ``(key, value)``
    pairs, in the order the program will see them). ``stdin``, ``stdout``,
    ``stderr``: None (empty input / discarded output, the default),
    ``"inherit"`` (the host process's own), bytes (stdin only), a host path,
    or a binary file object such as ``io.BytesIO``. ``preopens``:
    ``(host_dir, guest_name)`` pairs; they become fds 3, 4, ... in order, and
    are the only directories the program can reach.
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

    def inherit_env(self) -> "WasiConfig":
        """Give the program the host process's environment."""
        self.env = dict(os.environ)
        return self

    def preopen_dir(self, host: Union[str, os.PathLike], guest: str) -> "WasiConfig":
        """Give the program the host directory ``host`` under the name
        ``guest``."""
        self.preopens.append((host, guest))
        return self

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
