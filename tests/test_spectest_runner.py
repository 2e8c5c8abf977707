"""The runner: command semantics, outcome classes, accounting of every
command, and bad input. Uses a scripted fake adapter (no engine needed) and
small hand-written JSON scripts."""

import json

import pytest

from spectest.outcomes import (Exhausted, Invalid, Malformed, NotImplementedYet, Rejected, Thrown,
                               Trapped, Unlinkable, Unsupported)
from spectest.results import FAILED, PASSED, SKIPPED
from spectest.runner import NOT_IMPLEMENTED, ScriptRunner
from spectest.script import read_script
from spectest.values import Num

WASM = b"\0asm\1\0\0\0"


class FakeSession:
    """Answers from a table: module file name -> outcome (or None = fine);
    export name -> results or an outcome to raise."""

    def __init__(self, adapter):
        self.a = adapter
        self.registered = {}

    def compile(self, source):
        if source.binary_file is None and not self.a.reads_text:
            raise Unsupported("text-format")
        name = source.binary_file or source.text_file
        outcome = self.a.compile_outcomes.get(name)
        if outcome:
            raise outcome
        return name

    def instantiate(self, module):
        outcome = self.a.instantiate_outcomes.get(module)
        if outcome:
            raise outcome
        return ("instance", module)

    def register(self, name, instance):
        self.registered[name] = instance

    def invoke(self, instance, field, args, hints=None):
        answer = self.a.exports[field]
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    def get(self, instance, field, hint=None):
        return self.invoke(instance, field, (), [hint])[0]

    def close(self):
        pass


class FakeAdapter:
    name = "fake"
    reads_text = False
    checks_custom = False
    unsupported_proposals = frozenset()

    def __init__(self, exports=None, compile_outcomes=None, instantiate_outcomes=None,
                 session_error=None):
        self.exports = exports or {}
        self.compile_outcomes = compile_outcomes or {}
        self.instantiate_outcomes = instantiate_outcomes or {}
        self.session_error = session_error

    def session(self, disabled=frozenset()):
        if self.session_error:
            raise self.session_error
        return FakeSession(self)


def script(tmp_path, commands):
    for c in commands:
        for key in ("filename", "binary_filename"):
            if key in c and c[key].endswith(".wasm"):
                (tmp_path / c[key]).write_bytes(WASM)
            elif key in c:
                (tmp_path / c[key]).write_text("(module)")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"commands": commands}))
    return read_script(path)


def run(tmp_path, adapter, commands):
    runner = ScriptRunner(adapter)
    return runner.run(script(tmp_path, commands).commands)


def mod(line, filename="m.wasm", **extra):
    return {"type": "module", "line": line, "filename": filename, **extra}


def invoke(field, *args):
    return {"type": "invoke", "field": field, "args": list(args)}


def ret(line, field, *expected):
    return {"type": "assert_return", "line": line, "action": invoke(field), "expected": list(expected)}


I32_1 = {"type": "i32", "value": "1"}


def test_every_command_is_accounted_for(tmp_path):
    adapter = FakeAdapter(exports={"one": [Num("i32", 1)], "two": [Num("i32", 2)]})
    results = run(tmp_path, adapter, [
        mod(1), ret(2, "one", I32_1), ret(3, "two", I32_1),
        {"type": "register", "line": 4, "as": "M"},
        {"type": "action", "line": 5, "action": invoke("one")},
    ])
    assert [r.status for r in results] == [PASSED, PASSED, FAILED, PASSED, PASSED]
    assert "expected i32 1 (0x00000001), got i32 2 (0x00000002)" in results[2].message


@pytest.mark.parametrize("expect,outcome,ok", [
    ("assert_trap", Trapped("unreachable"), True),
    ("assert_trap", Exhausted("stack"), False),          # exhaustion is not a trap
    ("assert_trap", Thrown("exn"), False),
    ("assert_exhaustion", Exhausted("stack"), True),
    ("assert_exhaustion", Trapped("unreachable"), False),
    ("assert_exception", Thrown("exn"), True),
    ("assert_exception", Trapped("unreachable"), False),
])
def test_runtime_outcome_classes_are_compared(tmp_path, expect, outcome, ok):
    adapter = FakeAdapter(exports={"f": outcome})
    results = run(tmp_path, adapter, [
        mod(1), {"type": expect, "line": 2, "action": invoke("f"), "text": "x"}])
    assert results[1].status == (PASSED if ok else FAILED), results[1].message


