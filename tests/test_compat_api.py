"""wasmtime-py's documented API, piece by piece, on both engines.

Each test takes ``wt`` (a fixture of conftest.py), the module under test (``engine`` or ``wasmtime``),
and asserts the same things of both. What the two do differently on
purpose is listed in the README ("Switching from wasmtime-py") and tested
for the engine alone in ``tests/test_compat_engine.py``.
"""

from __future__ import annotations

import ctypes
import io
import os

import pytest

ADDER = """
(module $adder
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1 4)
  (global (export "counter") (mut i32) (i32.const 7))
  (table (export "table") 2 funcref)
  (func $add (export "add") (param i32 i32) (result i32)
    (call $log (local.get 0))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
  (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $outer (export "outer") (param i32) (result i32) (call $div (i32.const 1) (local.get 0)))
  (func (export "boom") unreachable)
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
"""


def setup(wt, log=None):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, ADDER)
    logged = [] if log is None else log
    func = wt.Func(store, wt.FuncType([wt.ValType.i32()], []), logged.append)
    instance = wt.Instance(store, module, [func])
    return store, instance.exports(store), logged


# -- errors ---------------------------------------------------------------------------


def test_module_errors_are_wasmtime_errors(wt):
    engine = wt.Engine()
    for bad in (b"\0asm\x02\0\0\0", "(module (func (result i32)))", "(module (func (resul i32)))"):
        with pytest.raises(wt.WasmtimeError):
            wt.Module(engine, bad)
    with pytest.raises(wt.WasmtimeError):
        wt.Module.validate(engine, b"\0asm\x01\0\0\0\x01")
    assert wt.Module.validate(engine, b"\0asm\x01\0\0\0") is None


def test_link_errors_are_wasmtime_errors(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, ADDER)
    with pytest.raises(wt.WasmtimeError):
        wt.Linker(engine).instantiate(store, module)
    with pytest.raises(wt.WasmtimeError):
        wt.Instance(store, module, [])


def test_traps_are_traps_not_wasmtime_errors(wt):
    store, ex, _ = setup(wt)
    with pytest.raises(wt.Trap) as info:
        ex["boom"](store)
    assert not isinstance(info.value, wt.WasmtimeError)
    assert info.value.trap_code == wt.TrapCode.UNREACHABLE
    assert isinstance(info.value.message, str)
    with pytest.raises(wt.Trap) as info:
        ex["div"](store, 1, 0)
    assert info.value.trap_code == wt.TrapCode.INTEGER_DIVISION_BY_ZERO
    assert "divide by zero" in str(info.value)
    assert issubclass(wt.ExitTrap, wt.WasmtimeError) and not issubclass(wt.ExitTrap, wt.Trap)


def test_bad_arguments(wt):
    store, ex, _ = setup(wt)
    with pytest.raises(wt.WasmtimeError):
        ex["add"](store, 1)
    with pytest.raises(TypeError):
        ex["add"](store, 1.5, 2)
    with pytest.raises(TypeError):
        ex["add"](store, wt.Val.i64(1), 2)


def test_a_trap_raised_by_a_host_function(wt):
    engine = wt.Engine()
    store = wt.Store(engine)

    def stop(x):
        raise wt.Trap(f"stopped at {x}")

    module = wt.Module(engine, '(module (import "" "stop" (func $s (param i32)))'
                               ' (func (export "run") (call $s (i32.const 42))))')
    run = wt.Instance(store, module, [wt.Func(store, wt.FuncType([wt.ValType.i32()], []), stop)]
                      ).exports(store)["run"]
    with pytest.raises(wt.Trap) as info:
        run(store)
    assert "stopped at 42" in str(info.value)
    assert info.value.trap_code is None


def test_a_host_exception_reaches_the_caller_as_its_own_class(wt):
    engine = wt.Engine()
    store = wt.Store(engine)

    class Refused(Exception):
        pass

    def refuse():
        raise Refused("no")

    module = wt.Module(engine, '(module (import "" "f" (func $f)) (func (export "run") (call $f)))')
    run = wt.Instance(store, module, [wt.Func(store, wt.FuncType([], []), refuse)]).exports(store)["run"]
    with pytest.raises(Refused) as info:
        run(store)
    assert str(info.value) == "no"


