"""The process adapter: any engine, in any language, through a small driver
that speaks the line-delimited JSON protocol of ``spectest/PROTOCOL.md`` on
its standard input and output (``--engine 'exec:COMMAND LINE'``).

One child process serves the scripts of one worker, one script after
another (``session`` resets its state). Whatever goes wrong on the child's
side is a counted failure with a clear message, never a hang and never a
pass:

* the child exits or crashes: the command fails with the exit status and the
  last lines of its standard error; so do the rest of the script's commands;
* the child does not answer within the time limit (``request_timeout``, 60 s
  by default): the command fails, the child is killed;
* the child answers something that is not the protocol (not JSON, an unknown
  outcome, a value of the wrong form): the command fails naming the garbage,
  the child is killed.

A killed or dead child is started again for the next script.
"""

from __future__ import annotations

import collections
import itertools
import json
import queue
import subprocess
import threading
from typing import Any, Optional, Sequence

from ..protocol import (PROTOCOL_VERSION, ProtocolError, decode_value, encode_value,
                        outcome_of)
from ..script import ModuleSource
from ..values import Value

__all__ = ["ProcessAdapter", "ProcessSession", "ProcessFailure"]


class ProcessFailure(Exception):
    """The engine process crashed, hung or broke the protocol."""


_EOF = object()


