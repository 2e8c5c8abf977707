"""The script model: the commands of one converted ``.wast`` script.

Both JSON dialects are read into the same model:

* wabt's ``wast2json`` writes module names with their ``$``, marks module
  definitions with ``"definition": "true"`` on a ``module`` command, writes
  ``instance`` commands, puts ``either`` alternatives on the command, and gives
  ``(ref.func)`` as a funcref with a number;
* ``wasm-tools json-from-wast`` strips the ``$``, writes
  ``module_definition`` / ``module_instance``, wraps alternatives as an
  ``either`` result, adds ``binary_filename`` to text modules it could encode,
  writes the typed reference results (``refnull``, ``nullref``, ``structref``,
  ...) and the ``*_custom`` assertions.

Command kinds after normalisation (``Command.kind``): ``module``,
``module_definition``, ``module_instance``, ``register``, ``action``,
``assert_return``, ``assert_trap``, ``assert_exhaustion``, ``assert_exception``,
``assert_invalid``, ``assert_malformed``, ``assert_unlinkable``,
``assert_uninstantiable``, ``assert_invalid_custom``,
``assert_malformed_custom``, ``assert_suspension`` (stack switching: the
action suspends to the host), ``thread`` (its own commands in
``Command.commands``, run concurrently, sharing the instances named in
``Command.shared``) and ``wait`` (for the thread ``Command.thread``).
Anything else keeps its kind and is reported by
the runner as an unknown command; a command the reader cannot make sense of
gets kind ``unreadable`` with the reason in ``error``.

Module files are read lazily: a script of a thousand modules costs nothing
until a command needs one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .values import Pattern, Value, ValueFormatError, EitherPat, parse_pattern, parse_value

__all__ = ["ModuleSource", "Action", "Command", "Script", "read_script", "KNOWN_KINDS",
           "ScriptFormatError", "assign_keys", "flatten"]

#: Every command kind the runner knows.
KNOWN_KINDS = frozenset({
    "module", "module_definition", "module_instance", "register", "action",
    "assert_return", "assert_trap", "assert_exhaustion", "assert_exception",
    "assert_invalid", "assert_malformed", "assert_unlinkable",
    "assert_uninstantiable", "assert_invalid_custom", "assert_malformed_custom",
    "assert_suspension", "thread", "wait",
})


class ScriptFormatError(Exception):
    """The converted script as a whole cannot be read."""


@dataclass(frozen=True, slots=True)
class ModuleSource:
    """One module of a command: a binary file, a text file, or both (wasm-tools
    gives the binary of a text module it could encode)."""

    base: Path
    binary_file: Optional[str]
    text_file: Optional[str]

    @property
    def is_text(self) -> bool:
        """True when the script gave this module in the text format."""
        return self.text_file is not None

    def binary(self) -> Optional[bytes]:
        """The module's bytes, or None if there is no binary form."""
        if self.binary_file is None:
            return None
        return (self.base / self.binary_file).read_bytes()

    def text(self) -> Optional[bytes]:
        """The module's text as raw bytes (malformed-UTF-8 tests need the
        exact bytes), or None if it was given in binary."""
        if self.text_file is None:
            return None
        return (self.base / self.text_file).read_bytes()


@dataclass(frozen=True, slots=True)
class Action:
    """``invoke`` (with arguments) or ``get`` of an export of an instance."""

    kind: str
    module: Optional[str]
    field: str
    args: tuple[Value, ...] = ()

    def __str__(self) -> str:
        where = f"{self.module}." if self.module else ""
        if self.kind == "get":
            return f"get {where}{self.field}"
        return f"invoke {where}{self.field}({', '.join(map(str, self.args))})"


