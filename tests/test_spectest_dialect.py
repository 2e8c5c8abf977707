"""The whole script dialect: threads with real concurrency, assert_suspension,
either, wasm-tools' reference objects, converter fallback, the engine's own
text reader as third converter, implicit registration; and the peers
(pywasm, node, wabt) on one script, each catching a wrong expectation."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from spectest.adapters import get_adapter
from spectest.convert import Converter, Tool
from spectest.outcomes import Suspended, Trapped
from spectest.results import FAILED, PASSED, SKIPPED
from spectest.runner import ScriptRunner, run_file
from spectest.script import read_script
from spectest.values import Num, RefKind, RefPat, parse_pattern, parse_value

THREADS = """\
(module $Mem (memory (export "shared") 1 1 shared))
(register "mem" $Mem)
(thread $T1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      ;; wait until T2 stores 1 at address 4, then store 42 at 0
      (loop $l (br_if $l (i32.eqz (i32.atomic.load (i32.const 4)))))
      (i32.atomic.store (i32.const 0) (i32.const 42))))
  (invoke "run"))
(thread $T2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (i32.atomic.store (i32.const 4) (i32.const 1))))
  (invoke "run"))
(wait $T1)
(wait $T2)
(module $Check
  (memory (import "mem" "shared") 1 1 shared)
  (func (export "get") (result i32) (i32.atomic.load (i32.const 0))))
(assert_return (invoke $Check "get") (i32.const 42))
(thread $T3 (assert_unlinkable (module (memory (import "mem" "shared") 1 1 shared)) "unknown import"))
(wait $T3)
"""


def _convert(tmp_path, text, name="s.wast"):
    path = tmp_path / name
    path.write_text(text)
    return path, Converter(tmp_path / "cache")


def test_threads_run_concurrently_and_share_memory(tmp_path):
    # T1 spins until T2 has stored: it can finish only if both really run
    # at once (in order, T1 would spin forever and time out)
    path, conv = _convert(tmp_path, THREADS)
    result = run_file(path, "s.wast", "threads", get_adapter("engine"), conv, 20)
    statuses = {(r.line, r.kind): r.status for r in result.results}
    assert result.failed == 0 and result.skipped == 0, result.failures()
    assert statuses[(23, "assert_return")] == PASSED
    # every command of every thread is accounted for, once
    assert {r.line for r in result.results} == {1, 2, 3, 4, 5, 11, 12, 13, 14, 17, 18, 19, 20, 23, 24, 25}
    assert len(result.results) == len({r.key for r in result.results})


def test_an_adapter_without_threads_skips_each_thread_command(tmp_path):
    path, conv = _convert(tmp_path, THREADS)
    adapter = get_adapter("pywasm")
    result = run_file(path, "s.wast", "threads", adapter, conv, 20)
    by_line = {r.line: r for r in result.results}
    assert by_line[3].status == SKIPPED and by_line[3].message == "threads"
    assert by_line[11].status == SKIPPED and by_line[11].message == "threads"   # inside T1


class _Fake:
    name, reads_text, checks_custom, claims = "fake", False, False, frozenset()

    def __init__(self, outcome):
        self.outcome = outcome

    def session(self, disabled=frozenset()):
        outer = self

        class S:
            def compile(self, source):
                return source

            def instantiate(self, module):
                return module

            def register(self, name, instance):
                outer.registered = name

            def invoke(self, instance, field, args, hints=None):
                if outer.outcome is not None:
                    raise outer.outcome
                return [Num("i32", 1)]

            def get(self, instance, field, hint=None):
                return Num("i32", 1)

            def close(self):
                pass

        return S()


def _script(tmp_path, commands):
    (tmp_path / "m.wasm").write_bytes(b"\0asm\1\0\0\0")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"commands": commands}))
    return read_script(path).commands


def test_assert_suspension_accepts_only_a_suspension(tmp_path):
    cmds = _script(tmp_path, [
        {"type": "module", "line": 1, "filename": "m.wasm"},
        {"type": "assert_suspension", "line": 2, "action": {"type": "invoke", "field": "f"},
         "text": "unhandled"}])
    ok = ScriptRunner(_Fake(Suspended("suspended"))).run(cmds)
    assert [r.status for r in ok] == [PASSED, PASSED]
    wrong = ScriptRunner(_Fake(Trapped("x"))).run(cmds)
    assert wrong[1].status == FAILED and "expected suspension (unhandled), got trap" in wrong[1].message


def test_implicit_register_makes_named_modules_importable(tmp_path):
    cmds = _script(tmp_path, [{"type": "module", "line": 1, "name": "$lib", "filename": "m.wasm"}])
    fake = _Fake(None)
    ScriptRunner(fake, implicit_register=True).run(cmds)
    assert fake.registered == "lib"
    plain = _Fake(None)
    ScriptRunner(plain).run(cmds)
    assert not hasattr(plain, "registered")


def test_every_reference_form_of_both_converters_reads():
    # wasm-tools: a funcref by index is an object; wast2json: a number
    for raw in ({"type": "funcref", "value": {"index": 3}}, {"type": "funcref", "value": "3"}):
        assert parse_pattern(raw) == RefPat(RefKind.FUNC, hierarchy="funcref")
        assert parse_value(raw).kind is RefKind.FUNC
    for raw in ({"type": "refnull"}, {"type": "nullref"}, {"type": "nullfuncref"},
                {"type": "nullexternref"}, {"type": "nullexnref"}, {"type": "exnref", "value": "null"}):
        assert parse_pattern(raw).kind is RefKind.NULL
    for t in ("structref", "arrayref", "i31ref", "eqref", "anyref", "externref", "exnref", "funcref"):
        assert parse_pattern({"type": t}).kind is not RefKind.NULL


def test_a_converter_that_writes_unparsable_json_falls_back(tmp_path):
    fake = tmp_path / "wast2json"
    fake.write_text("#!/bin/sh\n# writes a broken file, like wast2json's multi-value expected\n"
                    'out=""; while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done\n'
                    'printf \'{"commands": [{"type": "module"}{}]}\' > "$out"\n')
    fake.chmod(0o755)
    path, _ = _convert(tmp_path, '(module (func (export "f") (result i32) (i32.const 7)))\n'
                                 '(assert_return (invoke "f") (i32.const 7))\n')
    conv = Converter(tmp_path / "cache2", wast2json=Tool("wast2json", str(fake)))
    done = conv.convert(path)
    assert done.converter == "wasm-tools"
    assert read_script(done.json_path).commands[1].kind == "assert_return"


def test_the_engine_text_reader_converts_what_no_tool_reads(tmp_path):
    missing = tmp_path / "fails"
    missing.write_text("#!/bin/sh\necho 'unknown syntax' >&2\nexit 1\n")
    missing.chmod(0o755)
    text = ('(module $M (func (export "f") (param f32) (result f32) (local.get 0))\n'
            '  (global (export "g") i64 (i64.const -1)))\n'
            '(assert_return (invoke $M "f" (f32.const -nan:0x1)) (f32.const -nan:0x1))\n'
            '(assert_return (invoke "f" (f32.const 1.5)) (either (f32.const 1) (f32.const 1.5)))\n'
            '(assert_return (get "g") (i64.const -1))\n'
            '(assert_malformed (module quote "(func (i32.const))") "unexpected token")\n'
            '(assert_trap (invoke "f" (f32.const 0)) "never")\n'
            '(thread $T (shared (module $M)) (assert_return (invoke $M "f" (f32.const 2)) (f32.const 2)))\n'
            '(wait $T)\n'
            '(assert_return (invoke "f" (f32.new_form 1)) (f32.const 1))\n')
    path, _ = _convert(tmp_path, text)
    conv = Converter(tmp_path / "cache3", wast2json=Tool("wast2json", str(missing)),
                     wasm_tools=Tool("wasm-tools", str(missing)))
    result = run_file(path, "s.wast", "core", get_adapter("engine"), conv, 20)
    assert result.converter == "engine.text"
    by_line = {r.line: r for r in result.results}
    assert [by_line[n].status for n in (1, 3, 4, 5, 6, 8, 9)] == [PASSED] * 7
    assert by_line[7].status == FAILED and "got a normal return" in by_line[7].message
    # what this reader cannot read is a failed command, never dropped
    assert by_line[10].status == FAILED and "unreadable" in by_line[10].message


PEER_SCRIPT = """\
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (param f32) (result f32) (local.get 0))
  (func (export "vec") (result v128) (v128.const i32x4 1 2 3 -1))
  (func (export "boom") (unreachable)))
