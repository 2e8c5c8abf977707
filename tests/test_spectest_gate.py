"""The report shapes and the baseline gate."""

import json

import pytest

from spectest.gate import (Baseline, BaselineError, compare, load_baseline, update_baseline,
                           write_baseline)
from spectest.report import RunReport
from spectest.results import FAILED, PASSED, SKIPPED, CommandResult, FileResult


def fr(relpath, *statuses, proposal="core"):
    results = [CommandResult(key, int(key.split(".")[0]), "assert_return", status,
                             "" if status == PASSED else f"why {key}")
               for key, status in statuses]
    return FileResult(relpath, proposal, "wast2json", results)


def report(*files, engine="engine"):
    r = RunReport(engine, "/suite", "abc123")
    r.extend(files)
    return r


def test_regression_fails_and_improvement_is_listed(tmp_path):
    base = Baseline(None, {"engine": {"a.wast": {"1", "2", "3"}, "b.wast": {"5"}}})
    now = report(fr("a.wast", ("1", PASSED), ("2", FAILED), ("3", PASSED), ("4", PASSED)))
    result = compare(base, now)
    assert not result.ok
    assert result.regressions == [("a.wast", "2", "failed: why 2")]
    assert result.improvements == [("a.wast", "4")]
    assert "a.wast:2 passed in the baseline, now failed: why 2" in result.summary()
    assert result.summary().startswith("gate (engine): FAILED")
    # b.wast did not run: not judged
    assert all(f != "b.wast" for f, _, _ in result.regressions)


def test_a_skip_or_a_vanished_command_is_a_regression_too():
    base = Baseline(None, {"engine": {"a.wast": {"1", "2"}}})
    result = compare(base, report(fr("a.wast", ("1", SKIPPED))))
    assert [(k, now) for _, k, now in result.regressions] == [("1", "skipped (why 1)"), ("2", "absent")]


def test_no_regression_passes():
    base = Baseline(None, {"engine": {"a.wast": {"1"}}})
    assert compare(base, report(fr("a.wast", ("1", PASSED), ("2", FAILED)))).ok


def test_each_engine_is_gated_against_its_own_baseline():
    base = Baseline(None, {"engine": {"a.wast": {"1", "2"}}, "wasmtime": {"a.wast": {"1"}}})
    run = [fr("a.wast", ("1", PASSED), ("2", FAILED))]
    assert not compare(base, report(*run)).ok
    assert compare(base, report(*run, engine="wasmtime")).ok
    # an engine with no baseline yet has nothing to regress
    fresh = compare(base, report(*run, engine="pywasm"))
    assert fresh.ok and fresh.improvements == [("a.wast", "1")]


def test_update_round_trips_and_keeps_files_that_did_not_run(tmp_path):
    path = tmp_path / "conformance.yaml"
    write_baseline(path, Baseline(None, {"engine": {"old.wast": {"9"}, "a.wast": {"1"}},
                                         "node": {"a.wast": {"7"}}}))
    now = report(fr("a.wast", ("1", PASSED), ("2", PASSED), ("181.2", PASSED), ("3", FAILED)),
                 fr("empty.wast", ("1", FAILED)))
    write_baseline(path, update_baseline(load_baseline(path), now))
    again = load_baseline(path)
    assert again.testsuite_commit == "abc123"
    assert again.files("engine") == {"old.wast": {"9"}, "a.wast": {"1", "2", "181.2"}}
    assert again.files("node") == {"a.wast": {"7"}}
    assert compare(again, now).ok and not compare(again, now).improvements
    assert path.read_text().startswith("# Conformance baseline")


def test_missing_baseline_is_empty_and_broken_one_is_an_error(tmp_path):
    assert load_baseline(tmp_path / "nope.yaml").engines == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("files: [1, 2\n")
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(bad)


def test_json_report_has_exactly_the_documented_shape(tmp_path):
    r = report(fr("a.wast", ("1", PASSED), ("2", FAILED), ("3", SKIPPED)),
               fr("simd_x.wast", ("4", PASSED), proposal="simd"))
    r.files["b.wast"] = FileResult("b.wast", "core", None,
                                   [CommandResult("0", 0, "convert", FAILED, "cannot convert")])
    path = tmp_path / "r.json"
    r.write_json(path)
    data = json.loads(path.read_text())
    assert set(data) == {"engine", "version", "testsuite", "totals", "proposals", "files"}
    assert data["testsuite"] == {"path": "/suite", "commit": "abc123"}
    assert data["totals"] == {"passed": 2, "failed": 2, "skipped": 1}
    assert data["proposals"] == {"core": {"files": 2, "passed": 1, "failed": 2, "skipped": 1},
                                 "simd": {"files": 1, "passed": 1, "failed": 0, "skipped": 0}}
    a = data["files"]["a.wast"]
    assert set(a) == {"proposal", "converter", "passed", "failed", "skipped", "failures", "skips",
                      "passed_keys"}
    assert a["failures"] == [{"key": "2", "line": 2, "command": "assert_return", "message": "why 2"}]
    assert a["skips"] == [{"key": "3", "line": 3, "command": "assert_return", "message": "why 3"}]
    assert a["passed_keys"] == ["1"]
    assert data["files"]["b.wast"]["converter"] is None


def test_table_and_markdown():
    r = report(fr("a.wast", ("1", PASSED), ("2", FAILED)), fr("s.wast", ("1", PASSED), proposal="simd"))
    table = r.table()
    assert table.splitlines()[0].split() == ["proposal", "files", "passed", "failed", "skipped", "pass", "%"]
    assert any(line.split()[:6] == ["core", "1", "1", "1", "0", "50.0"] for line in table.splitlines())
    assert table.splitlines()[-1].split() == ["total", "2", "2", "1", "0", "66.7"]
    md = r.markdown()
    assert "| proposal | files | passed | failed | skipped | pass % |" in md
    assert "| simd | 1 | 1 | 0 | 0 | 100.0 |" in md


def test_the_first_baseline_format_reads_as_that_engines_baseline(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("engine: engine\ntestsuite: abc\nfiles:\n  a.wast: [1, 2, 5.2]\n  b.wast: [3]\n")
    base = load_baseline(old)
    assert base.testsuite_commit == "abc"
    assert base.engines == {"engine": {"a.wast": {"1", "2", "5.2"}, "b.wast": {"3"}}}
    # written back in the per-engine form, nothing lost
    write_baseline(old, base)
    assert "engines:" in old.read_text()
    assert load_baseline(old).engines == base.engines


def test_the_recorded_baseline_loads_in_the_per_engine_form():
    from pathlib import Path

    base = load_baseline(Path(__file__).resolve().parents[1] / "conformance.yaml")
    assert "engine" in base.engines
    assert sum(len(keys) for keys in base.files("engine").values()) >= 67000


def test_a_json_report_reads_back_exactly(tmp_path):
    r = report(fr("a.wast", ("1", PASSED), ("2", FAILED), ("2.2", SKIPPED)),
               fr("simd_x.wast", ("4", PASSED), proposal="simd"))
    path = tmp_path / "r.json"
    r.write_json(path)
    back = RunReport.from_json(json.loads(path.read_text()))
    assert back.to_json() == r.to_json()
    assert {k: f.passed_keys() for k, f in back.files.items()} == {"a.wast": {"1"}, "simd_x.wast": {"4"}}