@dataclass(slots=True)
class Command:
    """One command of a script (see the module docstring for the kinds)."""

    kind: str
    line: int
    name: Optional[str] = None           #: module/instance name bound or used
    module: Optional[ModuleSource] = None
    action: Optional[Action] = None
    expected: Optional[tuple[Pattern, ...]] = None
    text: Optional[str] = None           #: expected failure message of an assertion
    register_as: Optional[str] = None
    definition: Optional[str] = None     #: module_instance: the definition's name
    error: Optional[str] = None          #: why the command could not be read
    commands: list["Command"] = field(default_factory=list)  #: a thread's commands
    shared: tuple[str, ...] = ()         #: thread: the instances it shares
    thread: Optional[str] = None         #: wait: the thread's name
    #: the command as the converter wrote it (engines that read whole
    #: scripts get their own copy of it)
    raw: Optional[dict] = field(default=None, repr=False, compare=False)
    #: the command's identity in reports and the baseline: its line, plus
    #: ``.N`` for the N-th command on the same line (N >= 2)
    key: str = ""


@dataclass(slots=True)
class Script:
    """A converted script: its commands, in order."""

    source: Path
    commands: list[Command] = field(default_factory=list)


def _name(raw: Any) -> Optional[str]:
    if raw is None:
        return None
    text = str(raw)
    return text[1:] if text.startswith("$") else text


def _module_source(base: Path, cmd: dict) -> ModuleSource:
    filename = cmd.get("filename")
    if not isinstance(filename, str):
        raise ValueFormatError("module command without a filename")
    if cmd.get("module_type", "binary") == "text" or filename.endswith(".wat"):
        binary = cmd.get("binary_filename")
        return ModuleSource(base, binary if isinstance(binary, str) else None, filename)
    return ModuleSource(base, filename, None)


def _action(raw: Any) -> Action:
    if not isinstance(raw, dict):
        raise ValueFormatError("command without an action")
    kind = raw.get("type")
    if kind not in ("invoke", "get"):
        raise ValueFormatError(f"unknown action type {kind!r}")
    fld = raw.get("field")
    if not isinstance(fld, str):
        raise ValueFormatError("action without a field name")
    args = tuple(parse_value(a) for a in raw.get("args", []) or [])
    return Action(kind, _name(raw.get("module")), fld, args)


def _expected(cmd: dict) -> tuple[Pattern, ...]:
    if "either" in cmd:
        # wast2json puts the alternatives of the (single) result on the command
        alts = cmd["either"]
        if not isinstance(alts, list) or not alts:
            raise ValueFormatError("either without alternatives")
        return (EitherPat(tuple(parse_pattern(a) for a in alts)),)
    return tuple(parse_pattern(p) for p in cmd.get("expected", []) or [])


def _read_module(kind: str, line: int, base: Path, cmd: dict) -> Command:
    definition = kind == "module_definition" or cmd.get("definition") in ("true", True)
    return Command("module_definition" if definition else "module", line,
                   name=_name(cmd.get("name")), module=_module_source(base, cmd))


def _read_instance(kind: str, line: int, base: Path, cmd: dict) -> Command:
    definition = cmd.get("module", cmd.get("definition"))
    return Command("module_instance", line, name=_name(cmd.get("instance")),
                   definition=_name(definition))


def _read_register(kind: str, line: int, base: Path, cmd: dict) -> Command:
    as_name = cmd.get("as")
    if not isinstance(as_name, str):
        raise ValueFormatError("register without a name")
    return Command(kind, line, name=_name(cmd.get("name")), register_as=as_name)


def _read_action(kind: str, line: int, base: Path, cmd: dict) -> Command:
    return Command(kind, line, action=_action(cmd.get("action")))


def _read_return(kind: str, line: int, base: Path, cmd: dict) -> Command:
    return Command(kind, line, action=_action(cmd.get("action")), expected=_expected(cmd))


def _read_action_failure(kind: str, line: int, base: Path, cmd: dict) -> Command:
    if "action" not in cmd and "filename" in cmd:
        # an assert_trap on a module is an instantiation that traps
        return Command("assert_uninstantiable", line, module=_module_source(base, cmd),
                       text=cmd.get("text"))
    return Command(kind, line, action=_action(cmd.get("action")), text=cmd.get("text"))


