"""Replaying a script's commands through an adapter.

Every command ends as passed, failed (with what was expected and what
happened) or skipped (with a named reason). The rules:

* ``module`` passes when the module compiles and instantiates;
  ``module_definition`` when it compiles; ``module_instance`` when the named
  definition instantiates; ``register`` when the instance exists.
* A module that could not be instantiated leaves a marker in its place:
  later commands that use it *fail* with "module not instantiated (line N:
  why)" rather than vanish, or are *skipped* with the module's own skip
  reason (e.g. ``text-format``). When the cause is that the engine is not
  implemented, the dependent commands fail with "not implemented" too.
* Outcome classes are compared: an assertion passes only when the adapter
  reports the expected class (malformed, invalid, unlinkable, trap during
  instantiation, trap, exhaustion, exception). Messages are shown, never
  compared.
* ``assert_return`` compares every result with :mod:`spectest.values`.
* ``assert_*_custom`` (custom sections and annotations, which engines may
  ignore) are skipped as ``custom-annotations`` unless the adapter checks them.
* A command the runner does not know, or could not read, fails; so does a
  command that runs past the time limit (if one is set).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .convert import Converter
from .outcomes import (Exhausted, Invalid, Malformed, NotImplementedYet, Outcome, Rejected,
                       Thrown, Trapped, Unlinkable, Unsupported)
from .proposals import disabled_features
from .results import FAILED, PASSED, SKIPPED, CommandResult, FileResult
from .script import Action, Command, ModuleSource, ScriptFormatError, read_script
from .timeout import CommandTimeout, deadline
from .values import Value, format_value, match_results

__all__ = ["run_file", "ScriptRunner", "NOT_IMPLEMENTED"]

NOT_IMPLEMENTED = "not implemented"

#: expected outcome -> outcome classes that satisfy it
_ACCEPTS: dict[str, tuple[type[Outcome], ...]] = {
    "malformed": (Malformed, Rejected),
    "invalid": (Invalid, Rejected),
    "unlinkable": (Unlinkable,),
    "uninstantiable": (Trapped,),
    "trap": (Trapped,),
    "exhaustion": (Exhausted,),
    "exception": (Thrown,),
}


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Fail(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class _Missing:
    """What stands in place of a module or instance that does not exist."""

    status: str     # FAILED or SKIPPED
    message: str    # failure message or skip reason

    def raise_(self) -> None:
        if self.status == SKIPPED:
            raise _Skip(self.message)
        raise _Fail(self.message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedYet):
        return NOT_IMPLEMENTED
    if isinstance(exc, Outcome):
        return exc.describe()
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"adapter error {type(exc).__name__}: {exc}{where}"


def _expectation(expected: str, text: Optional[str]) -> str:
    return f"expected {expected} ({text})" if text else f"expected {expected}"


class ScriptRunner:
    """Runs the commands of one script in one adapter session."""

    def __init__(self, adapter: Any, timeout: Optional[float] = None,
                 disabled: frozenset[str] = frozenset()):
        self.adapter = adapter
        self.timeout = timeout
        self.disabled = disabled  # features off for this script (features.yaml)
        self._session: Any = None
        self._session_error: Optional[BaseException] = None
        self.modules: dict[Optional[str], Any] = {}
        self.instances: dict[Optional[str], Any] = {}
        self._handlers: dict[str, Callable[[Command], None]] = {
            "module": self._module,
            "module_definition": self._module_definition,
            "module_instance": self._module_instance,
            "register": self._register,
            "action": self._action,
            "assert_return": self._assert_return,
            "assert_trap": lambda c: self._assert_action_fails(c, "trap"),
            "assert_exhaustion": lambda c: self._assert_action_fails(c, "exhaustion"),
            "assert_exception": lambda c: self._assert_action_fails(c, "exception"),
            "assert_invalid": lambda c: self._assert_rejected(c, "invalid"),
            "assert_malformed": lambda c: self._assert_rejected(c, "malformed"),
            "assert_unlinkable": lambda c: self._assert_not_instantiable(c, "unlinkable"),
            "assert_uninstantiable": lambda c: self._assert_not_instantiable(c, "uninstantiable"),
            "assert_invalid_custom": lambda c: self._assert_custom(c, "invalid"),
            "assert_malformed_custom": lambda c: self._assert_custom(c, "malformed"),
        }

    # -- plumbing ------------------------------------------------------------------

    @property
    def session(self) -> Any:
        if self._session_error is not None:
            raise self._session_error
        if self._session is None:
            try:
                self._session = (self.adapter.session(self.disabled) if self.disabled
                                 else self.adapter.session())
            except Exception as exc:  # noqa: BLE001 - reported on every command
                self._session_error = exc
                raise
        return self._session

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            except Exception:  # noqa: BLE001 - closing must not mask results
                pass
        self._session = None

    def run(self, commands: Sequence[Command]) -> list[CommandResult]:
        """Run every command; one result per command, in order."""
        results = []
        for cmd in commands:
            results.append(self.run_command(cmd))
        return results

    def run_command(self, cmd: Command) -> CommandResult:
        """Run one command."""
        handler = self._handlers.get(cmd.kind)
        try:
            if cmd.kind == "unreadable":
                raise _Fail(f"unreadable command: {cmd.error}")
            if handler is None:
                raise _Fail(f"unknown command kind {cmd.kind!r}")
            with deadline(self.timeout):
                handler(cmd)
        except CommandTimeout as exc:
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED, str(exc))
        except _Skip as skip:
            return CommandResult(cmd.key, cmd.line, cmd.kind, SKIPPED, skip.reason)
        except _Fail as fail:
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED, fail.message)
        except Exception as exc:  # noqa: BLE001 - a harness bug must not end the run
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED,
                                 f"harness error: {_describe(exc)}")
        return CommandResult(cmd.key, cmd.line, cmd.kind, PASSED)

    def _engine(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call the session; outcomes pass through, except "not implemented",
        which no expectation accepts and which is reported as exactly that;
        anything else is an adapter error (a failure naming the stray
        exception)."""
        try:
            return fn(*args)
        except NotImplementedYet:
            raise _Fail(NOT_IMPLEMENTED) from None
        except Outcome:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _Fail(_describe(exc)) from None

    # -- modules ------------------------------------------------------------------

    def _source_for(self, source: ModuleSource, text_only: bool = False) -> ModuleSource:
        """The source the adapter should compile, or skip as text-format."""
        if text_only and source.is_text:
            source = ModuleSource(source.base, None, source.text_file)
        if source.binary_file is None and not self.adapter.reads_text:
            raise _Skip("text-format")
        return source

    def _compile(self, source: ModuleSource) -> Any:
        """Compile a module that must be valid."""
        source = self._source_for(source)
        try:
            return self._engine(lambda: self.session.compile(source))
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            raise _Fail(f"expected a valid module, got {_describe(exc)}") from None

    def _instantiate(self, module: Any) -> Any:
        try:
            return self._engine(lambda: self.session.instantiate(module))
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            raise _Fail(f"expected instantiation, got {_describe(exc)}") from None

    def _bind(self, table: dict[Optional[str], Any], name: Optional[str], value: Any) -> None:
        table[None] = value
        if name is not None:
            table[name] = value

    def _missing(self, what: str, line: int, exc: Exception) -> _Missing:
        if isinstance(exc, _Skip):
            return _Missing(SKIPPED, exc.reason)
        message = exc.message if isinstance(exc, _Fail) else str(exc)
        if message == NOT_IMPLEMENTED:
            return _Missing(FAILED, NOT_IMPLEMENTED)
        return _Missing(FAILED, f"{what} not instantiated (line {line}: {message})")

    def _module(self, cmd: Command) -> None:
        assert cmd.module is not None
        try:
            instance = self._instantiate(self._compile(cmd.module))
        except (_Skip, _Fail) as exc:
            self._bind(self.instances, cmd.name, self._missing("module", cmd.line, exc))
            raise
        self._bind(self.instances, cmd.name, instance)

    def _module_definition(self, cmd: Command) -> None:
        assert cmd.module is not None
        try:
            module = self._compile(cmd.module)
        except (_Skip, _Fail) as exc:
            self._bind(self.modules, cmd.name, self._missing("module definition", cmd.line, exc))
            raise
        self._bind(self.modules, cmd.name, module)

    def _module_instance(self, cmd: Command) -> None:
        try:
            module = self._lookup(self.modules, cmd.definition, "module definition")
            instance = self._instantiate(module)
        except (_Skip, _Fail) as exc:
            self._bind(self.instances, cmd.name, self._missing("instance", cmd.line, exc))
            raise
        self._bind(self.instances, cmd.name, instance)

    def _lookup(self, table: dict[Optional[str], Any], name: Optional[str], what: str) -> Any:
        if name not in table:
            raise _Fail(f"unknown {what} {name}" if name else f"no {what} defined")
        item = table[name]
        if isinstance(item, _Missing):
            item.raise_()
        return item

    def _register(self, cmd: Command) -> None:
        instance = self._lookup(self.instances, cmd.name, "module")
        try:
            self._engine(lambda: self.session.register(cmd.register_as, instance))
        except Outcome as exc:
            raise _Fail(f"expected registration, got {_describe(exc)}") from None

    # -- actions --------------------------------------------------------------------

    def _perform(self, action: Action, hints: Sequence[str]) -> list[Value]:
        instance = self._lookup(self.instances, action.module, "module")
        if action.kind == "invoke":
            return self._engine(lambda: self.session.invoke(instance, action.field,
                                                            action.args, hints))
        hint = hints[0] if hints else None
        return [self._engine(lambda: self.session.get(instance, action.field, hint))]

    def _action(self, cmd: Command) -> None:
        assert cmd.action is not None
        try:
            self._perform(cmd.action, ())
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            raise _Fail(f"expected {cmd.action} to return, got {_describe(exc)}") from None

    def _assert_return(self, cmd: Command) -> None:
        assert cmd.action is not None and cmd.expected is not None
        hints = [p.hint for p in cmd.expected]
        try:
            got = self._perform(cmd.action, hints)
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            want = ", ".join(map(str, cmd.expected)) or "no results"
            raise _Fail(f"expected {want}, got {_describe(exc)}") from None
        problem = match_results(cmd.expected, got)
        if problem is not None:
            raise _Fail(problem)

    def _assert_action_fails(self, cmd: Command, expected: str) -> None:
        assert cmd.action is not None
        try:
            got = self._perform(cmd.action, ())
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            if isinstance(exc, _ACCEPTS[expected]):
                return
            raise _Fail(f"{_expectation(expected, cmd.text)}, got {_describe(exc)}") from None
        shown = ", ".join(format_value(v) for v in got) or "no results"
        raise _Fail(f"{_expectation(expected, cmd.text)}, got a normal return ({shown})")

    def _assert_rejected(self, cmd: Command, expected: str) -> None:
        assert cmd.module is not None
        source = self._source_for(cmd.module, text_only=expected == "malformed")
        try:
            self._engine(lambda: self.session.compile(source))
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            if isinstance(exc, _ACCEPTS[expected]):
                return
            raise _Fail(f"{_expectation(expected, cmd.text)}, got {_describe(exc)}") from None
        raise _Fail(f"{_expectation(expected, cmd.text)}, got a valid module")

    def _assert_not_instantiable(self, cmd: Command, expected: str) -> None:
        assert cmd.module is not None
        module = self._compile(cmd.module)
        try:
            self._engine(lambda: self.session.instantiate(module))
        except Unsupported as exc:
            raise _Skip(exc.reason) from None
        except Outcome as exc:
            if isinstance(exc, _ACCEPTS[expected]):
                return
            raise _Fail(f"{_expectation(expected, cmd.text)}, got {_describe(exc)}") from None
        raise _Fail(f"{_expectation(expected, cmd.text)}, got a successful instantiation")

    def _assert_custom(self, cmd: Command, expected: str) -> None:
        if not getattr(self.adapter, "checks_custom", False):
            raise _Skip("custom-annotations")
        self._assert_rejected(cmd, expected)


def run_file(path: Path, relpath: str, proposal: str, adapter: Any,
             converter: Converter, timeout: Optional[float] = None) -> FileResult:
    """Convert and run one script. Never raises: conversion and reading
    problems become one failed ``convert`` command. ``timeout`` limits each
    command (seconds; a command past it fails with "timed out")."""
    disabled = disabled_features(proposal)
    converted = converter.convert(path, disabled) if disabled else converter.convert(path)
    result = FileResult(relpath, proposal, converted.converter)
    if converted.json_path is None:
        result.results.append(CommandResult("0", 0, "convert", FAILED,
                                            converted.error or "conversion failed"))
        return result
    try:
        script = read_script(converted.json_path)
    except ScriptFormatError as exc:
        result.results.append(CommandResult("0", 0, "convert", FAILED, str(exc)))
        return result
    runner = ScriptRunner(adapter, timeout, disabled)
    try:
        result.results = runner.run(script.commands)
    finally:
        runner.close()
    return result
