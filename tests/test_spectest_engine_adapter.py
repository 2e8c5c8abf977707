"""The adapter for this project's engine, against a stand-in that follows the
public API contract (the real engine is developed in parallel): error
mapping, value conversion, the spectest host items, and "not implemented"."""

import json
import struct
from types import SimpleNamespace

import pytest

import engine.errors as E
import spectest.adapters.engine as engine_adapter
from spectest.host import SPECTEST
from spectest.results import FAILED, PASSED
from spectest.runner import ScriptRunner
from spectest.script import read_script

HEADER = b"\0asm\1\0\0\0"


class Func:
    def __init__(self, store, ftype, fn):
        self.ftype, self.fn = ftype, fn

    def __call__(self, store, *args):
        return self.fn(*args)


class Global:
    def __init__(self, store, gtype, value):
        self.gtype, self._value = gtype, value

    def value(self, store):
        return self._value


class Instance:
    def __init__(self, exports):
        self._exports = exports

    def exports(self, store):
        return self._exports


def make_engine(modules, *, not_implemented=False):
    """A stand-in ``engine`` module; ``modules`` maps a marker (the bytes
    after the header) to an export dict or an exception to raise."""
    defined = {}

    class Engine:
        def __init__(self, config):
            if not_implemented:
                raise NotImplementedError("engine not implemented yet")

    class Module:
        def __init__(self, eng, wasm):
            spec = modules[wasm[len(HEADER):].decode()]
            if isinstance(spec, Exception) and not isinstance(spec, E.LinkError | E.Trap):
                raise spec
            self.spec = spec

    class Linker:
        def __init__(self, eng):
            self.allow_shadowing = False

        def define(self, store, module, name, item):
            defined[(module, name)] = item

        def define_instance(self, store, name, instance):
            defined[(name, "*")] = instance

        def instantiate(self, store, module):
            if isinstance(module.spec, Exception):
                raise module.spec
            return Instance(module.spec)

    fake = SimpleNamespace(
        Engine=Engine, Config=lambda **kw: None, Store=lambda eng: object(), Module=Module,
        Linker=Linker, Func=Func, Global=Global,
        Memory=lambda store, mtype: ("memory", mtype), Table=lambda store, ttype, init: ("table", ttype),
        Tag=object, StructRef=type("StructRef", (), {}), ArrayRef=type("ArrayRef", (), {}),
        I31Ref=type("I31Ref", (), {}), ExnRef=type("ExnRef", (), {}),
        ValType=SimpleNamespace(**{n: (lambda n=n: n) for n in (
            "i32", "i64", "f32", "f64", "v128", "funcref", "externref", "anyref", "exnref")}),
        FuncType=lambda params, results: ("func", tuple(params), tuple(results)),
        GlobalType=lambda t, mutable: ("global", t, mutable),
        MemoryType=lambda mn, mx=None, shared=False: ("mem", mn, mx, shared),
        TableType=lambda el, mn, mx=None, table64=False: ("tab", el, mn, mx, table64),
        f32_to_bits=lambda x: struct.unpack("<I", struct.pack("<f", x))[0],
        f32_from_bits=lambda b: struct.unpack("<f", struct.pack("<I", b))[0],
        MalformedError=E.MalformedError, InvalidError=E.InvalidError, LinkError=E.LinkError,
        InstantiationError=E.InstantiationError, Trap=E.Trap, TrapCode=E.TrapCode,
        WasmException=E.WasmException, defined=defined,
    )
    return fake


def run(tmp_path, monkeypatch, fake, commands, markers):
    monkeypatch.setattr(engine_adapter, "engine", fake)
    for filename, marker in markers.items():
        (tmp_path / filename).write_bytes(HEADER + marker.encode())
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"commands": commands}))
    runner = ScriptRunner(engine_adapter.EngineAdapter())
    return runner.run(read_script(path).commands)


def inv(field, *args):
    return {"type": "invoke", "field": field, "args": list(args)}


def test_not_implemented_engine_fails_every_command_with_that_message(tmp_path, monkeypatch):
    fake = make_engine({"m": {}}, not_implemented=True)
    results = run(tmp_path, monkeypatch, fake, [
        {"type": "module", "line": 1, "filename": "m.wasm"},
        {"type": "assert_return", "line": 2, "action": inv("f"), "expected": []},
        {"type": "assert_malformed", "line": 3, "filename": "m.wasm", "module_type": "binary", "text": "x"},
        {"type": "module", "line": 4, "filename": "t.wat", "module_type": "text"},
    ], {"m.wasm": "m", "t.wat": "m"})
    # the engine reads the text format, so the text module goes to it too
    assert [(r.status, r.message) for r in results] == [(FAILED, "not implemented")] * 4


