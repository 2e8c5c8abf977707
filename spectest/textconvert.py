"""The third converter: scripts that neither wast2json nor wasm-tools reads,
converted with the engine's own text reader (``engine.text``).

It writes the same JSON as ``wasm-tools json-from-wast`` (the dialect
:mod:`spectest.script` reads) from the engine's tokens and literal readers:
each command's structure (actions, values, result patterns, threads) is read
here; each module is written as its text (``.wat``), plus its binary when the
engine's text parser encodes it (so engines that read only binaries still run
it). A module the engine cannot parse stays text only: engines that read text
then report it themselves, the others skip it as ``text-format``. A command
this reader cannot make sense of is written with a type the script reader
refuses, so it is counted as an unreadable (failed) command, never dropped.
Reports name the converter ``engine.text``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from engine.errors import MalformedError
from engine.text import parse_module
from engine.text.lexer import EOF, ID, KEYWORD, LPAREN, NUMBER, STRING, Tokens, tokenize
from engine.text.literals import F32, F64, LiteralError, parse_float, parse_int

__all__ = ["convert_text", "TextConvertError", "CONVERTER_NAME"]

CONVERTER_NAME = "engine.text"

_INT_BITS = {"i32": 32, "i64": 64, "i8": 8, "i16": 16}
_FLOATS = {"f32": F32, "f64": F64}
_NULL_OF = {"func": "funcref", "nofunc": "funcref", "extern": "externref",
            "noextern": "externref", "exn": "exnref", "noexn": "exnref"}
_TYPE_ONLY = {"ref.func": "funcref", "ref.extern": "externref", "ref.struct": "structref",
              "ref.array": "arrayref", "ref.i31": "i31ref", "ref.eq": "eqref", "ref.any": "anyref",
              "ref.exn": "exnref"}
_MODULE_ASSERTIONS = {"assert_invalid", "assert_malformed", "assert_unlinkable",
                      "assert_uninstantiable", "assert_invalid_custom", "assert_malformed_custom"}
_ACTION_ASSERTIONS = {"assert_trap", "assert_exhaustion", "assert_exception", "assert_suspension"}


class TextConvertError(Exception):
    """The script does not even split into commands."""


class _Bad(Exception):
    """One command this reader cannot read."""


class _Writer:
    def __init__(self, text: str, out: Path, stem: str):
        self.text = text
        self.out = out
        self.stem = stem
        self.count = 0
        self.toks: Tokens = tokenize(text)

    # -- tokens -----------------------------------------------------------------------

    def kind(self, i: int) -> int:
        return self.toks.kinds[i]

    def value(self, i: int) -> Any:
        return self.toks.values[i]

    def line(self, i: int) -> int:
        return self.text.count("\n", 0, self.toks.offsets[i]) + 1

    def head(self, i: int) -> Optional[str]:
        """The keyword after the ``(`` at ``i``."""
        if self.kind(i) == LPAREN and self.kind(i + 1) == KEYWORD:
            return str(self.value(i + 1))
        return None

    def children(self, i: int) -> list[int]:
        """Token indices of the items inside the list starting at ``i``
        (after its keyword): a ``(`` index for a list, else the token's."""
        out = []
        j = i + 2
        end = self.toks.close[i]
        while j < end:
            out.append(j)
            j = self.toks.close[j] + 1 if self.kind(j) == LPAREN else j + 1
        return out

    # -- modules ----------------------------------------------------------------------

    def _file(self, suffix: str, data: bytes) -> str:
        name = f"{self.stem}.{self.count}.{suffix}"
        self.count += 1
        (self.out / name).write_bytes(data)
        return name

    def module(self, i: int, kind: str = "module") -> dict[str, Any]:
        """A module command (or the module of an assertion)."""
        items = self.children(i)
        cmd: dict[str, Any] = {"type": kind, "line": self.line(i)}
        k = 0
        if k < len(items) and self.kind(items[k]) == KEYWORD and self.value(items[k]) == "definition":
            cmd["type"] = "module_definition" if kind == "module" else kind
            k += 1
        if k < len(items) and self.kind(items[k]) == KEYWORD and self.value(items[k]) == "instance":
            names = [str(self.value(t)) for t in items[k + 1:] if self.kind(t) == ID]
            if not names:
                raise _Bad("module instance without a definition")
            return {"type": "module_instance", "line": self.line(i),
                    **({"instance": names[0]} if len(names) > 1 else {}), "module": names[-1]}
        if k < len(items) and self.kind(items[k]) == ID:
            cmd["name"] = str(self.value(items[k]))
            k += 1
        form = self.value(items[k]) if k < len(items) and self.kind(items[k]) == KEYWORD else None
        if form in ("binary", "quote"):
            strings = [self.value(t) for t in items[k + 1:]]
            if not all(self.kind(t) == STRING for t in items[k + 1:]):
                raise _Bad(f"module {form} with something other than strings")
            data = b"".join(strings)
            if form == "binary":
                cmd.update(filename=self._file("wasm", data), module_type="binary")
                return cmd
            cmd.update(filename=self._file("wat", data), module_type="text")
            return cmd
        start, end = self.toks.offsets[i], self.toks.offsets[self.toks.close[i]] + 1
        source = self.text[start:end]
        if cmd["type"] == "module_definition":
            # the same module without the keyword
            first = items[1] if len(items) > 1 else self.toks.close[i]
            source = "(module " + self.text[self.toks.offsets[first]:end]
        cmd.update(filename=self._file("wat", source.encode("utf-8")), module_type="text")
        if kind not in ("assert_malformed", "assert_malformed_custom"):
            try:
                cmd["binary_filename"] = self._file("wasm", parse_module(source))
            except (MalformedError, ValueError, RecursionError):
                pass  # left to the engines that read text
        return cmd

    # -- values -----------------------------------------------------------------------

    def number(self, t: int, ntype: str) -> str:
        text = str(self.value(t))
        if ntype in _FLOATS:
            if text in ("nan:canonical", "nan:arithmetic"):
                return text
            return str(parse_float(text.replace("_", ""), _FLOATS[ntype]))
        return str(parse_int(text, _INT_BITS[ntype]) & ((1 << _INT_BITS[ntype]) - 1))

    def val(self, i: int) -> dict[str, Any]:
        op = self.head(i)
        items = self.children(i)
        if op is None:
            raise _Bad("a value must be a list")
        if op == "either":
            return {"type": "either", "values": [self.val(t) for t in items]}
        if op.endswith(".const") and op[:-6] in ("i32", "i64", "f32", "f64"):
            if len(items) != 1:
                raise _Bad(f"{op} needs one literal")
            return {"type": op[:-6], "value": self.number(items[0], op[:-6])}
        if op == "v128.const":
            shape = str(self.value(items[0]))
            lane, _, count = shape.partition("x")
            if lane not in ("i8", "i16", "i32", "i64", "f32", "f64") or len(items) - 1 != int(count or 0):
                raise _Bad(f"v128.const {shape} with {len(items) - 1} lanes")
            return {"type": "v128", "lane_type": lane,
                    "value": [self.number(t, lane) for t in items[1:]]}
        if op == "ref.null":
            ht = items[0] if items else None
            name = str(self.value(ht)) if ht is not None and self.kind(ht) == KEYWORD else "any"
            if ht is None:
                return {"type": "refnull"}
            return {"type": _NULL_OF.get(name, "anyref"), "value": "null"}
        if op in ("ref.extern", "ref.host") and items and self.kind(items[0]) == NUMBER:
            return {"type": "externref" if op == "ref.extern" else "anyref",
                    "value": str(parse_int(str(self.value(items[0])), 32))}
        if op == "ref.func" and items:
            if self.kind(items[0]) != NUMBER:
                raise _Bad("ref.func by name cannot be matched")
            return {"type": "funcref", "value": {"index": int(str(self.value(items[0])))}}
        if op in _TYPE_ONLY and not items:
            return {"type": _TYPE_ONLY[op]}
        raise _Bad(f"unknown value form ({op} ...)")

    def action(self, i: int) -> dict[str, Any]:
        op = self.head(i)
        if op not in ("invoke", "get"):
            raise _Bad(f"expected an action, got ({op} ...)")
        items = self.children(i)
        out: dict[str, Any] = {"type": op}
        k = 0
        if items and self.kind(items[0]) == ID:
            out["module"] = str(self.value(items[0]))
            k = 1
        if k >= len(items) or self.kind(items[k]) != STRING:
            raise _Bad(f"{op} without an export name")
        out["field"] = self.value(items[k]).decode("utf-8", "surrogateescape")
        if op == "invoke":
            out["args"] = [self.val(t) for t in items[k + 1:]]
        return out

    def text_of(self, items: list[int], k: int) -> Optional[str]:
        if k < len(items) and self.kind(items[k]) == STRING:
            return self.value(items[k]).decode("utf-8", "replace")
        return None

    # -- commands -----------------------------------------------------------------------

    def command(self, i: int) -> dict[str, Any]:
        op = self.head(i)
        line = self.line(i)
        try:
            return self._command(i, op, line)
        except (_Bad, LiteralError, MalformedError, ValueError, IndexError) as exc:
            return {"type": "unreadable", "line": line, "error": f"({op} ...): {exc}"}

    def _command(self, i: int, op: Optional[str], line: int) -> dict[str, Any]:
        items = self.children(i)
        if op == "module":
            return self.module(i)
        if op == "register":
            cmd: dict[str, Any] = {"type": "register", "line": line, "as": self.text_of(items, 0)}
            if len(items) > 1 and self.kind(items[1]) == ID:
                cmd["name"] = str(self.value(items[1]))
            return cmd
        if op in ("invoke", "get"):
            return {"type": "action", "line": line, "action": self.action(i)}
        if op == "assert_return":
            return {"type": "assert_return", "line": line, "action": self.action(items[0]),
                    "expected": [self.val(t) for t in items[1:]]}
        if op in _ACTION_ASSERTIONS:
            if self.head(items[0]) == "module":
                cmd = self.module(items[0], "assert_uninstantiable")
            else:
                cmd = {"type": op, "line": line, "action": self.action(items[0])}
            cmd["text"] = self.text_of(items, 1)
            cmd["line"] = line
            return cmd
        if op in _MODULE_ASSERTIONS:
            cmd = self.module(items[0], op)
            cmd.update(line=line, text=self.text_of(items, 1))
            return cmd
        if op == "thread":
            name = str(self.value(items[0])) if items and self.kind(items[0]) == ID else None
            shared: list[str] = []
            body = []
            for t in items[1 if name else 0:]:
                if self.head(t) == "shared":
                    shared += [str(self.value(m + 2)) for m in self.children(t)
                               if self.head(m) == "module" and self.kind(m + 2) == ID]
                else:
                    body.append(self.command(t))
            return {"type": "thread", "line": line, "name": name, "shared_module": shared,
                    "commands": body}
        if op == "wait":
            return {"type": "wait", "line": line, "thread": str(self.value(items[0]))}
        raise _Bad(f"unknown command ({op} ...)")

    def script(self) -> list[dict[str, Any]]:
        out = []
        i = 0
        while self.kind(i) != EOF:
            if self.kind(i) != LPAREN:
                raise TextConvertError(f"unexpected token at line {self.line(i)}")
            out.append(self.command(i))
            i = self.toks.close[i] + 1
        return out


def convert_text(src: Path, out: Path, name: str) -> None:
    """Convert the script ``src`` into ``out/script.json`` and module files
    (raises TextConvertError when it does not split into commands)."""
    try:
        text = src.read_bytes().decode("utf-8")
        writer = _Writer(text, out, Path(name).stem)
        commands = writer.script()
    except (UnicodeDecodeError, MalformedError) as exc:
        raise TextConvertError(str(exc)) from None
    (out / "script.json").write_text(json.dumps({"source_filename": name, "commands": commands}))