def test_trap_frames_name_the_functions_innermost_first(wt):
    store, ex, _ = setup(wt)
    with pytest.raises(wt.Trap) as info:
        ex["outer"](store, 0)
    frames = info.value.frames
    assert [(f.func_index, f.func_name, f.module_name) for f in frames] == [
        (3, "div", "adder"), (4, "outer", "adder")]
    binary = bytes(wt.wat2wasm(ADDER))
    for f, opcode in zip(frames, (0x6D, 0x10)):  # i32.div_s in div, the call in outer
        assert isinstance(f, wt.Frame)
        assert 0 < f.func_offset < f.module_offset
        assert binary[f.module_offset] == opcode


# -- values and types -------------------------------------------------------------------


def test_val_constructors_and_accessors(wt):
    v = wt.Val.i32(5)
    assert v.value == 5 and v.type == wt.ValType.i32() and v.as_i32() == 5 and v.as_i64() is None
    assert wt.Val.i32(2 ** 31).value == -(2 ** 31)
    assert wt.Val.i64(-1).as_i64() == -1
    assert wt.Val.f32(1.1).value == ctypes.c_float(1.1).value
    assert wt.Val.f64(1.1).as_f64() == 1.1 and wt.Val.f64(1.1).as_f32() is None
    assert wt.Val.externref("hello").as_externref() == "hello"
    assert wt.Val.funcref(None).value is None
    assert wt.Val.ref_null(wt.ValType.funcref()).value is None
    assert wt.Val.i32(3) == wt.Val.i32(3) and wt.Val.i32(3) == 3 and wt.Val.i32(3) != wt.Val.i64(3)
    for bad in (lambda: wt.Val.i32(1.5), lambda: wt.Val.f32(1), lambda: wt.Val.f64("x")):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(wt.WasmtimeError):
        wt.Val.ref_null(wt.ValType.i32())


def test_vals_as_arguments_and_host_results(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, '(module (import "" "f" (func $f (result i64)))'
                               ' (func (export "run") (param i64) (result i64)'
                               '   (i64.add (local.get 0) (call $f))))')
    f = wt.Func(store, wt.FuncType([], [wt.ValType.i64()]), lambda: wt.Val.i64(10))
    run = wt.Instance(store, module, [f]).exports(store)["run"]
    assert run(store, wt.Val.i64(5)) == 15
    assert run(store, -20) == -10


def test_value_types(wt):
    i32 = wt.ValType.i32()
    assert i32 == wt.ValType.i32() and i32 != wt.ValType.i64()
    assert str(i32) == "i32" and str(wt.ValType.f64()) == "f64"
    for t in (wt.ValType.i64(), wt.ValType.f32(), wt.ValType.funcref(), wt.ValType.externref()):
        assert isinstance(t, wt.ValType)
    with pytest.raises(wt.WasmtimeError):
        wt.ValType()


def test_function_and_global_types(wt):
    i32, i64, f32 = wt.ValType.i32(), wt.ValType.i64(), wt.ValType.f32()
    ft = wt.FuncType([i32, i64], [f32])
    assert list(ft.params) == [i32, i64] and list(ft.results) == [f32]
    with pytest.raises(TypeError):
        wt.FuncType([1], [])
    gt = wt.GlobalType(i32, True)
    assert gt.content == i32 and gt.mutable is True
    params = list(ft.params)
    assert list(wt.TagType(wt.FuncType([i32, i64], [f32])).functype.params) == params


def test_limits_memory_and_table_types(wt):
    lim = wt.Limits(1, 5)
    assert (lim.min, lim.max) == (1, 5) and lim == wt.Limits(1, 5) and lim != wt.Limits(1, 6)
    mt = wt.MemoryType(wt.Limits(1, 2))
    assert (mt.limits.min, mt.limits.max, mt.is_64, mt.is_shared) == (1, 2, False, False)
    assert (mt.page_size, mt.page_size_log2) == (65536, 16)
    assert wt.MemoryType(wt.Limits(1, None), is_64=True).is_64
    assert wt.MemoryType(wt.Limits(1, 2), shared=True).is_shared
    assert wt.MemoryType(wt.Limits(1, 2), page_size_log2=0).page_size == 1
    for bad in (lambda: wt.MemoryType(wt.Limits(3, 2)), lambda: wt.MemoryType(wt.Limits(70000, None)),
                lambda: wt.MemoryType(wt.Limits(1, None), shared=True),
                lambda: wt.MemoryType(wt.Limits(1, 2), page_size_log2=3)):
        with pytest.raises(wt.WasmtimeError):
            bad()
    tt = wt.TableType(wt.ValType.funcref(), wt.Limits(1, None))
    assert tt.element == wt.ValType.funcref() and (tt.limits.min, tt.limits.max) == (1, None)
    with pytest.raises(wt.WasmtimeError):
        wt.TableType(wt.ValType.i32(), wt.Limits(1, None))


