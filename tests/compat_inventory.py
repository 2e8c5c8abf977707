"""wasmtime-py's core (non-component) public API, name by name and member by
member, as its 50.0.1 release has it (enumerated from ``dir(wasmtime)`` and
the classes' own attributes, Managed's included), and what the engine does
not support, with the reason. ``tests/test_compat_names.py`` checks the
engine against it, and (when wasmtime is installed) that the installed
wasmtime-py has nothing this inventory misses.
"""

from __future__ import annotations

from typing import Any

#: Members also looked for besides the public names: the protocols a
#: program may use (calling, indexing, iterating, ``with``, ``==``).
PROTOCOLS = frozenset({"__call__", "__getitem__", "__iter__", "__len__", "__enter__", "__exit__",
                       "__eq__"})

WASMTIME_CORE = {
    'Caller': (
        '__getitem__', 'get',
    ),
    'Config': (
        '__enter__', '__exit__', 'cache', 'close', 'consume_fuel', 'cranelift_debug_verifier',
        'cranelift_flag_enable', 'cranelift_flag_set', 'cranelift_nan_canonicalization',
        'cranelift_opt_level', 'debug_info', 'epoch_interruption', 'gc_support',
        'macos_use_mach_ports', 'max_wasm_stack', 'memory_guard_size', 'memory_init_cow',
        'memory_may_move', 'memory_reservation', 'memory_reservation_for_growth',
        'native_unwind_info', 'parallel_compilation', 'profiler', 'ptr', 'shared_memory',
        'signals_based_traps', 'strategy', 'target', 'wasm_bulk_memory', 'wasm_component_model',
        'wasm_component_model_implements', 'wasm_component_model_map', 'wasm_custom_page_sizes',
        'wasm_exceptions', 'wasm_function_references', 'wasm_gc', 'wasm_memory64',
        'wasm_multi_memory', 'wasm_multi_value', 'wasm_reference_types', 'wasm_relaxed_simd',
        'wasm_relaxed_simd_deterministic', 'wasm_simd', 'wasm_stack_switching', 'wasm_tail_call',
        'wasm_threads', 'wasm_wide_arithmetic',
    ),
    'Engine': (
        '__enter__', '__exit__', 'close', 'increment_epoch', 'is_pulley', 'ptr',
    ),
    'ExitTrap': (
        '__enter__', '__exit__', 'close', 'ptr',
    ),
    'ExportType': (
        '__enter__', '__exit__', 'close', 'name', 'ptr', 'type',
    ),
    'Frame': (
        '__enter__', '__exit__', 'close', 'func_index', 'func_name', 'func_offset', 'module_name',
        'module_offset', 'ptr',
    ),
    'Func': (
        '__call__', 'type',
    ),
    'FuncType': (
        '__enter__', '__exit__', 'close', 'params', 'ptr', 'results',
    ),
    'Global': (
        'set_value', 'type', 'value',
    ),
    'GlobalType': (
        '__enter__', '__exit__', 'close', 'content', 'mutable', 'ptr',
    ),
    'ImportType': (
        '__enter__', '__exit__', 'close', 'module', 'name', 'ptr', 'type',
    ),
    'Instance': (
        'exports',
    ),
    'InstancePre': (
        '__enter__', '__exit__', 'close', 'instantiate', 'module', 'ptr',
    ),
    'Limits': (
        '__eq__',
    ),
    'Linker': (
        '__enter__', '__exit__', 'allow_shadowing', 'close', 'define', 'define_func',
        'define_instance', 'define_module', 'define_unknown_imports_as_default_values',
        'define_unknown_imports_as_traps', 'define_wasi', 'get', 'get_default', 'instantiate',
        'instantiate_pre', 'ptr',
    ),
    'Managed': (
        '__enter__', '__exit__', 'close', 'ptr',
    ),
    'Memory': (
        'data_len', 'data_ptr', 'get_buffer_ptr', 'grow', 'page_size', 'page_size_log2', 'read',
        'size', 'type', 'write',
    ),
    'MemoryType': (
        '__enter__', '__exit__', 'close', 'is_64', 'is_shared', 'limits', 'page_size',
        'page_size_log2', 'ptr',
    ),
    'Module': (
        '__enter__', '__exit__', 'close', 'deserialize', 'deserialize_file', 'exports',
        'from_file', 'imports', 'ptr', 'serialize', 'validate',
    ),
    'SharedMemory': (
        '__enter__', '__exit__', 'close', 'data_len', 'data_ptr', 'grow', 'ptr', 'size', 'type',
    ),
    'Store': (
        '__enter__', '__exit__', 'close', 'data', 'gc', 'get_fuel', 'ptr', 'set_epoch_deadline',
        'set_fuel', 'set_limits', 'set_wasi', 'set_wasi_http',
    ),
    'StoreContext': (
    ),
    'Storelike': (
    ),
    'Table': (
        'get', 'grow', 'set', 'size', 'type',
    ),
    'TableType': (
        '__enter__', '__exit__', 'close', 'element', 'limits', 'ptr',
    ),
    'Tag': (
        'eq', 'type',
    ),
    'TagType': (
        '__enter__', '__exit__', 'close', 'functype', 'ptr',
    ),
    'Trap': (
        '__enter__', '__exit__', 'close', 'frames', 'message', 'ptr', 'trap_code',
    ),
    'TrapCode': (
        'ALLOCATION_TOO_LARGE', 'ARRAY_OUT_OF_BOUNDS', 'ASYNC_DEADLOCK',
        'ATOMIC_WAIT_NON_SHARED_MEMORY', 'BACKPRESSURE_OVERFLOW', 'BAD_CONVERSION_TO_INTEGER',
        'BAD_SIGNATURE', 'CANNOT_BLOCK_SYNC_TASK', 'CANNOT_ENTER_COMPONENT',
        'CANNOT_LEAVE_COMPONENT', 'CANNOT_RESUME_THREAD', 'CAST_FAILURE',
        'CONCURRENT_FUTURE_STREAM_OP', 'CONTINUATION_ALREADY_CONSUMED',
        'DEBUG_ASSERT_EQUAL_CODE_UNITS', 'DEBUG_ASSERT_POINTER_ALIGNED',
        'DEBUG_ASSERT_STRING_ENCODING_FINISHED', 'DEBUG_ASSERT_UPPER_BITS_UNSET',
        'DISABLED_OPCODE', 'HEAP_MISALIGNED', 'INDIRECT_CALL_TO_NULL', 'INTEGER_DIVISION_BY_ZERO',
        'INTEGER_OVERFLOW', 'INTERRUPT', 'INVALID_CHAR', 'INVALID_DISCRIMINANT',
        'LIST_OUT_OF_BOUNDS', 'MEMORY_OUT_OF_BOUNDS', 'NO_ASYNC_RESULT', 'NULL_REFERENCE',
        'OUT_OF_FUEL', 'REFERENCE_COUNT_OVERFLOW', 'STACK_OVERFLOW', 'STREAM_OP_TOO_BIG',
        'STRING_OUT_OF_BOUNDS', 'SUBTASK_CANCEL_AFTER_TERMINAL', 'SUBTASK_DROP_NOT_RESOLVED',
        'TABLE_OUT_OF_BOUNDS', 'TASK_CANCEL_NOT_CANCELLED', 'TASK_CANCEL_OR_RETURN_TWICE',
        'TASK_RETURN_INVALID', 'THREAD_NEW_INDIRECT_INVALID_TYPE',
        'THREAD_NEW_INDIRECT_UNINITIALIZED', 'UNALIGNED_POINTER', 'UNCAUGHT_EXCEPTION',
        'UNHANDLED_TAG', 'UNREACHABLE', 'UNSUPPORTED_CALLBACK_CODE',
        'WAITABLE_SET_DROP_HAS_WAITERS', 'WAITABLE_SYNC_AND_ASYNC',
    ),
    'Val': (
        '__eq__', 'as_externref', 'as_f32', 'as_f64', 'as_funcref', 'as_i32', 'as_i64',
        'externref', 'f32', 'f64', 'funcref', 'i32', 'i64', 'ref_null', 'type', 'value',
    ),
    'ValType': (
        '__enter__', '__eq__', '__exit__', 'close', 'externref', 'f32', 'f64', 'funcref', 'i32',
        'i64', 'ptr',
    ),
    'WasiConfig': (
        '__enter__', '__exit__', 'argv', 'close', 'env', 'inherit_argv', 'inherit_env',
        'inherit_stderr', 'inherit_stdin', 'inherit_stdout', 'preopen_dir', 'ptr', 'stderr_custom',
        'stderr_file', 'stdin_file', 'stdout_custom', 'stdout_file',
    ),
    'WasmtimeError': (
        '__enter__', '__exit__', 'close', 'ptr',
    ),
    'wat2wasm': (
    ),
}

