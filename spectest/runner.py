"""Replaying a script's commands through an adapter.

Every command ends as passed, failed (with what was expected and what
happened) or skipped (with a named reason). The rules:

* ``module`` passes when the module compiles and instantiates;
  ``module_definition`` when it compiles; ``module_instance`` when the named
  definition instantiates; ``register`` when the instance exists. With
  ``implicit_register`` (wasmtime-style scripts) a named module is also
  registered under its name.
* A module that could not be instantiated leaves a marker in its place:
  later commands that use it *fail* with "module not instantiated (line N:
  why)" rather than vanish, or are *skipped* with the module's own skip
  reason (e.g. ``text-format``). When the cause is that the engine is not
  implemented, the dependent commands fail with "not implemented" too.
* Outcome classes are compared: an assertion passes only when the adapter
  reports the expected class (malformed, invalid, unlinkable, trap during
  instantiation, trap, exhaustion, exception, suspension). Messages are
  shown, never compared.
* ``assert_return`` compares every result with :mod:`spectest.values`.
* ``assert_*_custom`` (custom sections and annotations, which engines may
  ignore) are skipped as ``custom-annotations`` unless the adapter checks them.
* ``thread`` runs its commands in a Python thread of its own, in a child
  session (:class:`~spectest.adapters.base.ThreadingSession`) that sees the
  shared instances; ``wait`` joins it. An adapter without threads skips the
  thread and every command in it as ``threads``.
* A command the runner does not know, or could not read, fails; so does a
  command that runs past the time limit, and every command left when the
  script runs past its own limit.
* An adapter that reports :class:`~spectest.outcomes.Unsupported` skips the
  command with the adapter's reason.

Adapters that run whole scripts (:class:`~spectest.adapters.base.ScriptAdapter`)
answer for every command at once; :func:`run_file` checks that each command
got exactly one result.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .convert import Converter
from .outcomes import (Exhausted, Invalid, Malformed, NotImplementedYet, Outcome, Rejected,
                       Suspended, Thrown, Trapped, Unlinkable, Unsupported)
from .proposals import disabled_features
from .results import FAILED, PASSED, SKIPPED, CommandResult, FileResult
from .script import Action, Command, ModuleSource, ScriptFormatError, flatten, read_script
from .timeout import CommandTimeout, deadline
from .values import Value, format_value, match_results

__all__ = ["run_file", "ScriptRunner", "NOT_IMPLEMENTED", "RunLimits"]

NOT_IMPLEMENTED = "not implemented"

#: expected outcome -> outcome classes that satisfy it
ACCEPTS: dict[str, tuple[type[Outcome], ...]] = {
    "malformed": (Malformed, Rejected),
    "invalid": (Invalid, Rejected),
    "unlinkable": (Unlinkable,),
    "uninstantiable": (Trapped,),
    "trap": (Trapped,),
    "exhaustion": (Exhausted,),
    "exception": (Thrown,),
    "suspension": (Suspended,),
}


@dataclass(frozen=True, slots=True)
class RunLimits:
    """Time limits of one script: per command and for the whole script
    (seconds; None for none)."""

    command: Optional[float] = None
    script: Optional[float] = None


class Skip(Exception):
    """A command ends skipped with ``reason``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Fail(Exception):
    """A command ends failed with ``message``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Missing:
    """What stands in place of a module or instance that does not exist."""

    status: str     # FAILED or SKIPPED
    message: str    # failure message or skip reason

    def raise_(self) -> None:
        """Raise the skip or failure this marker stands for."""
        if self.status == SKIPPED:
            raise Skip(self.message)
        raise Fail(self.message)


def describe(exc: BaseException) -> str:
    """One line about an outcome or a stray exception."""
    if isinstance(exc, NotImplementedYet):
        return NOT_IMPLEMENTED
    if isinstance(exc, Outcome):
        return exc.describe()
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"adapter error {type(exc).__name__}: {exc}{where}"


def _expectation(expected: str, text: Optional[str]) -> str:
    return f"expected {expected} ({text})" if text else f"expected {expected}"


class _Thread:
    """A running ``thread`` command: its runner, Python thread and commands."""

    def __init__(self, runner: "ScriptRunner", commands: list[Command]):
        self.runner = runner
        self.commands = commands
        self.results: list[CommandResult] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.runner.run(self.commands, self.results)
        finally:
            self.runner.close()

    def finish(self, timeout: Optional[float]) -> list[CommandResult]:
        """Join; every command the thread did not finish in time fails."""
        self.thread.join(timeout)
        done = list(self.results)
        flat = flatten(self.commands)
        if len(done) < len(flat):
            why = f"thread did not finish within {timeout:g} s" if timeout else "thread did not finish"
            done += [CommandResult(c.key, c.line, c.kind, FAILED, why) for c in flat[len(done):]]
        return done


class ScriptRunner:
    """Runs the commands of one script in one adapter session."""

    def __init__(self, adapter: Any, timeout: Optional[float] = None,
                 disabled: frozenset[str] = frozenset(), *, implicit_register: bool = False,
                 script_timeout: Optional[float] = None, session: Any = None):
        self.adapter = adapter
        self.timeout = timeout
        self.script_timeout = script_timeout
        self.disabled = disabled  # features off for this script (features.yaml)
        self.implicit_register = implicit_register
        self._session: Any = session
        self._session_error: Optional[BaseException] = None
        self.modules: dict[Optional[str], Any] = {}
        self.instances: dict[Optional[str], Any] = {}
        self.threads: dict[str, _Thread] = {}
        self._pending: list[CommandResult] = []   # results of joined threads
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
            "assert_suspension": lambda c: self._assert_action_fails(c, "suspension"),
            "assert_invalid": lambda c: self._assert_rejected(c, "invalid"),
            "assert_malformed": lambda c: self._assert_rejected(c, "malformed"),
            "assert_unlinkable": lambda c: self._assert_not_instantiable(c, "unlinkable"),
            "assert_uninstantiable": lambda c: self._assert_not_instantiable(c, "uninstantiable"),
            "assert_invalid_custom": lambda c: self._assert_custom(c, "invalid"),
            "assert_malformed_custom": lambda c: self._assert_custom(c, "malformed"),
            "thread": self._thread,
            "wait": self._wait,
        }

    # -- plumbing ------------------------------------------------------------------

    @property
    def session(self) -> Any:
        """The session, opened on first use (its error is kept and reported
        on every command)."""
        if self._session_error is not None:
            raise self._session_error
        if self._session is None:
            try:
                self._session = self.adapter.session(self.disabled)
            except Exception as exc:  # noqa: BLE001 - reported on every command
                self._session_error = exc
                raise
        return self._session

    def close(self) -> None:
        """Close the session (errors while closing never mask results)."""
        if self._session is not None:
            try:
                self._session.close()
            except Exception:  # noqa: BLE001
                pass
        self._session = None

    def run(self, commands: Sequence[Command],
            results: Optional[list[CommandResult]] = None) -> list[CommandResult]:
        """Run every command; one result per command (a thread's commands
        included), in order, the commands of a thread when it is joined.
        Results are appended to ``results`` as they come, if given."""
        results = [] if results is None else results
        started = time.monotonic()
        for n, cmd in enumerate(commands):
            left = None
            if self.script_timeout:
                left = self.script_timeout - (time.monotonic() - started)
                if left <= 0:
                    why = f"not run: the script ran past its time limit ({self.script_timeout:g} s)"
                    results += [CommandResult(c.key, c.line, c.kind, FAILED, why)
                                for c in flatten(list(commands[n:]))]
                    break
            results.append(self.run_command(cmd, left))
            results += self._pending
            self._pending = []
        for name in list(self.threads):
            results += self._join(name)
        return results

    def run_command(self, cmd: Command, budget: Optional[float] = None) -> CommandResult:
        """Run one command (``budget``: the seconds left to the script)."""
        handler = self._handlers.get(cmd.kind)
        limit = self.timeout
        if budget is not None:
            limit = min(limit, budget) if limit else budget
        try:
            if cmd.kind == "unreadable":
                raise Fail(f"unreadable command: {cmd.error}")
            if handler is None:
                raise Fail(f"unknown command kind {cmd.kind!r}")
            with deadline(limit):
                handler(cmd)
        except CommandTimeout as exc:
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED, str(exc))
        except Skip as skip:
            return CommandResult(cmd.key, cmd.line, cmd.kind, SKIPPED, skip.reason)
        except Fail as fail:
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED, fail.message)
        except Exception as exc:  # noqa: BLE001 - a harness bug must not end the run
            return CommandResult(cmd.key, cmd.line, cmd.kind, FAILED,
                                 f"harness error: {describe(exc)}")
        return CommandResult(cmd.key, cmd.line, cmd.kind, PASSED)

    def _engine(self, fn: Callable[[], Any]) -> Any:
        """Call the session. Unsupported becomes a skip with its reason; "not
        implemented", which no expectation accepts, a failure saying exactly
        that; other outcomes pass through to the caller; anything else is an
        adapter error (a failure naming the stray exception)."""
        try:
            return fn()
        except (Skip, Fail):
            raise
        except Unsupported as exc:
            raise Skip(exc.reason) from None
        except NotImplementedYet:
            raise Fail(NOT_IMPLEMENTED) from None
        except Outcome:
            raise
        except Exception as exc:  # noqa: BLE001
            raise Fail(describe(exc)) from None

    def _expect(self, expected: str, text: Optional[str], fn: Callable[[], Any],
                otherwise: Callable[[Any], str]) -> None:
        """Run ``fn``, which must end with the outcome ``expected``; returns
        normally when it does, fails naming what happened otherwise."""
        try:
            got = self._engine(fn)
        except Outcome as exc:
            if isinstance(exc, ACCEPTS[expected]):
                return
            raise Fail(f"{_expectation(expected, text)}, got {describe(exc)}") from None
        raise Fail(f"{_expectation(expected, text)}, got {otherwise(got)}")

    # -- modules ------------------------------------------------------------------

    def _source_for(self, source: ModuleSource, text_only: bool = False) -> ModuleSource:
        """The source the adapter should compile, or skip as text-format."""
        if text_only and source.is_text:
            source = ModuleSource(source.base, None, source.text_file)
        if source.binary_file is None and not self.adapter.reads_text:
            raise Skip("text-format")
        return source

    def _compile(self, source: ModuleSource) -> Any:
        """Compile a module that must be valid."""
        source = self._source_for(source)
        try:
            return self._engine(lambda: self.session.compile(source))
        except Outcome as exc:
            raise Fail(f"expected a valid module, got {describe(exc)}") from None

    def _instantiate(self, module: Any) -> Any:
        try:
            return self._engine(lambda: self.session.instantiate(module))
        except Outcome as exc:
            raise Fail(f"expected instantiation, got {describe(exc)}") from None

    def _bind(self, table: dict[Optional[str], Any], name: Optional[str], value: Any) -> None:
        table[None] = value
        if name is not None:
            table[name] = value

    def _missing(self, what: str, line: int, exc: Exception) -> Missing:
        if isinstance(exc, Skip):
            return Missing(SKIPPED, exc.reason)
        message = exc.message if isinstance(exc, Fail) else str(exc)
        if message == NOT_IMPLEMENTED:
            return Missing(FAILED, NOT_IMPLEMENTED)
        return Missing(FAILED, f"{what} not instantiated (line {line}: {message})")

    def _module(self, cmd: Command) -> None:
        assert cmd.module is not None
        try:
            instance = self._instantiate(self._compile(cmd.module))
        except (Skip, Fail) as exc:
            self._bind(self.instances, cmd.name, self._missing("module", cmd.line, exc))
            raise
        self._bind(self.instances, cmd.name, instance)
        if self.implicit_register and cmd.name is not None:
            try:
                self._engine(lambda: self.session.register(cmd.name, instance))
            except Outcome as exc:
                raise Fail(f"expected registration as {cmd.name!r}, got {describe(exc)}") from None

    def _module_definition(self, cmd: Command) -> None:
        assert cmd.module is not None
        try:
            module = self._compile(cmd.module)
        except (Skip, Fail) as exc:
            self._bind(self.modules, cmd.name, self._missing("module definition", cmd.line, exc))
            raise
        self._bind(self.modules, cmd.name, module)

    def _module_instance(self, cmd: Command) -> None:
        try:
            module = self._lookup(self.modules, cmd.definition, "module definition")
            instance = self._instantiate(module)
        except (Skip, Fail) as exc:
            self._bind(self.instances, cmd.name, self._missing("instance", cmd.line, exc))
            raise
        self._bind(self.instances, cmd.name, instance)

    def _lookup(self, table: dict[Optional[str], Any], name: Optional[str], what: str) -> Any:
        if name not in table:
            raise Fail(f"unknown {what} {name}" if name else f"no {what} defined")
        item = table[name]
        if isinstance(item, Missing):
            item.raise_()
        return item

    def _register(self, cmd: Command) -> None:
        instance = self._lookup(self.instances, cmd.name, "module")
        try:
            self._engine(lambda: self.session.register(cmd.register_as, instance))
        except Outcome as exc:
            raise Fail(f"expected registration, got {describe(exc)}") from None

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
        action = cmd.action
        try:
            self._perform(action, ())
        except Outcome as exc:
            raise Fail(f"expected {action} to return, got {describe(exc)}") from None

    def _assert_return(self, cmd: Command) -> None:
        assert cmd.action is not None and cmd.expected is not None
        expected = cmd.expected
        hints = [p.hint for p in expected]
        try:
            got = self._perform(cmd.action, hints)
        except Outcome as exc:
            want = ", ".join(map(str, expected)) or "no results"
            raise Fail(f"expected {want}, got {describe(exc)}") from None
        problem = match_results(expected, got)
        if problem is not None:
            raise Fail(problem)

    def _assert_action_fails(self, cmd: Command, expected: str) -> None:
        action = cmd.action
        assert action is not None
        self._expect(expected, cmd.text, lambda: self._perform(action, ()),
                     lambda got: "a normal return ("
                     + (", ".join(format_value(v) for v in got) or "no results") + ")")

    def _assert_rejected(self, cmd: Command, expected: str) -> None:
        assert cmd.module is not None
        source = self._source_for(cmd.module, text_only=expected == "malformed")
        self._expect(expected, cmd.text, lambda: self.session.compile(source),
                     lambda _: "a valid module")

    def _assert_not_instantiable(self, cmd: Command, expected: str) -> None:
        assert cmd.module is not None
        module = self._compile(cmd.module)
        self._expect(expected, cmd.text, lambda: self.session.instantiate(module),
                     lambda _: "a successful instantiation")

    def _assert_custom(self, cmd: Command, expected: str) -> None:
        if not getattr(self.adapter, "checks_custom", False):
            raise Skip("custom-annotations")
        self._assert_rejected(cmd, expected)

    # -- threads ----------------------------------------------------------------------

    def _thread(self, cmd: Command) -> None:
        name = cmd.name or f"line {cmd.line}"
        fork = getattr(self.session, "thread", None)
        if not callable(fork):
            self._pending += [CommandResult(c.key, c.line, c.kind, SKIPPED, "threads")
                              for c in flatten(cmd.commands)]
            raise Skip("threads")
        try:
            shared = {n: self._lookup(self.instances, n, "module") for n in cmd.shared}
        except (Skip, Fail) as exc:
            status = SKIPPED if isinstance(exc, Skip) else FAILED
            why = exc.reason if isinstance(exc, Skip) else f"thread {name} not started ({exc.message})"
            self._pending += [CommandResult(c.key, c.line, c.kind, status, why)
                              for c in flatten(cmd.commands)]
            raise
        child = ScriptRunner(self.adapter, None, self.disabled,
                             implicit_register=self.implicit_register,
                             session=self._engine(fork))
        for n, instance in shared.items():
            child.instances[n] = instance
        running = _Thread(child, cmd.commands)
        self.threads[name] = running
        running.thread.start()

    def _join(self, name: str) -> list[CommandResult]:
        running = self.threads.pop(name)
        count = len(flatten(running.commands))
        limit = self.timeout * max(1, count) if self.timeout else None
        return running.finish(limit)

    def _wait(self, cmd: Command) -> None:
        if cmd.thread not in self.threads:
            raise Fail(f"unknown thread {cmd.thread}")
        results = self._join(cmd.thread)
        self._pending += results


def run_file(path: Path, relpath: str, proposal: str, adapter: Any,
             converter: Converter, timeout: Optional[float] = None, *,
             limits: Optional[RunLimits] = None, implicit_register: bool = False) -> FileResult:
    """Convert and run one script. Never raises: conversion and reading
    problems become one failed ``convert`` command. ``timeout`` (or
    ``limits.command``) limits each command, ``limits.script`` the whole
    script (seconds; a command past it fails with "timed out")."""
    limits = limits or RunLimits(timeout)
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
    if callable(getattr(adapter, "run_script", None)):
        result.results = _script_results(adapter, script.commands,
                                         lambda: adapter.run_script(script, disabled))
        return result
    runner = ScriptRunner(adapter, limits.command, disabled, implicit_register=implicit_register,
                          script_timeout=limits.script)
    try:
        result.results = runner.run(script.commands)
    finally:
        runner.close()
    return result


def _script_results(adapter: Any, commands: list[Command],
                    run: Callable[[], list[CommandResult]]) -> list[CommandResult]:
    """A whole-script adapter's results, checked: exactly one per command."""
    flat = flatten(commands)
    try:
        got = run()
    except Exception as exc:  # noqa: BLE001 - the engine's failure, on every command
        why = f"{getattr(adapter, 'name', 'adapter')} failed: {describe(exc)}"
        return [CommandResult(c.key, c.line, c.kind, FAILED, why) for c in flat]
    by_key = {r.key: r for r in got}
    out = []
    for c in flat:
        r = by_key.pop(c.key, None)
        out.append(r if r is not None else CommandResult(c.key, c.line, c.kind, FAILED,
                                                         "no result from the engine"))
    return out