# -- modules and instances ---------------------------------------------------------------------


IMPORTS_EXPORTS = """
(module
  (import "a" "f" (func (param i32)))
  (import "a" "m" (memory 1 2))
  (import "a" "t" (table 1 funcref))
  (import "a" "g" (global (mut i64)))
  (func (export "ff") (result i32) i32.const 0)
  (memory (export "mm") 1)
  (global (export "gg") f32 (f32.const 0))
  (table (export "tt") 0 externref))
"""


def test_module_imports_and_exports_are_typed(wt):
    module = wt.Module(wt.Engine(), IMPORTS_EXPORTS)
    imports = module.imports
    assert [(i.module, i.name) for i in imports] == [("a", "f"), ("a", "m"), ("a", "t"), ("a", "g")]
    assert all(isinstance(i, wt.ImportType) for i in imports)
    assert isinstance(imports[0].type, wt.FuncType) and list(imports[0].type.params) == [wt.ValType.i32()]
    assert isinstance(imports[1].type, wt.MemoryType) and imports[1].type.limits.max == 2
    assert isinstance(imports[2].type, wt.TableType) and imports[2].type.element == wt.ValType.funcref()
    assert isinstance(imports[3].type, wt.GlobalType) and imports[3].type.mutable
    exports = module.exports
    assert [e.name for e in exports] == ["ff", "mm", "gg", "tt"]
    assert all(isinstance(e, wt.ExportType) for e in exports)
    kinds = (wt.FuncType, wt.MemoryType, wt.GlobalType, wt.TableType)
    assert all(isinstance(e.type, kind) for e, kind in zip(exports, kinds))
    assert exports[2].type.content == wt.ValType.f32()


def test_module_from_file_serialize_and_deserialize(wt, tmp_path):
    engine = wt.Engine()
    path = tmp_path / "adder.wasm"
    path.write_bytes(wt.wat2wasm(ADDER))
    for name in (str(path), path):
        assert [e.name for e in wt.Module.from_file(engine, name).exports][:2] == ["memory", "counter"]
    blob = wt.Module(engine, ADDER).serialize()
    assert isinstance(blob, (bytes, bytearray))
    again = wt.Module.deserialize(engine, blob)
    store = wt.Store(engine)
    log = wt.Func(store, wt.FuncType([wt.ValType.i32()], []), lambda x: None)
    assert wt.Instance(store, again, [log]).exports(store)["add"](store, 2, 3) == 5
    (tmp_path / "adder.bin").write_bytes(blob)
    assert wt.Module.deserialize_file(engine, str(tmp_path / "adder.bin")).exports[0].name == "memory"
    with pytest.raises(wt.WasmtimeError):
        wt.Module.deserialize(engine, b"not a module")


def test_instance_exports(wt):
    store, ex, logged = setup(wt)
    assert list(ex)[:3] == ["memory", "counter", "table"] and len(ex) == 10
    assert ex.get("nope") is None
    with pytest.raises(KeyError):
        ex["nope"]
    assert [type(x).__name__ for x in ex.by_index[:4]] == ["Memory", "Global", "Table", "Func"]
    assert ex["add"](store, 2, 3) == 5 and logged == [2]


# -- functions, callers ----------------------------------------------------------------------------


def test_calls_multi_value_and_types(wt):
    store, ex, _ = setup(wt)
    assert ex["swap"](store, 1, 2.5) == [2.5, 1]
    ft = ex["swap"].type(store)
    assert list(ft.params) == [wt.ValType.i64(), wt.ValType.f64()]
    assert list(ft.results) == [wt.ValType.f64(), wt.ValType.i64()]
    assert ex["add"](store, 0xFFFFFFFF, 1) == 0  # an unsigned i32 argument wraps like the signed one