def _read_module_assertion(kind: str, line: int, base: Path, cmd: dict) -> Command:
    return Command(kind, line, module=_module_source(base, cmd), text=cmd.get("text"))


def _read_thread(kind: str, line: int, base: Path, cmd: dict) -> Command:
    raw = cmd.get("shared_module", cmd.get("shared", []))
    names = [raw] if isinstance(raw, str) else raw or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueFormatError(f"thread: unreadable shared modules {raw!r}")
    body = cmd.get("commands")
    if not isinstance(body, list):
        raise ValueFormatError("thread without a command list")
    inner = [_command(base, c) if isinstance(c, dict) else Command(
        "unreadable", line, error=f"command is not an object: {c!r:.200}") for c in body]
    return Command(kind, line, name=_name(cmd.get("name")), commands=inner,
                   shared=tuple(n for n in (_name(x) for x in names) if n))


def _read_wait(kind: str, line: int, base: Path, cmd: dict) -> Command:
    thread = _name(cmd.get("thread"))
    if thread is None:
        raise ValueFormatError("wait without a thread")
    return Command(kind, line, thread=thread)


#: JSON command type -> reader (both dialects' spellings)
_READERS = {
    "module": _read_module,
    "module_definition": _read_module,
    "module_instance": _read_instance,
    "instance": _read_instance,
    "register": _read_register,
    "action": _read_action,
    "assert_return": _read_return,
    "assert_trap": _read_action_failure,
    "assert_exhaustion": _read_action_failure,
    "assert_exception": _read_action_failure,
    "assert_invalid": _read_module_assertion,
    "assert_malformed": _read_module_assertion,
    "assert_unlinkable": _read_module_assertion,
    "assert_uninstantiable": _read_module_assertion,
    "assert_invalid_custom": _read_module_assertion,
    "assert_malformed_custom": _read_module_assertion,
    "assert_suspension": _read_action_failure,
    "thread": _read_thread,
    "wait": _read_wait,
}


def _command(base: Path, cmd: dict) -> Command:
    kind = cmd.get("type")
    line = cmd.get("line")
    if not isinstance(line, int):
        line = 0
    if not isinstance(kind, str):
        return Command("unreadable", line, error=f"command without a type: {cmd!r:.200}")
    reader = _READERS.get(kind)
    if reader is None:
        return Command(kind, line, error=f"unknown command kind {kind!r}")
    try:
        out = reader(kind, line, base, cmd)
    except ValueFormatError as exc:
        return Command("unreadable", line, error=f"{kind}: {exc}", raw=cmd)
    out.raw = cmd
    return out


def read_script(json_path: Path) -> Script:
    """Read a converted script; module files are resolved next to it."""
    try:
        with open(json_path, "rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ScriptFormatError(f"cannot read converted script {json_path.name}: {exc}") from None
    commands = data.get("commands") if isinstance(data, dict) else None
    if not isinstance(commands, list):
        raise ScriptFormatError(f"converted script {json_path.name} has no command list")
    base = json_path.parent
    script = Script(Path(str(data.get("source_filename", json_path.name))))
    for raw in commands:
        script.commands.append(_command(base, raw) if isinstance(raw, dict) else Command(
            "unreadable", 0, error=f"command is not an object: {raw!r:.200}"))
    assign_keys(script.commands)
    return script


def assign_keys(commands: list[Command], seen: Optional[dict[int, int]] = None) -> None:
    """Give every command (a thread's commands too, in script order) its
    key: the line, plus ``.N`` for the N-th command on the same line."""
    seen = {} if seen is None else seen
    for cmd in commands:
        n = seen.get(cmd.line, 0) + 1
        seen[cmd.line] = n
        cmd.key = str(cmd.line) if n == 1 else f"{cmd.line}.{n}"
        if cmd.commands:
            assign_keys(cmd.commands, seen)


def flatten(commands: list[Command]) -> list[Command]:
    """Every command in script order, a thread's commands after the thread."""
    out: list[Command] = []
    for cmd in commands:
        out.append(cmd)
        out.extend(flatten(cmd.commands))
    return out