(assert_return (invoke "add" (i32.const 1) (i32.const -2)) (i32.const -1))
(assert_return (invoke "nan" (f32.const nan:0x200001)) (f32.const nan:0x200001))
(assert_return (invoke "vec") (v128.const i32x4 1 2 3 -1))
(assert_trap (invoke "boom") "unreachable")
(assert_return (invoke "nan" (f32.const nan:0x200001)) (f32.const nan:0x200002))
(assert_return (invoke "add" (i32.const 1) (i32.const 1)) (i32.const 3))
"""


def _peer(name):
    try:
        return get_adapter(name)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"{name} is not available here: {exc}")


@pytest.mark.parametrize("name", ["engine", "wasmtime", "pywasm", "node", "wabt"])
def test_each_peer_passes_the_truth_and_fails_each_lie(tmp_path, name):
    if name == "node" and not (shutil.which("node") or shutil.which("nodejs")):
        pytest.skip("Node.js is not installed (.ci/run installs Debian's nodejs)")
    adapter = _peer(name)
    path, conv = _convert(tmp_path, PEER_SCRIPT)
    try:
        result = run_file(path, "s.wast", "core", adapter, conv, 30)
    finally:
        getattr(adapter, "close", lambda: None)()
    by_line = {r.line: r for r in result.results}
    assert [by_line[n].status for n in (1, 6, 7, 8, 9)] == [PASSED] * 5, result.results
    # a NaN payload one bit off, and a plain wrong sum: both caught
    assert by_line[10].status == FAILED and by_line[11].status == FAILED


def test_the_proposal_tests_threads_folder_runs_every_assertion_on_the_engine():
    # the proposals' own tests sit beside the testsuite copy
    suite = os.environ.get("WASM_TESTSUITE")
    folder = Path(suite).parent / "proposal-tests" / "threads" if suite else Path("/nonexistent")
    if not folder.is_dir():
        pytest.skip("the threads proposal's own tests are not beside the testsuite")
    conv = Converter()
    for script in sorted(folder.glob("*.wast")):
        result = run_file(script, script.name, "threads", get_adapter("engine"), conv, 60)
        assert result.skipped == 0, (script.name, result.skip_reasons())
        assert not any("unknown command" in r.message or "unreadable" in r.message
                       for r in result.results), script.name