def test_values_cross_the_api_exactly(tmp_path, monkeypatch):
    host_seen = []
    exports = {
        "neg-one": Func(None, None, lambda: -1),
        "f32": Func(None, None, lambda: struct.unpack("<f", struct.pack("<I", 0x3FC00000))[0]),
        "f64-nan": Func(None, None, lambda: struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000001))[0]),
        "v128": Func(None, None, lambda: 1 | 2 << 32),
        "multi": Func(None, None, lambda: (1, 2)),
        "echo": Func(None, None, lambda x: host_seen.append(x) or x),
        "too-big": Func(None, None, lambda: 1 << 40),
        "a-str": Func(None, None, lambda: "7"),
        "null": Func(None, None, lambda: None),
        "g": Global(None, None, 42),
    }
    fake = make_engine({"m": exports})
    I = lambda v: {"type": "i32", "value": str(v)}  # noqa: E731
    results = run(tmp_path, monkeypatch, fake, [
        {"type": "module", "line": 1, "filename": "m.wasm"},
        {"type": "assert_return", "line": 2, "action": inv("neg-one"), "expected": [I(4294967295)]},
        {"type": "assert_return", "line": 3, "action": inv("f32"),
         "expected": [{"type": "f32", "value": str(0x3FC00000)}]},
        {"type": "assert_return", "line": 4, "action": inv("f64-nan"),
         "expected": [{"type": "f64", "value": "nan:arithmetic"}]},
        {"type": "assert_return", "line": 5, "action": inv("v128"),
         "expected": [{"type": "v128", "lane_type": "i32", "value": ["1", "2", "0", "0"]}]},
        {"type": "assert_return", "line": 6, "action": inv("multi"), "expected": [I(1), I(2)]},
        {"type": "assert_return", "line": 7, "action": inv("echo", {"type": "externref", "value": "5"}),
         "expected": [{"type": "externref", "value": "5"}]},
        {"type": "assert_return", "line": 8, "action": inv("too-big"), "expected": [I(0)]},
        {"type": "assert_return", "line": 9, "action": inv("a-str"), "expected": [I(7)]},
        {"type": "assert_return", "line": 10, "action": inv("null"), "expected": [{"type": "refnull"}]},
        {"type": "assert_return", "line": 11, "action": {"type": "get", "field": "g"}, "expected": [I(42)]},
        {"type": "assert_return", "line": 12, "action": inv("nope"), "expected": []},
    ], {"m.wasm": "m"})
    statuses = {r.line: r.status for r in results}
    assert [statuses[n] for n in range(1, 13)] == [PASSED] * 7 + [FAILED, FAILED] + [PASSED] * 2 + [FAILED]
    messages = {r.line: r.message for r in results}
    assert "<int 1099511627776 as i32>" in messages[8]
    assert "<str '7' as i32>" in messages[9]
    assert "unknown export" in messages[12]
    assert isinstance(host_seen[0], engine_adapter.HostRef) and host_seen[0].number == 5


@pytest.mark.parametrize("error,expect,ok", [
    (E.MalformedError("unexpected end"), "assert_malformed", True),
    (E.MalformedError("unexpected end"), "assert_invalid", False),
    (E.InvalidError("type mismatch"), "assert_invalid", True),
    (E.LinkError("unknown import"), "assert_unlinkable", True),
    (E.Trap(E.TrapCode.MEMORY_OUT_OF_BOUNDS), "assert_uninstantiable", True),
    (E.InstantiationError("limits"), "assert_uninstantiable", False),
    (ValueError("stray"), "assert_invalid", False),
])
def test_documented_errors_map_onto_outcomes(tmp_path, monkeypatch, error, expect, ok):
    fake = make_engine({"m": error})
    results = run(tmp_path, monkeypatch, fake, [
        {"type": expect, "line": 1, "filename": "m.wasm", "module_type": "binary", "text": "x"}],
        {"m.wasm": "m"})
    assert results[0].status == (PASSED if ok else FAILED), results[0].message
    if isinstance(error, ValueError):
        assert "adapter error ValueError: stray" in results[0].message


def test_stack_overflow_is_exhaustion_and_exceptions_are_exceptions(tmp_path, monkeypatch):
    def overflow():
        raise E.Trap(E.TrapCode.STACK_OVERFLOW)

    def throw():
        raise E.WasmException(object(), raw=(1,))

    fake = make_engine({"m": {"deep": Func(None, None, overflow), "throw": Func(None, None, throw)}})
    results = run(tmp_path, monkeypatch, fake, [
        {"type": "module", "line": 1, "filename": "m.wasm"},
        {"type": "assert_exhaustion", "line": 2, "action": inv("deep"), "text": "call stack exhausted"},
        {"type": "assert_trap", "line": 3, "action": inv("deep"), "text": "call stack exhausted"},
        {"type": "assert_exception", "line": 4, "action": inv("throw")},
    ], {"m.wasm": "m"})
    assert [r.status for r in results] == [PASSED, PASSED, FAILED, PASSED]


def test_the_spectest_module_is_defined_through_the_api(tmp_path, monkeypatch):
    fake = make_engine({"m": {}})
    run(tmp_path, monkeypatch, fake, [{"type": "module", "line": 1, "filename": "m.wasm"}],
        {"m.wasm": "m"})
    names = {name for (module, name) in fake.defined if module == "spectest"}
    assert names == {item.name for item in SPECTEST}
    g = fake.defined[("spectest", "global_f32")]
    assert struct.unpack("<I", struct.pack("<f", g.value(None)))[0] == 0x4426A666  # 666.6f
    assert fake.defined[("spectest", "table64")] == ("table", ("tab", "funcref", 10, 20, True))
    assert fake.defined[("spectest", "shared_memory")] == ("memory", ("mem", 1, 2, True))
    assert fake.defined[("spectest", "print_i32_f32")].ftype == ("func", ("i32", "f32"), ())
