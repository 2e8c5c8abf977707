"""The process adapter and its protocol: the reference driver passes a
script end to end, and a driver that lies, crashes, hangs or talks garbage
is caught every time (each lie is a failed command, never a pass)."""

from __future__ import annotations

import sys

import pytest

from spectest.adapters import get_adapter
from spectest.adapters.process import ProcessAdapter
from spectest.convert import Converter
from spectest.protocol import ProtocolError, decode_value, encode_value
from spectest.results import FAILED, PASSED
from spectest.runner import run_file
from spectest.values import NULL, Num, Ref, RefKind, Vec

SCRIPT = """\
(module $M
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.const nan:0x200001))
  (func (export "vec") (result v128) (v128.const i32x4 1 2 3 -1))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "boom") (unreachable))
  (global (export "g") f64 (f64.const -0x1.8p1))
)
(assert_return (invoke "add" (i32.const 1) (i32.const -2)) (i32.const -1))
(assert_return (invoke "nan") (f32.const nan:0x200001))
(assert_return (invoke "vec") (v128.const i32x4 1 2 3 -1))
(assert_return (invoke "id" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_trap (invoke "boom") "unreachable")
(assert_return (get "g") (f64.const -0x1.8p1))
(register "m" $M)
(module (import "m" "add" (func (param i32 i32) (result i32))))
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(assert_invalid (module (func (result i32))) "type mismatch")
"""

LIAR = """\
import sys, time
from spectest.adapters import get_adapter
from spectest.driver import Driver

mode = sys.argv[1]

def edit(message, reply):
    op = message.get("op")
    if op == "invoke" and message.get("field") == {field!r}:
        if mode == "flip":
            value = reply["results"][0]
            value["bits"] = str(int(value["bits"]) ^ 1)
        elif mode == "swap":
            reply = {{"outcome": "returned", "results": []}}
        elif mode == "crash":
            sys.exit(3)
        elif mode == "hang":
            time.sleep(60)
        elif mode == "garbage":
            sys.stdout.write("hello there\\n")
            sys.stdout.flush()
        elif mode == "badvalue":
            reply["results"] = [{{"type": "f32", "bits": "-1"}}]
    return reply

Driver(get_adapter("engine")).serve(sys.stdin, sys.stdout, edit)
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "s.wast"
    path.write_text(SCRIPT)
    return path


@pytest.fixture
def converter(tmp_path):
    return Converter(tmp_path / "cache")


def _run(adapter, script, converter):
    result = run_file(script, "s.wast", "core", adapter, converter, 30)
    return {r.line: r for r in result.results}, result


def test_the_reference_driver_passes_the_script_end_to_end(script, converter):
    adapter = get_adapter("exec:" + sys.executable + " -m spectest.driver engine")
    try:
        by_line, result = _run(adapter, script, converter)
        assert result.failed == 0 and result.skipped == 0, result.failures()
        assert result.passed == len(result.results) == 12
        assert adapter.version().startswith("transwasm")
        assert adapter.reads_text and "simd" in adapter.claims
    finally:
        adapter.close()


@pytest.mark.parametrize("mode, field, line, words", [
    ("flip", "nan", 10, "expected f32 0x7fa00001"),
    ("flip", "add", 9, "expected i32 -1"),
    ("flip", "vec", 11, "expected v128"),
    ("swap", "boom", 14, "expected trap (unreachable), got a normal return"),
    ("badvalue", "add", 9, "protocol error"),
    ("garbage", "add", 9, "unexpected output from the engine: 'hello there'"),
    ("crash", "add", 9, "exit status 3"),
])
def test_a_lying_or_broken_driver_is_caught(tmp_path, script, converter, mode, field, line, words):
    liar = tmp_path / "liar.py"
    liar.write_text(LIAR.format(field=field))
    adapter = ProcessAdapter([sys.executable, str(liar), mode])
    try:
        by_line, result = _run(adapter, script, converter)
        assert by_line[line].status == FAILED and words in by_line[line].message, by_line[line]
        # every other command that does not depend on a dead driver still passes
        if mode in ("flip", "swap"):
            assert result.failed == 1
        # a dead or broken driver fails the rest of the script, loudly
        if mode in ("crash", "garbage", "badvalue"):
            assert all(r.status == FAILED for r in result.results if r.line > line)
            # ... and is started again for the next script
            again, result2 = _run(adapter, script, converter)
            assert again[1].status == PASSED
    finally:
        adapter.close()


def test_a_hanging_driver_times_out_and_is_replaced(tmp_path, script, converter):
    liar = tmp_path / "liar.py"
    liar.write_text(LIAR.format(field="add"))
    adapter = ProcessAdapter([sys.executable, str(liar), "hang"])
    adapter.session()  # started (and said hello) under the normal limit
    child = adapter._child
    adapter.request_timeout = 2.0
    try:
        by_line, _ = _run(adapter, script, converter)
        assert by_line[9].status == FAILED and "no answer within 2 s" in by_line[9].message
        assert child is not None and child.proc.poll() is not None  # killed
    finally:
        adapter.close()


def test_a_driver_that_does_not_start_fails_every_command(tmp_path, script, converter):
    adapter = ProcessAdapter([str(tmp_path / "no-such-driver")])
    _, result = _run(adapter, script, converter)
    assert result.failed == len(result.results) and "cannot start" in result.results[0].message


def test_values_round_trip_and_garbage_is_refused():
    for value in (Num("f32", 0x7FA00001), Num("i64", (1 << 64) - 1), Vec((1 << 128) - 1),
                  NULL, Ref(RefKind.EXTERN, 3), Ref(RefKind.FUNC)):
        assert decode_value(encode_value(value)) == value
    for bad in ({"type": "i32", "bits": "4294967296"}, {"type": "i32", "bits": 5},
                {"type": "f32", "bits": "-1"}, {"type": "ref", "kind": "nope"},
                {"type": "ref", "kind": "null", "host": 1}, [], {"type": "x"}):
        with pytest.raises(ProtocolError):
            decode_value(bad)


def test_the_protocol_document_lists_every_outcome():
    from pathlib import Path

    from spectest.protocol import OUTCOMES

    doc = (Path(__file__).resolve().parents[1] / "spectest" / "PROTOCOL.md").read_text()
    for name in [*OUTCOMES, "returned", "unsupported", "error"]:
        assert f"`{name}`" in doc, name
