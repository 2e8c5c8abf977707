"""V8 through Node.js's WebAssembly JS API: ``spectest/drivers/node_driver.mjs``
speaking the process protocol (``spectest/PROTOCOL.md``).

The driver calls every export through a trampoline module so that values
cross the JS API bit-exactly (see the driver's header). V8 does not say
whether a refused module was malformed or invalid (``CompileError`` for
both), so a refused module is ``rejected``, which satisfies either
expectation; it reads binary modules only.

Proposals are switched on with V8 flags (:data:`FLAGS`), each only if this
Node.js knows it; the claims are the proposals V8 has on by default plus
those whose flag it accepted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from importlib import resources
from typing import Optional

from .process import ProcessAdapter

__all__ = ["NodeAdapter", "FLAGS", "DEFAULT_ON"]

#: proposals V8 (Node.js 20, V8 11.3) runs without flags
DEFAULT_ON = frozenset({
    "core", "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "threads",
    "exception-handling-legacy",
})

#: proposal -> the V8 flag that switches it on
FLAGS = {
    "tail-call": "--experimental-wasm-return-call",
    "extended-const": "--experimental-wasm-extended-const",
    "relaxed-simd": "--experimental-wasm-relaxed-simd",
    "memory64": "--experimental-wasm-memory64",
    "function-references": "--experimental-wasm-typed-funcref",
    "gc": "--experimental-wasm-gc",
    "multi-memory": "--experimental-wasm-multi-memory",
    "exception-handling": "--experimental-wasm-exnref",
    "custom-page-sizes": "--experimental-wasm-custom-page-sizes",
}


@lru_cache(maxsize=4)
def _v8_flags(node: str) -> frozenset[str]:
    try:
        out = subprocess.run([node, "--v8-options"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.split()[0] for line in out.splitlines() if line.strip().startswith("--"))


def find_node() -> Optional[str]:
    """``$SPECTEST_NODE``, else ``node`` (or ``nodejs``) on PATH."""
    return os.environ.get("SPECTEST_NODE") or shutil.which("node") or shutil.which("nodejs")


class NodeAdapter(ProcessAdapter):
    """Node.js (see the module docstring)."""

    def __init__(self) -> None:
        node = find_node()
        if node is None:
            raise RuntimeError("Node.js not found (install Debian's nodejs, or set SPECTEST_NODE)")
        known = _v8_flags(node)
        on = {p: f for p, f in FLAGS.items() if f in known}
        driver = str(resources.files("spectest").joinpath("drivers", "node_driver.mjs"))
        env = dict(os.environ)
        self.node_claims = DEFAULT_ON | frozenset(on)
        env["SPECTEST_NODE_CLAIMS"] = ",".join(sorted(self.node_claims))
        super().__init__([node, *sorted(on.values()), driver], name="node", env=env)
        self.flags = sorted(on.values())

    @property
    def claims(self) -> frozenset[str]:
        """The proposals V8 runs by default plus those switched on by a flag."""
        return self.node_claims