def test_a_normal_return_where_a_trap_was_due_fails(tmp_path):
    adapter = FakeAdapter(exports={"f": [Num("i32", 0)]})
    results = run(tmp_path, adapter, [
        mod(1), {"type": "assert_trap", "line": 2, "action": invoke("f"), "text": "integer divide by zero"}])
    assert results[1].status == FAILED
    assert "expected trap (integer divide by zero), got a normal return (i32 0" in results[1].message


@pytest.mark.parametrize("expect,outcome,ok", [
    ("assert_invalid", Invalid("type mismatch"), True),
    ("assert_invalid", Malformed("unexpected end"), False),
    ("assert_invalid", Trapped("unreachable"), False),       # a trap where invalid was expected
    ("assert_invalid", Rejected("?"), True),                 # engines that cannot tell
    ("assert_malformed", Malformed("unexpected end"), True),
    ("assert_malformed", Invalid("type mismatch"), False),
    ("assert_malformed", None, False),                       # accepted
    ("assert_invalid", None, False),
])
def test_module_outcome_classes_are_compared(tmp_path, expect, outcome, ok):
    adapter = FakeAdapter(compile_outcomes={"bad.wasm": outcome} if outcome else {})
    results = run(tmp_path, adapter, [
        {"type": expect, "line": 1, "filename": "bad.wasm", "module_type": "binary", "text": "x"}])
    assert results[0].status == (PASSED if ok else FAILED), results[0].message
    if outcome is None:
        assert "got a valid module" in results[0].message


@pytest.mark.parametrize("expect,outcome,ok", [
    ("assert_unlinkable", Unlinkable("unknown import"), True),
    ("assert_unlinkable", Trapped("oob"), False),
    ("assert_uninstantiable", Trapped("out of bounds memory access"), True),
    ("assert_uninstantiable", Unlinkable("unknown import"), False),
    ("assert_uninstantiable", None, False),
])
def test_instantiation_outcome_classes_are_compared(tmp_path, expect, outcome, ok):
    adapter = FakeAdapter(instantiate_outcomes={"m.wasm": outcome} if outcome else {})
    results = run(tmp_path, adapter, [
        {"type": expect, "line": 1, "filename": "m.wasm", "module_type": "binary", "text": "x"}])
    assert results[0].status == (PASSED if ok else FAILED), results[0].message


def test_commands_on_a_module_that_did_not_instantiate_fail_and_say_why(tmp_path):
    adapter = FakeAdapter(exports={"f": [Num("i32", 1)]},
                          instantiate_outcomes={"m.wasm": Unlinkable("unknown import a.b")})
    results = run(tmp_path, adapter, [
        mod(1), ret(2, "f", I32_1), {"type": "register", "line": 3, "as": "M"}])
    assert [r.status for r in results] == [FAILED, FAILED, FAILED]
    assert results[0].message.startswith("expected instantiation, got unlinkable")
    assert results[1].message.startswith("module not instantiated (line 1: expected instantiation")


def test_named_modules_and_definitions(tmp_path):
    adapter = FakeAdapter(exports={"f": [Num("i32", 1)]})
    results = run(tmp_path, adapter, [
        {"type": "module_definition", "line": 1, "name": "D", "filename": "d.wasm"},
        {"type": "module_instance", "line": 2, "instance": "I", "module": "D"},
        {"type": "assert_return", "line": 3, "action": dict(invoke("f"), module="I"),
         "expected": [I32_1]},
        {"type": "assert_return", "line": 4, "action": dict(invoke("f"), module="nope"),
         "expected": [I32_1]},
        {"type": "module_instance", "line": 5, "instance": "J", "module": "missing"},
    ])
    assert [r.status for r in results] == [PASSED, PASSED, PASSED, FAILED, FAILED]
    assert "unknown module nope" in results[3].message
    assert "unknown module definition missing" in results[4].message