class _Child:
    """A running driver: requests out, replies matched back by id."""

    def __init__(self, argv: Sequence[str], env: Optional[dict[str, str]] = None):
        self.argv = list(argv)
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0, env=env)
        except OSError as exc:
            raise ProcessFailure(f"cannot start {self.argv[0]}: {exc}") from None
        self.ids = itertools.count(1)
        self.pending: dict[int, "queue.Queue[Any]"] = {}
        self.lock = threading.Lock()
        self.stderr: collections.deque[str] = collections.deque(maxlen=12)
        self.broken: Optional[str] = None
        self.threads = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for raw in self.proc.stderr:
                self.stderr.append(raw.decode("utf-8", "replace").rstrip())

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            self._read_replies(self.proc.stdout)

    def _read_replies(self, stdout: Any) -> None:
        for raw in stdout:
            try:
                reply = json.loads(raw)
                rid = reply["id"] if isinstance(reply, dict) else None
                target = self.pending.pop(rid) if isinstance(rid, int) else None
            except (ValueError, KeyError):
                target = None
            if target is None:
                text = raw.decode("utf-8", "replace").strip()
                self.fail(f"protocol error: unexpected output from the engine: {text[:200]!r}")
                return
            target.put(reply)
        self.fail(None)

    def fail(self, why: Optional[str]) -> None:
        """Mark the child broken (why=None: its output ended) and wake every waiter."""
        with self.lock:
            if self.broken is None:
                self.broken = why or "engine process ended"
            waiting = list(self.pending.values())
            self.pending.clear()
        for q in waiting:
            q.put(_EOF)
        if why is not None:
            self.kill()

    def describe_death(self) -> str:
        """The reason the child is broken, with its exit status and stderr."""
        why = self.broken or "engine process failed"
        try:
            code = self.proc.wait(timeout=2)
            why += f" (exit status {code})"
        except subprocess.TimeoutExpired:
            pass
        tail = " | ".join(line for line in self.stderr if line)[-600:]
        return why + (f"; its stderr: {tail}" if tail else "")

    def request(self, message: dict[str, Any], timeout: Optional[float]) -> dict[str, Any]:
        """Send one request and wait for its reply (ProcessFailure on any trouble)."""
        if self.broken is not None:
            raise ProcessFailure(self.describe_death())
        rid = next(self.ids)
        box: "queue.Queue[Any]" = queue.Queue()
        line = json.dumps({"id": rid, **message}, separators=(",", ":")) + "\n"
        with self.lock:
            self.pending[rid] = box
        try:
            assert self.proc.stdin is not None
            with self.lock:
                self.proc.stdin.write(line.encode("utf-8"))
            reply = box.get(timeout=timeout)
        except queue.Empty:
            self.fail(f"no answer within {timeout:g} s")
            raise ProcessFailure(self.describe_death()) from None
        except (OSError, ValueError):
            self.fail("engine process closed its input")
            raise ProcessFailure(self.describe_death()) from None
        except BaseException:
            # interrupted (the runner's own time limit): the reply would
            # come too late and out of step, so this child is done for
            self.fail("interrupted while waiting for the engine")
            raise
        if reply is _EOF:
            raise ProcessFailure(self.describe_death())
        return reply

    def kill(self) -> None:
        """Stop the child (it was started by this adapter) and close its input."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass


class ProcessSession:
    """One script (or one thread of it) in the child."""

    def __init__(self, adapter: "ProcessAdapter", child: _Child, ctx: int = 0):
        self.adapter = adapter
        self.child = child
        self.ctx = ctx

    def _ask(self, op: str, **fields: Any) -> dict[str, Any]:
        message = {"op": op, **fields}
        if self.ctx:
            message["ctx"] = self.ctx
        reply = self.child.request(message, self.adapter.request_timeout)
        outcome = reply.get("outcome")
        if outcome == "error":
            raise ProcessFailure(f"the driver failed on {op}: {str(reply.get('message'))[:300]}")
        try:
            if outcome != "returned":
                raise outcome_of(reply)
        except ProtocolError as exc:
            self.child.fail(f"protocol error: {exc}")
            raise ProcessFailure(f"protocol error in the reply to {op}: {exc}") from None
        return reply

    def _handle(self, reply: dict[str, Any], op: str) -> int:
        handle = reply.get("handle")
        if not isinstance(handle, int) or isinstance(handle, bool):
            self.child.fail("protocol error: no handle")
            raise ProcessFailure(f"protocol error: the reply to {op} has no handle")
        return handle

    def compile(self, source: ModuleSource) -> int:
        if source.binary_file is not None:
            reply = self._ask("load", binary=str((source.base / source.binary_file).resolve()))
        else:
            assert source.text_file is not None
            reply = self._ask("load", text=str((source.base / source.text_file).resolve()))
        return self._handle(reply, "load")

    def instantiate(self, module: int) -> int:
        return self._handle(self._ask("instantiate", module=module), "instantiate")

    def register(self, name: str, instance: int) -> None:
        self._ask("register", name=name, instance=instance)

    def _results(self, reply: dict[str, Any], op: str) -> list[Value]:
        raw = reply.get("results")
        try:
            if not isinstance(raw, list):
                raise ProtocolError("results must be a list")
            return [decode_value(v) for v in raw]
        except ProtocolError as exc:
            self.child.fail(f"protocol error: {exc}")
            raise ProcessFailure(f"protocol error in the reply to {op}: {exc}") from None

    def invoke(self, instance: int, field: str, args: Sequence[Value],
               hints: Optional[Sequence[str]] = None) -> list[Value]:
        reply = self._ask("invoke", instance=instance, field=field,
                          args=[encode_value(a) for a in args])
        return self._results(reply, "invoke")

    def get(self, instance: int, field: str, hint: Optional[str] = None) -> Value:
        values = self._results(self._ask("get", instance=instance, field=field), "get")
        if len(values) != 1:
            raise ProcessFailure(f"protocol error: get answered {len(values)} values")
        return values[0]

    def thread(self) -> "ProcessSession":
        """A thread context in the child (see PROTOCOL.md, ``thread``)."""
        reply = self._ask("thread")
        return ProcessSession(self.adapter, self.child, self._handle(reply, "thread"))

    def close(self) -> None:
        pass


class ProcessAdapter:
    """An engine behind a driver process (see the module docstring)."""

    checks_custom = False
    #: seconds to wait for one reply
    request_timeout = 60.0

    def __init__(self, argv: Sequence[str], name: Optional[str] = None,
                 env: Optional[dict[str, str]] = None):
        self.argv = list(argv)
        self.env = env
        self.name = name or "exec:" + " ".join(self.argv)
        self._child: Optional[_Child] = None
        self._hello: dict[str, Any] = {}

    def _start(self) -> _Child:
        child = _Child(self.argv, self.env)
        try:
            hello = child.request({"op": "hello", "protocol": PROTOCOL_VERSION}, self.request_timeout)
        except ProcessFailure:
            child.kill()
            raise
        if hello.get("outcome") != "returned" or hello.get("protocol") != PROTOCOL_VERSION:
            child.kill()
            raise ProcessFailure(f"the engine does not speak protocol {PROTOCOL_VERSION}: {hello!r:.300}")
        self._hello = hello
        return child

    @property
    def reads_text(self) -> bool:
        """Whether the driver said it reads the text format."""
        return bool(self._hello.get("reads_text", False))

    def _ensure_hello(self) -> None:
        """Start the driver, if it is not running, for its ``hello``."""
        if not self._hello:
            try:
                self._child = self._child or self._start()
            except ProcessFailure:
                pass

    @property
    def claims(self) -> frozenset[str]:
        """The proposals the driver said its engine claims."""
        self._ensure_hello()
        claims = self._hello.get("claims", [])
        return frozenset(c for c in claims if isinstance(c, str)) if isinstance(claims, list) else frozenset()

    def version(self) -> str:
        """The engine's own description from ``hello``."""
        self._ensure_hello()
        return str(self._hello.get("engine", self.name))

    def session(self, disabled: frozenset[str] = frozenset()) -> ProcessSession:
        """Reset the child for a new script (start it again if it died)."""
        if self._child is not None and self._child.broken is not None:
            self.close()
        if self._child is None:
            self._child = self._start()
        session = ProcessSession(self, self._child)
        session._ask("session", disabled=sorted(disabled))
        return session

    def close(self) -> None:
        """Stop the child and wait for its output to be drained."""
        if self._child is not None:
            self._child.kill()
            for thread in self._child.threads:
                thread.join(timeout=10)
            self._child = None
