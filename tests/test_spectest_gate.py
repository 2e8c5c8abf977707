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
    base = Baseline("engine", None, {"a.wast": {"1", "2", "3"}, "b.wast": {"5"}})
    now = report(fr("a.wast", ("1", PASSED), ("2", FAILED), ("3", PASSED), ("4", PASSED)))
    result = compare(base, now)
    assert not result.ok
    assert result.regressions == [("a.wast", "2", "failed: why 2")]
    assert result.improvements == [("a.wast", "4")]
    assert "a.wast:2 passed in the baseline, now failed: why 2" in result.summary()
    # b.wast did not run: not judged
    assert all(f != "b.wast" for f, _, _ in result.regressions)


def test_a_skip_or_a_vanished_command_is_a_regression_too():
    base = Baseline("engine", None, {"a.wast": {"1", "2"}})
    result = compare(base, report(fr("a.wast", ("1", SKIPPED))))
    assert [(k, now) for _, k, now in result.regressions] == [("1", "skipped (why 1)"), ("2", "absent")]


def test_no_regression_passes():
    base = Baseline("engine", None, {"a.wast": {"1"}})
    assert compare(base, report(fr("a.wast", ("1", PASSED), ("2", FAILED)))).ok


def test_baseline_of_another_engine_is_refused():
    with pytest.raises(BaselineError, match="engine 'wasmtime'"):
        compare(Baseline("wasmtime"), report(fr("a.wast", ("1", PASSED))))


def test_update_round_trips_and_keeps_files_that_did_not_run(tmp_path):
    path = tmp_path / "conformance.yaml"
    write_baseline(path, Baseline("engine", None, {"old.wast": {"9"}, "a.wast": {"1"}}))
    now = report(fr("a.wast", ("1", PASSED), ("2", PASSED), ("181.2", PASSED), ("3", FAILED)),
                 fr("empty.wast", ("1", FAILED)))
    write_baseline(path, update_baseline(load_baseline(path), now))
    again = load_baseline(path)
    assert again.engine == "engine" and again.testsuite_commit == "abc123"
    assert again.files == {"old.wast": {"9"}, "a.wast": {"1", "2", "181.2"}}
    assert compare(again, now).ok and not compare(again, now).improvements
    assert path.read_text().startswith("# Conformance baseline")


def test_missing_baseline_is_empty_and_broken_one_is_an_error(tmp_path):
    assert load_baseline(tmp_path / "nope.yaml").files == {}
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
    assert set(data) == {"engine", "testsuite", "totals", "proposals", "files"}
    assert data["testsuite"] == {"path": "/suite", "commit": "abc123"}
    assert data["totals"] == {"passed": 2, "failed": 2, "skipped": 1}
    assert data["proposals"] == {"core": {"files": 2, "passed": 1, "failed": 2, "skipped": 1},
                                 "simd": {"files": 1, "passed": 1, "failed": 0, "skipped": 0}}
    a = data["files"]["a.wast"]
    assert set(a) == {"proposal", "converter", "passed", "failed", "skipped", "failures"}
    assert a["failures"] == [{"line": 2, "command": "assert_return", "message": "why 2"}]
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