def test_text_modules_are_skipped_with_a_named_reason_for_binary_only_engines(tmp_path):
    adapter = FakeAdapter(exports={"f": [Num("i32", 1)]})
    results = run(tmp_path, adapter, [
        {"type": "module", "line": 1, "filename": "t.wat", "module_type": "text"},
        ret(2, "f", I32_1),
        {"type": "assert_malformed", "line": 3, "filename": "q.wat", "module_type": "text",
         "text": "unknown operator"},
        # wasm-tools gave the binary of this text module: it runs
        {"type": "module", "line": 4, "filename": "u.wat", "module_type": "text",
         "binary_filename": "u.wasm"},
        ret(5, "f", I32_1),
    ])
    assert [(r.status, r.message) for r in results[:3]] == [(SKIPPED, "text-format")] * 3
    assert [r.status for r in results[3:]] == [PASSED, PASSED]


def test_malformed_text_is_never_replaced_by_a_binary(tmp_path):
    adapter = FakeAdapter()
    results = run(tmp_path, adapter, [
        {"type": "assert_malformed", "line": 1, "filename": "q.wat", "module_type": "text",
         "binary_filename": "q.wasm", "text": "x"}])
    assert results[0].status == SKIPPED


def test_custom_section_assertions_are_skipped_unless_checked(tmp_path):
    adapter = FakeAdapter()
    results = run(tmp_path, adapter, [
        {"type": "assert_invalid_custom", "line": 1, "filename": "c.wasm", "module_type": "binary",
         "text": "x"}])
    assert (results[0].status, results[0].message) == (SKIPPED, "custom-annotations")


def test_unknown_command_kind_is_a_counted_failure(tmp_path):
    results = run(tmp_path, FakeAdapter(), [mod(1), {"type": "assert_frobnicated", "line": 2}])
    assert results[1].status == FAILED
    assert results[1].message == "unknown command kind 'assert_frobnicated'"


def test_unreadable_command_is_a_counted_failure(tmp_path):
    results = run(tmp_path, FakeAdapter(), [
        {"type": "assert_return", "line": 2, "action": invoke("f", {"type": "contref"}), "expected": []}])
    assert results[0].status == FAILED and "unreadable command" in results[0].message


def test_not_implemented_engine_fails_every_command_with_that_message(tmp_path):
    adapter = FakeAdapter(session_error=NotImplementedYet("engine not implemented yet"))
    results = run(tmp_path, adapter, [
        mod(1), ret(2, "f", I32_1),
        {"type": "assert_invalid", "line": 3, "filename": "b.wasm", "module_type": "binary", "text": "x"},
        {"type": "assert_trap", "line": 4, "action": invoke("f"), "text": "x"},
    ])
    assert [(r.status, r.message) for r in results] == [(FAILED, NOT_IMPLEMENTED)] * 4


def test_stray_exceptions_from_an_adapter_are_failures_not_crashes(tmp_path):
    adapter = FakeAdapter(exports={"f": ZeroDivisionError("boom")})
    results = run(tmp_path, adapter, [mod(1), ret(2, "f", I32_1)])
    assert results[1].status == FAILED
    assert results[1].message.startswith("adapter error ZeroDivisionError: boom")


def test_unsupported_values_are_skipped_with_the_adapters_reason(tmp_path):
    adapter = FakeAdapter(exports={"f": Unsupported("host-boundary", "cannot pass")})
    results = run(tmp_path, adapter, [mod(1), ret(2, "f", I32_1)])
    assert (results[1].status, results[1].message) == (SKIPPED, "host-boundary")


def test_a_command_past_the_time_limit_fails_and_the_run_goes_on(tmp_path, monkeypatch):
    adapter = FakeAdapter(exports={"f": [Num("i32", 1)]})
    original = FakeSession.invoke
    calls = []

    def invoke(self, *args, **kwargs):
        calls.append(1)
        while len(calls) == 1:  # the first call never returns
            pass
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeSession, "invoke", invoke)
    runner = ScriptRunner(adapter, timeout=0.2)
    results = runner.run(script(tmp_path, [mod(1), ret(2, "f", I32_1), ret(3, "f", I32_1)]).commands)
    assert [(r.status, r.message) for r in results] == [
        (PASSED, ""), (FAILED, "timed out after 0.2 s"), (PASSED, "")]
