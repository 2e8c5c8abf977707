"""The child process of ``python -m bench --against``: runs kernels on the
engine of another checkout, timing each call itself.

Run as a script, ``python checkout_driver.py DIR``, never imported: DIR
(a folder holding an ``engine`` package) replaces the script's folder at
the head of ``sys.path``, so ``import engine`` loads that engine and
nothing of the current checkout. It uses only the public embedding API
(Engine, Config, Store, Module, Linker, exports), which older commits
share, and only the standard library.

Protocol: one JSON object per line each way. The child first says
``{"ready": path of the engine package}`` (or ``{"error": ...}``), then
answers each request:

- ``{"op": "load", "wasm": base64, "args": [...]}``: compile and
  instantiate, bind ``run`` to the arguments; ``{"setup": seconds}``;
- ``{"op": "call"}``: one call, timed as the parent times its own
  (collector collected, then paused); ``{"elapsed": seconds, "value":
  {"int": n} | {"f64": bits}}``. With ``"marked": true`` the call is
  bracketed by two calls of ``os.getppid()``, markers that an instruction
  counter can cut the run at (see :mod:`bench.instructions`);
- ``{"op": "quit"}`` or end of input: exit.

A failure answers ``{"unavailable": reason}`` (NotImplementedError or
ImportError: the engine lacks something) or ``{"error": "Type: message"}``.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import struct
import sys
import time
from pathlib import Path


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return type(exc).__name__ + (f": {text[0]}" if text else "")


def _encode(value: object) -> dict:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return {"other": repr(value)}
    if isinstance(value, int):
        return {"int": value}
    return {"f64": struct.unpack("<Q", struct.pack("<d", value))[0]}


class _Session:
    def __init__(self, engine):
        self.engine = engine
        self.call = None

    def load(self, request: dict) -> dict:
        engine = self.engine
        wasm = base64.b64decode(request["wasm"])
        args = request["args"]
        eng = engine.Engine(engine.Config())
        store = engine.Store(eng)
        start = time.perf_counter()
        module = engine.Module(eng, wasm)
        instance = engine.Linker(eng).instantiate(store, module)
        run = instance.exports(store)["run"]
        setup = time.perf_counter() - start
        self.call = lambda: run(store, *args)
        return {"setup": setup}

    def timed_call(self, marked: bool = False) -> dict:
        if self.call is None:
            return {"error": "RuntimeError: call before load"}
        call = self.call
        gc.collect()
        gc.disable()
        try:
            if marked:
                os.getppid()
            start = time.perf_counter()
            value = call()
            elapsed = time.perf_counter() - start
            if marked:
                os.getppid()
        finally:
            gc.enable()
        return {"elapsed": elapsed, "value": _encode(value)}


def main() -> int:
    """Serve requests until told to quit; the exit status."""
    reply_to = sys.stdout
    # anything else the engine prints must not corrupt the protocol
    sys.stdout = sys.stderr

    def reply(message: dict) -> None:
        reply_to.write(json.dumps(message) + "\n")
        reply_to.flush()

    checkout = Path(sys.argv[1]).resolve()
    sys.path[0] = str(checkout)
    try:
        import engine
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        reply({"error": f"cannot import the engine: {_describe(exc)}"})
        return 1
    origin = Path(engine.__file__).resolve()
    if checkout not in origin.parents:
        reply({"error": f"imported an engine from outside the checkout: {origin}"})
        return 1
    reply({"ready": str(origin.parent)})
    session = _Session(engine)
    for line in sys.stdin:
        request = json.loads(line)
        operation = request.get("op")
        if operation == "quit":
            break
        try:
            if operation == "load":
                reply(session.load(request))
            elif operation == "call":
                reply(session.timed_call(bool(request.get("marked"))))
            else:
                reply({"error": f"ValueError: unknown request {operation!r}"})
        except (NotImplementedError, ImportError) as exc:
            reply({"unavailable": _describe(exc)})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply({"error": _describe(exc)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