#: "Name.member" -> why the engine does not have it.
UNSUPPORTED: dict[str, str] = {
    **{f"TrapCode.{code}": "a trap of the component model, which the engine does not implement"
       for code in (
           "ASYNC_DEADLOCK", "BACKPRESSURE_OVERFLOW", "CANNOT_BLOCK_SYNC_TASK",
           "CANNOT_ENTER_COMPONENT", "CANNOT_LEAVE_COMPONENT", "CONCURRENT_FUTURE_STREAM_OP",
           "DEBUG_ASSERT_EQUAL_CODE_UNITS", "DEBUG_ASSERT_POINTER_ALIGNED",
           "DEBUG_ASSERT_STRING_ENCODING_FINISHED", "DEBUG_ASSERT_UPPER_BITS_UNSET",
           "INVALID_CHAR", "INVALID_DISCRIMINANT", "LIST_OUT_OF_BOUNDS", "NO_ASYNC_RESULT",
           "REFERENCE_COUNT_OVERFLOW", "STREAM_OP_TOO_BIG", "STRING_OUT_OF_BOUNDS",
           "SUBTASK_CANCEL_AFTER_TERMINAL", "SUBTASK_DROP_NOT_RESOLVED",
           "TASK_CANCEL_NOT_CANCELLED", "TASK_CANCEL_OR_RETURN_TWICE", "TASK_RETURN_INVALID",
           "THREAD_NEW_INDIRECT_INVALID_TYPE", "THREAD_NEW_INDIRECT_UNINITIALIZED",
           "UNSUPPORTED_CALLBACK_CODE", "WAITABLE_SET_DROP_HAS_WAITERS",
           "WAITABLE_SYNC_AND_ASYNC")},
}


