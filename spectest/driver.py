"""A process-protocol driver for any in-process adapter: the reference
implementation of ``spectest/PROTOCOL.md``'s driver side.

``python -m spectest.driver engine`` serves this project's engine on
standard input and output, so ``--engine 'exec:python -m spectest.driver
engine'`` runs the suite through the process protocol end to end (and must
give the same results as ``--engine engine``). Any adapter name works
(``wasmtime``, ``pywasm``, an entry point).

Requests are served one at a time, in order; a ``thread`` context gets its
own child session of the adapter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any, Callable, Optional

from .outcomes import Outcome
from .protocol import PROTOCOL_VERSION, ProtocolError, decode_value, encode_value, outcome_name_of
from .script import ModuleSource

__all__ = ["Driver", "main"]


class Driver:
    """Serves one adapter over the protocol."""

    def __init__(self, adapter: Any):
        self.adapter = adapter
        self.handles: dict[int, Any] = {}
        self.sessions: dict[int, Any] = {}
        self._next = 1

    def _keep(self, obj: Any) -> int:
        handle = self._next
        self._next += 1
        self.handles[handle] = obj
        return handle

    def _get(self, message: dict[str, Any], key: str) -> Any:
        handle = message.get(key)
        if handle not in self.handles:
            raise ProtocolError(f"unknown {key} handle {handle!r}")
        return self.handles[handle]

    def _session(self, message: dict[str, Any]) -> Any:
        ctx = message.get("ctx", 0)
        if ctx not in self.sessions:
            raise ProtocolError(f"no session {ctx!r} (send 'session' first)")
        return self.sessions[ctx]

    @staticmethod
    def _source(message: dict[str, Any]) -> ModuleSource:
        for key in ("binary", "text"):
            if isinstance(message.get(key), str):
                path = Path(message[key])
                return (ModuleSource(path.parent, path.name, None) if key == "binary"
                        else ModuleSource(path.parent, None, path.name))
        raise ProtocolError("load needs 'binary' or 'text'")

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        """The reply to one request (``id`` added by the caller)."""
        op = message.get("op")
        ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "hello": self._hello, "session": self._new_session, "load": self._load,
            "instantiate": self._instantiate, "register": self._register,
            "invoke": self._invoke, "get": self._read_global, "thread": self._thread,
        }
        fn = ops.get(op) if isinstance(op, str) else None
        if fn is None:
            raise ProtocolError(f"unknown op {op!r}")
        try:
            return fn(message)
        except Outcome as exc:
            reply: dict[str, Any] = {"outcome": outcome_name_of(exc), "message": exc.message}
            if reply["outcome"] == "unsupported":
                reply["reason"] = getattr(exc, "reason", "unsupported")
            return reply

    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        from .adapters import claims_of, version_of

        return {"outcome": "returned", "protocol": PROTOCOL_VERSION,
                "engine": version_of(self.adapter), "reads_text": bool(self.adapter.reads_text),
                "claims": sorted(claims_of(self.adapter))}

    def _new_session(self, message: dict[str, Any]) -> dict[str, Any]:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()
        self.handles.clear()
        disabled = message.get("disabled", [])
        self.sessions[0] = self.adapter.session(frozenset(disabled))
        return {"outcome": "returned"}

    def _load(self, message: dict[str, Any]) -> dict[str, Any]:
        module = self._session(message).compile(self._source(message))
        return {"outcome": "returned", "handle": self._keep(module)}

    def _instantiate(self, message: dict[str, Any]) -> dict[str, Any]:
        instance = self._session(message).instantiate(self._get(message, "module"))
        return {"outcome": "returned", "handle": self._keep(instance)}

    def _register(self, message: dict[str, Any]) -> dict[str, Any]:
        self._session(message).register(str(message.get("name")), self._get(message, "instance"))
        return {"outcome": "returned"}

    def _invoke(self, message: dict[str, Any]) -> dict[str, Any]:
        args = [decode_value(a) for a in message.get("args", [])]
        results = self._session(message).invoke(self._get(message, "instance"),
                                                str(message.get("field")), args)
        return {"outcome": "returned", "results": [encode_value(v) for v in results]}

    def _read_global(self, message: dict[str, Any]) -> dict[str, Any]:
        value = self._session(message).get(self._get(message, "instance"), str(message.get("field")))
        return {"outcome": "returned", "results": [encode_value(value)]}

    def _thread(self, message: dict[str, Any]) -> dict[str, Any]:
        fork = getattr(self._session(message), "thread", None)
        if not callable(fork):
            return {"outcome": "unsupported", "reason": "threads", "message": ""}
        ctx = self._keep(None)
        self.sessions[ctx] = fork()
        return {"outcome": "returned", "handle": ctx}

    def serve(self, stdin: IO[str], stdout: IO[str],
              edit: Optional[Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = None) -> None:
        """Answer requests until the input ends; ``edit`` may rewrite each
        reply (tests use it to make a driver lie)."""
        for line in stdin:
            if not line.strip():
                continue
            message = json.loads(line)
            try:
                reply = self.handle(message)
            except Exception as exc:  # noqa: BLE001 - reported to the harness, which fails the command
                reply = {"outcome": "error", "message": f"{type(exc).__name__}: {exc}"}
            if edit is not None:
                reply = edit(message, reply)
            stdout.write(json.dumps({"id": message.get("id"), **reply}) + "\n")
            stdout.flush()


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m spectest.driver NAME``: serve adapter NAME."""
    from .adapters import get_adapter

    args = sys.argv[1:] if argv is None else argv
    Driver(get_adapter(args[0] if args else "engine")).serve(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