def test_host_function_results(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    i32 = wt.ValType.i32()
    module = wt.Module(engine, '(module (import "" "two" (func $t (result i32 i32)))'
                               ' (func (export "run") (result i32 i32) (call $t)))')
    for results in ([1, 2], (1, 2)):
        two = wt.Func(store, wt.FuncType([], [i32, i32]), lambda r=results: r)
        assert wt.Instance(store, module, [two]).exports(store)["run"](store) == [1, 2]
    bad = wt.Func(store, wt.FuncType([], [i32, i32]), lambda: ("x", 2))
    with pytest.raises(TypeError):
        wt.Instance(store, module, [bad]).exports(store)["run"](store)


def test_caller_reaches_the_calling_instance_during_the_call(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, """
    (module
      (import "env" "poke" (func $poke (param i32) (result i32)))
      (memory (export "memory") 1)
      (global (export "g") i32 (i32.const 3))
      (func (export "other") (result i32) (i32.const 42))
      (func (export "run") (param i32) (result i32) (call $poke (local.get 0))))""")
    kept = []

    def poke(caller, x):
        kept.append(caller)
        memory = caller.get("memory")
        assert memory.read(caller, 0, 2) == bytearray(2)
        memory.write(caller, b"hi", x)
        assert caller["g"].value(caller) == 3
        assert caller.get("nope") is None
        with pytest.raises(KeyError):
            caller["nope"]
        return caller.get("other")(caller) + x

    f = wt.Func(store, wt.FuncType([wt.ValType.i32()], [wt.ValType.i32()]), poke, access_caller=True)
    ex = wt.Instance(store, module, [f]).exports(store)
    assert ex["run"](store, 8) == 50
    assert ex["memory"].read(store, 8, 10) == b"hi"
    # the caller is only valid during the call
    assert kept[0].get("memory") is None
    with pytest.raises(KeyError):
        kept[0]["memory"]


def test_linker_define_func_with_caller(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    seen = []
    linker.define_func("env", "log", wt.FuncType([wt.ValType.i32()], []),
                       lambda caller, x: seen.append(caller.get("memory").data_len(caller) + x),
                       access_caller=True)
    ex = linker.instantiate(store, wt.Module(engine, ADDER)).exports(store)
    assert ex["add"](store, 1, 2) == 3 and seen == [65537]


# -- memories, tables, globals, tags ----------------------------------------------------------------


def test_memory_read_and_write_index_like_slices(wt):
    store, ex, _ = setup(wt)
    mem = ex["memory"]
    assert mem.write(store, b"abc", 10) == 3
    assert mem.read(store, 10, 13) == bytearray(b"abc") and isinstance(mem.read(store, 0, 1), bytearray)
    assert mem.write(store, bytearray(b"xy")) == 2 and mem.read(store, 0, 2) == b"xy"
    assert mem.write(store, b"end", -3) == 3 and mem.read(store, -3) == b"end"
    assert len(mem.read(store, 65530, 65540)) == 6 and mem.read(store, 70000, 70004) == b""
    assert mem.read(store, 10, 5) == b""
    assert mem.write(store, [1, 2, 3], 0) == 3 and mem.read(store, 0, 3) == b"\x01\x02\x03"
    for start in (65534, 65536):
        with pytest.raises(IndexError):
            mem.write(store, b"abc", start)


def test_memory_pointers_and_sizes(wt):
    store, ex, _ = setup(wt)
    mem = ex["memory"]
    ptr = mem.data_ptr(store)
    ptr[100] = 7
    assert ex["load"](store, 100) == 7
    ex["store"](store, 101, 9)
    assert ptr[101] == 9
    buf = mem.get_buffer_ptr(store)
    assert len(buf) == mem.data_len(store) == 65536
    buf[200] = 5
    assert mem.read(store, 200, 201) == b"\x05"
    assert bytes(mem.get_buffer_ptr(store, 2, 100)) == b"\x07\x09"
    assert (mem.size(store), mem.page_size(store), mem.page_size_log2(store)) == (1, 65536, 16)
    assert mem.type(store).limits.max == 4
    assert mem.grow(store, 1) == 1 and mem.size(store) == 2
    with pytest.raises(wt.WasmtimeError):
        mem.grow(store, 10)
    with pytest.raises(wt.WasmtimeError):
        mem.grow(store, -1)
    own = wt.Memory(store, wt.MemoryType(wt.Limits(1, 2)))
    assert own.data_len(store) == 65536 and own.data_ptr(store)[0] == 0


def test_tables(wt):
    store, ex, _ = setup(wt)
    table = ex["table"]
    assert table.size(store) == 2 and table.type(store).element == wt.ValType.funcref()
    table.set(store, 0, ex["add"])
    assert isinstance(table.get(store, 0), wt.Func)
    assert table.get(store, 0)(store, 4, 5) == 9
    assert table.get(store, 5) is None
    with pytest.raises(wt.WasmtimeError):
        table.set(store, 5, None)
    with pytest.raises(TypeError):
        table.set(store, 0, "x")
    assert table.grow(store, 1, None) == 2 and table.size(store) == 3
    ext = wt.Table(store, wt.TableType(wt.ValType.externref(), wt.Limits(2, 3)), "init")
    assert ext.get(store, 0) == "init"
    ext.set(store, 1, 42)
    assert ext.get(store, 1) == 42
    with pytest.raises(wt.WasmtimeError):
        ext.grow(store, 5, None)


def test_globals(wt):
    store, ex, _ = setup(wt)
    counter = ex["counter"]
    assert counter.value(store) == 7 and counter.type(store).mutable
    counter.set_value(store, 9)
    assert counter.value(store) == 9
    fixed = wt.Global(store, wt.GlobalType(wt.ValType.i32(), False), wt.Val.i32(5))
    assert fixed.value(store) == 5
    with pytest.raises(wt.WasmtimeError):
        fixed.set_value(store, 6)
    with pytest.raises(TypeError):
        counter.set_value(store, "x")
    assert wt.Global(store, wt.GlobalType(wt.ValType.externref(), True), "obj").value(store) == "obj"


def test_tags(wt):
    store = wt.Store(wt.Engine())
    ft = wt.FuncType([wt.ValType.i32()], [])
    tag = wt.Tag(store, wt.TagType(ft))
    assert tag.eq(store, tag)
    assert list(tag.type(store).functype.params) == [wt.ValType.i32()]


def test_shared_memory(wt):
    config = wt.Config()
    config.shared_memory = True
    engine = wt.Engine(config)
    shared = wt.SharedMemory(engine, wt.MemoryType(wt.Limits(1, 4), shared=True))
    # (SharedMemory.size() fails in wasmtime-py 50: a ctypes signature bug)
    assert (shared.data_len(), shared.type().is_shared) == (65536, True)
    assert shared.grow(1) == 1 and shared.data_len() == 2 * 65536
    assert shared.data_ptr()[0] == 0
    with pytest.raises(wt.WasmtimeError):
        shared.grow(10)
    with pytest.raises(wt.WasmtimeError):
        wt.SharedMemory(engine, wt.MemoryType(wt.Limits(1, 4)))


# -- linker --------------------------------------------------------------------------------------------


LIB = '(module (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))) ' \
      '(func (export "")) (memory (export "memory") 1))'
USER = """
(module
  (import "lib" "double" (func $d (param i32) (result i32)))
  (import "x" "y" (func $y (result i32)))
  (import "x" "m" (memory 1))
  (import "x" "g" (global i64))
  (import "x" "t" (table 1 funcref))
  (func (export "run") (param i32) (result i32) (call $d (local.get 0)))
  (func (export "y") (result i32) (call $y)))
"""


def test_linker_definitions_and_shadowing(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    i32 = wt.ValType.i32()
    linker.define_func("env", "f", wt.FuncType([], [i32]), lambda: 1)
    with pytest.raises(wt.WasmtimeError):
        linker.define_func("env", "f", wt.FuncType([], [i32]), lambda: 2)
    linker.allow_shadowing = True
    linker.define_func("env", "f", wt.FuncType([], [i32]), lambda: 2)
    assert linker.get(store, "env", "f")(store) == 2
    with pytest.raises(wt.WasmtimeError):
        linker.get(store, "env", "nope")
    with pytest.raises(TypeError):
        linker.define(store, "a", "b", 5)
    linker.define(store, "a", "mem", wt.Memory(store, wt.MemoryType(wt.Limits(1, None))))
    assert linker.get(store, "a", "mem").size(store) == 1


def test_linker_modules_instances_and_defaults(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    lib = wt.Module(engine, LIB)
    linker.define_module(store, "lib", lib)
    assert linker.get(store, "lib", "double")(store, 21) == 42
    assert isinstance(linker.get_default(store, "lib"), wt.Func)
    assert linker.get_default(store, "lib")(store) is None
    user = wt.Module(engine, USER)
    with pytest.raises(wt.WasmtimeError):
        linker.instantiate(store, user)
    linker.define_unknown_imports_as_default_values(store, user)
    ex = linker.instantiate(store, user).exports(store)
    assert ex["run"](store, 4) == 8 and ex["y"](store) == 0
    assert linker.get(store, "x", "m").size(store) == 1 and linker.get(store, "x", "g").value(store) == 0
    other = wt.Linker(engine)
    other.define_instance(store, "inst", linker.instantiate(store, user))
    assert other.get(store, "inst", "run")(store, 5) == 10


def test_linker_reactors_are_initialised_once(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    reactor = wt.Module(engine, """
    (module (global $g (export "g") (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $g (i32.add (global.get $g) (i32.const 7))))
      (func (export "get") (result i32) (global.get $g)))""")
    linker.define_module(store, "r", reactor)
    assert linker.get(store, "r", "get")(store) == 7 and linker.get(store, "r", "g").value(store) == 7


def test_linker_commands_are_instantiated_per_call(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    command = wt.Module(engine, """
    (module (global $g (mut i32) (i32.const 0))
      (func (export "_start") (global.set $g (i32.add (global.get $g) (i32.const 1))))
      (func (export "bump") (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g)))""")
    linker.define_module(store, "cmd", command)
    bump = linker.get(store, "cmd", "bump")
    assert [bump(store), bump(store)] == [1, 1]  # a fresh instance each call
    assert linker.get_default(store, "cmd")(store) is None


def test_unknown_imports_as_traps(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    module = wt.Module(engine, '(module (import "x" "y" (func $y (result i32)))'
                               ' (func (export "y") (result i32) (call $y)))')
    linker.define_unknown_imports_as_traps(module)
    ex = linker.instantiate(store, module).exports(store)
    with pytest.raises(wt.WasmtimeError, match="unknown import"):
        ex["y"](store)


def test_instance_pre(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    user = wt.Module(engine, USER)
    with pytest.raises(wt.WasmtimeError):
        linker.instantiate_pre(user)
    linker.define_module(store, "lib", wt.Module(engine, LIB))
    linker.define_unknown_imports_as_default_values(store, user)
    pre = linker.instantiate_pre(user)
    assert isinstance(pre, wt.InstancePre)
    assert [e.name for e in pre.module.exports] == ["run", "y"]
    for _ in range(2):
        assert pre.instantiate(store).exports(store)["run"](store, 3) == 6


# -- store, engine, config ----------------------------------------------------------------------------


def test_store_data_fuel_limits_and_gc(wt):
    engine = wt.Engine()
    assert wt.Store(engine, {"k": 1}).data() == {"k": 1} and wt.Store(engine).data() is None
    store = wt.Store(engine)
    with pytest.raises(wt.WasmtimeError):
        store.set_fuel(10)
    with pytest.raises(wt.WasmtimeError):
        store.get_fuel()
    store.gc()
    store.set_limits(memory_size=65536)
    with pytest.raises(wt.WasmtimeError):
        wt.Memory(store, wt.MemoryType(wt.Limits(2, None)))
    memory = wt.Memory(store, wt.MemoryType(wt.Limits(1, None)))
    with pytest.raises(wt.WasmtimeError):
        memory.grow(store, 1)
    store.set_limits(instances=5)  # the memory cap is gone again
    assert wt.Memory(store, wt.MemoryType(wt.Limits(3, None))).size(store) == 3
    assert wt.Engine().is_pulley() is False


def test_config_properties_are_validated(wt):
    config = wt.Config()
    for name in ("consume_fuel", "epoch_interruption", "wasm_simd", "wasm_threads", "wasm_gc",
                 "debug_info", "parallel_compilation", "cranelift_debug_verifier"):
        setattr(config, name, True)
    config.max_wasm_stack = 1 << 20
    config.strategy = "cranelift"
    config.cranelift_opt_level = "speed_and_size"
    config.profiler = "none"
    config.cache = True
    config.cranelift_flag_enable("has_sse3")
    config.memory_reservation = 1 << 20
    for name, value, error in (
            ("consume_fuel", 1, TypeError), ("wasm_simd", "x", TypeError),
            ("max_wasm_stack", "x", TypeError), ("cache", 1, TypeError), ("target", 1, TypeError),
            ("memory_guard_size", "x", TypeError),
            ("strategy", "foo", wt.WasmtimeError), ("cranelift_opt_level", "fast", wt.WasmtimeError),
            ("profiler", "gprof", wt.WasmtimeError), ("cache", False, wt.WasmtimeError),
            ("cache", "/nonexistent/cache.toml", wt.WasmtimeError),
            ("target", "bogus-unknown-none", wt.WasmtimeError)):
        with pytest.raises(error):
            setattr(config, name, value)
    with pytest.raises(TypeError):
        config.cranelift_flag_enable(1)
    wt.Engine(config)


def test_config_proposal_switches(wt):
    simd = "(module (func (result v128) (v128.const i64x2 0 0)))"
    multi = "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))"
    config = wt.Config()
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    with pytest.raises(wt.WasmtimeError):
        wt.Module(wt.Engine(config), wt.wat2wasm(simd))
    config = wt.Config()
    config.wasm_multi_value = False
    with pytest.raises(wt.WasmtimeError):
        wt.Module(wt.Engine(config), wt.wat2wasm(multi))
    wt.Module(wt.Engine(), simd)
    wt.Module(wt.Engine(), multi)


def test_wat2wasm(wt):
    assert wt.wat2wasm("(module)") == bytearray(b"\0asm\x01\0\0\0")
    assert isinstance(wt.wat2wasm(b"(module)"), bytearray)
    with pytest.raises(wt.WasmtimeError):
        wt.wat2wasm("(module")
    binary = wt.wat2wasm('(module $m (func $f (export "f") (result i32) (i32.const 4)))')
    engine = wt.Engine()
    store = wt.Store(engine)
    assert wt.Instance(store, wt.Module(engine, binary), []).exports(store)["f"](store) == 4


def test_managed_objects_close_and_work_as_context_managers(wt):
    with wt.Engine() as engine:
        with wt.Store(engine) as store:
            assert wt.Module(engine, "(module)").exports == []
            store.close()
        with wt.Linker(engine) as linker:
            assert linker is not None


# -- WASI configuration --------------------------------------------------------------------------------


HERE = os.path.dirname(os.path.abspath(__file__))
ARGS_WASM = os.path.join(HERE, "wasi", "args.wasm")


def test_wasi_config(wt, tmp_path):
    config = wt.WasiConfig()
    config.argv = ["prog", "x"]
    config.env = [("A", "1")]
    config.inherit_env()
    config.inherit_argv()
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    (tmp_path / "in.txt").write_text("input")
    config.stdin_file = str(tmp_path / "in.txt")
    config.stdout_file = str(tmp_path / "out.txt")
    config.stderr_file = str(tmp_path / "err.txt")
    assert (tmp_path / "out.txt").exists()  # created when set
    config.preopen_dir(str(tmp_path), "/data")
    config.preopen_dir(str(tmp_path), "/ro", False)
    with pytest.raises(wt.WasmtimeError):
        config.stdin_file = str(tmp_path / "missing.txt")
    with pytest.raises(wt.WasmtimeError):
        config.preopen_dir(str(tmp_path / "missing"), "/x")


def test_wasi_program_with_custom_output_and_exit_code(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    linker.define_wasi()
    out = io.BytesIO()
    config = wt.WasiConfig()
    config.argv = ["args", "7"]
    config.env = [("GREETING", "hi")]
    config.stdout_custom = out.write
    store.set_wasi(config)
    instance = linker.instantiate(store, wt.Module.from_file(engine, ARGS_WASM))
    with pytest.raises(wt.ExitTrap) as info:
        instance.exports(store)["_start"](store)
    assert info.value.code == 7
    assert isinstance(info.value, wt.WasmtimeError) and not isinstance(info.value, wt.Trap)
    text = out.getvalue().decode()
    assert "argv[1]=7" in text and "GREETING=hi" in text