def samples(wt: Any) -> dict[str, Any]:
    """An object of each class of the API module ``wt`` (the engine), to
    look instance members up on."""
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, '(module (import "m" "f" (func)) (func (export "g")))')
    linker = wt.Linker(engine)
    linker.define_func("m", "f", wt.FuncType([], []), lambda: None)
    i32 = wt.ValType.i32()
    return {
        "Caller": wt.Caller(),
        "Config": wt.Config(),
        "Engine": engine,
        "ExitTrap": wt.ExitTrap(3),
        "ExportType": module.exports[0],
        "Frame": wt.Frame(0, None, None, 0, 0),
        "Func": wt.Func(store, wt.FuncType([], []), lambda: None),
        "FuncType": wt.FuncType([i32], []),
        "Global": wt.Global(store, wt.GlobalType(i32, True), 1),
        "GlobalType": wt.GlobalType(i32, True),
        "ImportType": module.imports[0],
        "Instance": linker.instantiate(store, module),
        "InstancePre": linker.instantiate_pre(module),
        "Limits": wt.Limits(1, None),
        "Linker": linker,
        "Memory": wt.Memory(store, wt.MemoryType(wt.Limits(1, None))),
        "MemoryType": wt.MemoryType(wt.Limits(1, None)),
        "Module": module,
        "SharedMemory": wt.SharedMemory(engine, wt.MemoryType(wt.Limits(1, 2), shared=True)),
        "Store": store,
        "StoreContext": wt.StoreContext(store),
        "Table": wt.Table(store, wt.TableType(wt.ValType.funcref(), wt.Limits(1, None)), None),
        "TableType": wt.TableType(wt.ValType.funcref(), wt.Limits(1, None)),
        "Tag": wt.Tag(store, wt.TagType(wt.FuncType([i32], []))),
        "TagType": wt.TagType(wt.FuncType([i32], [])),
        "Trap": wt.Trap("stop"),
        "Val": wt.Val.i32(1),
        "ValType": i32,
        "WasiConfig": wt.WasiConfig(),
        "WasmtimeError": wt.WasmtimeError("error"),
    }
