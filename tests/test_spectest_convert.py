"""Conversion: the wast2json -> wasm-tools fallback, the cache (a hit starts
no subprocess; parallel conversions are safe), and bad input."""

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from spectest.convert import WABT_FEATURES, Converter, Tool, _sections
from spectest.results import FAILED
from spectest.runner import run_file
from spectest.script import read_script


def installed(name):
    return bool(shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name))


needs_wabt = pytest.mark.skipif(not installed("wast2json"), reason="wast2json (wabt) not installed")
needs_wasm_tools = pytest.mark.skipif(not installed("wasm-tools"), reason="wasm-tools not installed")

SIMPLE = '(module (func (export "f") (result i32) (i32.const 7)))\n(assert_return (invoke "f") (i32.const 7))\n'
GC_ONLY = """(module
  (type $s (struct (field i32)))
  (func (export "f") (result i32) (struct.get $s 0 (struct.new $s (i32.const 7)))))
(assert_return (invoke "f") (i32.const 7))
"""


def forbid_subprocesses(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args[0] if args else kwargs}")
    monkeypatch.setattr(subprocess, "run", boom)
    monkeypatch.setattr(subprocess, "Popen", boom)


@needs_wabt
def test_wast2json_first_and_a_cache_hit_starts_no_subprocess(tmp_path, monkeypatch):
    script = tmp_path / "simple.wast"
    script.write_text(SIMPLE)
    first = Converter(tmp_path / "cache").convert(script)
    assert first.converter == "wast2json" and first.error is None
    commands = read_script(first.json_path).commands
    assert [c.kind for c in commands] == ["module", "assert_return"]

    forbid_subprocesses(monkeypatch)
    again = Converter(tmp_path / "cache").convert(script)  # a fresh process state
    assert again == first
    # same content under another name is the same entry
    copy = tmp_path / "copy.wast"
    copy.write_text(SIMPLE)
    assert Converter(tmp_path / "cache").convert(copy) == first


@needs_wabt
def test_a_new_tool_version_is_a_new_cache_key(tmp_path):
    conv = Converter(tmp_path / "cache")
    key = conv.cache_key(b"(module)")
    conv._load_memo()
    conv._versions = {k: v + "-patched" for k, v in conv._versions.items()}
    assert conv.cache_key(b"(module)") != key


@needs_wabt
@needs_wasm_tools
def test_falls_back_to_wasm_tools_and_records_it(tmp_path):
    script = tmp_path / "gc.wast"
    script.write_text(GC_ONLY)
    result = Converter(tmp_path / "cache").convert(script)
    assert result.converter == "wasm-tools", result.error
    assert [c.kind for c in read_script(result.json_path).commands] == ["module", "assert_return"]


@needs_wabt
@needs_wasm_tools
def test_unparseable_script_is_one_counted_failure_naming_both_tools(tmp_path, monkeypatch):
    script = tmp_path / "broken.wast"
    script.write_text("(module (func (result i32) (i32.const 1)\n(assert_return")
    conv = Converter(tmp_path / "cache")
    result = run_file(script, "broken.wast", "other", adapter=None, converter=conv)
    assert result.converter is None
    [only] = result.results
    assert (only.kind, only.status) == ("convert", FAILED)
    assert "cannot convert broken.wast" in only.message
    assert "wast2json:" in only.message and "wasm-tools:" in only.message
    # the failure is cached too
    forbid_subprocesses(monkeypatch)
    assert Converter(tmp_path / "cache").convert(script).error == only.message


def test_missing_tools_give_a_clear_uncached_failure(tmp_path):
    script = tmp_path / "simple.wast"
    script.write_text(SIMPLE)
    conv = Converter(tmp_path / "cache", wast2json=Tool("wast2json", ""), wasm_tools=Tool("wasm-tools", ""))
    result = run_file(script, "simple.wast", "other", adapter=None, converter=conv)
    [only] = result.results
    assert only.status == FAILED
    assert "wast2json not found" in only.message and "wasm-tools not found" in only.message
    # an environment problem is not cached: installing a tool fixes the next run
    assert not list((tmp_path / "cache").rglob("meta.json"))


def test_unreadable_script_file_is_a_failure(tmp_path):
    conv = Converter(tmp_path / "cache", wast2json=Tool("wast2json", ""), wasm_tools=Tool("wasm-tools", ""))
    result = run_file(tmp_path / "absent.wast", "absent.wast", "other", adapter=None, converter=conv)
    assert result.results[0].status == FAILED and "cannot read script" in result.results[0].message


@needs_wabt
def test_parallel_conversions_of_one_script_agree(tmp_path):
    script = tmp_path / "simple.wast"
    script.write_text(SIMPLE)
    results, errors = [], []

    def work():
        try:
            results.append(Converter(tmp_path / "cache").convert(script))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.json_path for r in results}) == 1 and results[0].converter == "wast2json"
    assert json.loads(results[0].json_path.read_text())["commands"]
    # no staging directories are left behind
    assert not list((tmp_path / "cache" / "convert").glob(".work-*"))


def test_feature_flags_never_include_compact_imports():
    # --enable-all would re-encode every import section in the compact form
    assert "--enable-all" not in WABT_FEATURES
    assert not any("compact" in flag for flag in WABT_FEATURES)


@needs_wabt
@needs_wasm_tools
def test_a_data_count_section_wabt_leaves_out_sends_the_script_to_wasm_tools(tmp_path):
    script = tmp_path / "dc.wast"
    script.write_text('(assert_invalid (module (func (data.drop 0))) "unknown data segment")\n')
    result = Converter(tmp_path / "cache").convert(script)
    assert result.converter == "wasm-tools", result.error
    [cmd] = read_script(result.json_path).commands
    sections = _sections(cmd.module.binary())
    assert 12 in sections and sections[12][0] < sections[10][0]  # data count before code
