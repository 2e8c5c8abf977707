"""Reading both JSON dialects (wast2json and wasm-tools json-from-wast) into
the harness's script model."""

import json

import pytest

from spectest.script import ScriptFormatError, read_script
from spectest.values import EitherPat, NumPat, RefKind, RefPat


def write(tmp_path, commands, **files):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"source_filename": "x.wast", "commands": commands}))
    return read_script(path)


WABT = [
    {"type": "module", "line": 1, "name": "$M1", "filename": "x.0.wasm"},
    {"type": "module", "line": 3, "definition": "true", "name": "$D", "filename": "x.1.wasm"},
    {"type": "instance", "line": 4, "instance": "$I", "definition": "$D"},
    {"type": "register", "line": 5, "name": "$M1", "as": "m"},
    {"type": "assert_return", "line": 6,
     "action": {"type": "invoke", "module": "$M1", "field": "f", "args": []},
     "either": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "2"}]},
    {"type": "assert_return", "line": 7, "action": {"type": "get", "field": "g"},
     "expected": [{"type": "funcref", "value": "0"}]},
    {"type": "assert_malformed", "line": 8, "filename": "x.2.wat", "text": "unknown operator",
     "module_type": "text"},
    {"type": "assert_trap", "line": 9, "action": {"type": "invoke", "field": "t", "args": []},
     "text": "unreachable", "expected": [{"type": "i32"}]},
]

WASM_TOOLS = [
    {"type": "module_definition", "line": 1, "name": "D", "filename": "x.0.wasm",
     "module_type": "binary"},
    {"type": "module_instance", "line": 2, "instance": "I", "module": "D"},
    {"type": "module", "line": 3, "filename": "x.1.wat", "module_type": "text",
     "binary_filename": "x.1.wasm"},
    {"type": "assert_return", "line": 4, "action": {"type": "invoke", "field": "f", "args": []},
     "expected": [{"type": "either", "values": [{"type": "i32", "value": "1"},
                                                {"type": "i32", "value": "2"}]},
                  {"type": "refnull"}, {"type": "structref"}]},
    {"type": "assert_malformed_custom", "line": 5, "filename": "x.2.wat", "module_type": "text",
     "text": "annotation"},
    {"type": "assert_invalid_custom", "line": 6, "filename": "x.3.wasm", "module_type": "binary",
     "text": "invalid"},
]


def test_wabt_dialect(tmp_path):
    s = write(tmp_path, WABT)
    kinds = [c.kind for c in s.commands]
    assert kinds == ["module", "module_definition", "module_instance", "register",
                     "assert_return", "assert_return", "assert_malformed", "assert_trap"]
    assert s.commands[0].name == "M1"                    # "$" stripped
    assert s.commands[2].name == "I" and s.commands[2].definition == "D"
    assert s.commands[3].name == "M1" and s.commands[3].register_as == "m"
    either = s.commands[4]
    assert either.action.module == "M1"
    assert isinstance(either.expected[0], EitherPat) and len(either.expected) == 1
    assert s.commands[5].action.kind == "get"
    assert s.commands[5].expected == (RefPat(RefKind.FUNC, hierarchy="funcref"),)
    mal = s.commands[6]
    assert mal.module.is_text and mal.module.binary_file is None
    assert s.commands[7].text == "unreachable"


def test_wasm_tools_dialect(tmp_path):
    s = write(tmp_path, WASM_TOOLS)
    assert [c.kind for c in s.commands] == [
        "module_definition", "module_instance", "module", "assert_return",
        "assert_malformed_custom", "assert_invalid_custom"]
    text_module = s.commands[2].module
    assert text_module.is_text and text_module.binary_file == "x.1.wasm"
    ret = s.commands[3].expected
    assert isinstance(ret[0], EitherPat) and ret[0].alternatives[1] == NumPat("i32", 2)
    assert ret[1] == RefPat(RefKind.NULL, hierarchy="")
    assert ret[2].kind is RefKind.STRUCT


def test_module_files_are_read_lazily(tmp_path):
    s = write(tmp_path, [{"type": "module", "line": 1, "filename": "later.wasm"}])
    (tmp_path / "later.wasm").write_bytes(b"\0asm\1\0\0\0")
    assert s.commands[0].module.binary() == b"\0asm\1\0\0\0"


def test_commands_on_one_line_get_distinct_keys(tmp_path):
    cmd = {"type": "action", "line": 7, "action": {"type": "invoke", "field": "f", "args": []}}
    s = write(tmp_path, [cmd, dict(cmd), dict(cmd, line=8)])
    assert [c.key for c in s.commands] == ["7", "7.2", "8"]


def test_unknown_and_unreadable_commands_are_kept_with_a_reason(tmp_path):
    s = write(tmp_path, [
        {"type": "assert_frobnicated", "line": 3},
        {"type": "assert_return", "line": 4,
         "action": {"type": "invoke", "field": "f", "args": [{"type": "contref"}]}, "expected": []},
        {"line": 5},
        "not a command",
    ])
    assert s.commands[0].kind == "assert_frobnicated" and "unknown command kind" in s.commands[0].error
    assert s.commands[1].kind == "unreadable" and "contref" in s.commands[1].error
    assert s.commands[2].kind == "unreadable"
    assert s.commands[3].kind == "unreadable"


def test_unreadable_json_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ScriptFormatError, match="cannot read converted script"):
        read_script(bad)
    bad.write_text('{"commands": 3}')
    with pytest.raises(ScriptFormatError, match="no command list"):
        read_script(bad)
