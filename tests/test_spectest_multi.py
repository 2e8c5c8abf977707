"""Several engines in one run, shards and their merge, JUnit, an engine
plugged in from outside the package, extra suites, and scripts/conformance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from spectest.plugin import engine_names, parse_shard, shard_of
from spectest.proposals import proposal_of
from test_spectest_cli import BAD, GOOD

ROOT = Path(__file__).resolve().parents[1]

def run(*args, cwd, env=None, exe=None):
    full = dict(os.environ, SPECTEST_CACHE=str(Path(cwd) / "cache"), **(env or {}))
    full.pop("WASM_TESTSUITE", None)
    cmd = exe or [sys.executable, "-m", "spectest"]
    return subprocess.run([*cmd, *args], cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def scripts(tmp_path):
    d = tmp_path / "scripts"
    (d / "threads").mkdir(parents=True)
    (d / "good.wast").write_text(GOOD)
    (d / "threads" / "bad.wast").write_text(BAD)
    (d / "big.wast").write_text(GOOD * 3)
    return d


def test_engine_names_split_commas_and_repeats_but_keep_exec_lines_whole():
    assert engine_names([]) == ["engine"]
    assert engine_names(["engine,wasmtime", "pywasm", "engine"]) == ["engine", "wasmtime", "pywasm"]
    assert engine_names(["exec:./drv --a,b"]) == ["exec:./drv --a,b"]


def test_shards_are_balanced_by_size_deterministic_and_cover_everything():
    sizes = {f"s{i}.wast": size for i, size in enumerate([900, 10, 500, 400, 300, 200, 100, 50])}
    parts = shard_of(sizes, 3)
    assert parts == shard_of(dict(reversed(list(sizes.items()))), 3)   # order does not matter
    assert set(parts) == set(sizes) and set(parts.values()) == {1, 2, 3}
    totals = [sum(s for n, s in sizes.items() if parts[n] == k) for k in (1, 2, 3)]
    assert max(totals) - min(totals) <= 900 and max(totals) == 900
    with pytest.raises(ValueError):
        parse_shard("3/2")
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) is None


def test_extra_suites_map_folders_to_proposals():
    assert proposal_of("threads/LB.wast", in_suite=False) == "threads"
    assert proposal_of("LB.wast", in_suite=False, root=Path("/x/threads")) == "threads"
    assert proposal_of("rounding-variants.wast", False, root=Path("/x/rounding-mode-control")) \
        == "rounding-mode-control"
    assert proposal_of("a/b.wast", in_suite=False, root=Path("/x/y")) == "other"


def test_several_engines_shards_merge_json_junit(tmp_path, scripts):
    engines = "engine,exec:" + sys.executable + " -m spectest.driver engine"
    outs = []
    for k in (1, 2):
        out = tmp_path / f"r{k}.json"
        proc = run(str(scripts), "--engine", engines, "--shard", f"{k}/2", "--json", str(out),
                   cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        outs.append(out)
    parts = [json.loads(p.read_text()) for p in outs]
    assert all(set(p) == {"testsuite", "engines"} for p in parts)
    names = [set(p["engines"]["engine"]["files"]) for p in parts]
    assert names[0] | names[1] == {"good.wast", "big.wast", "threads/bad.wast"}
    assert not names[0] & names[1]
    merged = tmp_path / "m.json"
    junit = tmp_path / "m.xml"
    proc = run("merge", *map(str, outs), "--json", str(merged), "--junit", str(junit), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr   # one command fails, per engine
    assert proc.stdout.splitlines()[-1] == "spectest: 28 passed, 2 failed, 0 skipped"
    data = json.loads(merged.read_text())
    for engine in data["engines"].values():
        assert engine["totals"] == {"passed": 14, "failed": 1, "skipped": 0}
        assert engine["proposals"]["threads"]["failed"] == 1
        assert engine["files"]["threads/bad.wast"]["failures"][0]["line"] == 3
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == 2
    for suite in suites:
        cases = suite.findall("testcase")
        assert sorted(c.get("name") for c in cases) == ["big.wast", "good.wast", "threads/bad.wast"]
        bad = next(c for c in cases if c.get("name") == "threads/bad.wast")
        assert "3 assert_return: expected i32 2" in bad.find("failure").text
    # the merged report gates like a direct run
    base = tmp_path / "base.yaml"
    base.write_text("engines:\n  engine:\n    files:\n      threads/bad.wast: [1, 2, 3]\n")
    gated = run("merge", *map(str, outs), "--gate", "--baseline", str(base), cwd=tmp_path)
    assert gated.returncode == 1 and "threads/bad.wast:3 passed in the baseline" in gated.stdout


def test_an_engine_plugged_in_through_the_entry_point_group(tmp_path, scripts):
    # a distribution installed outside this project: a package on the path
    # and its dist-info declaring the adapter, found by importlib.metadata
    site = tmp_path / "site"
    pkg = site / "outside_engine"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent("""\
        from spectest.adapters.engine import EngineAdapter

        class OutsideAdapter(EngineAdapter):
            name = "outside"

            def version(self):
                return "outside 1.0"
        """))
    info = site / "outside_engine-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: outside-engine\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[spectest.adapters]\noutside = outside_engine:OutsideAdapter\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    out = tmp_path / "r.json"
    proc = run(str(scripts / "good.wast"), "--engine", "outside", "--json", str(out), cwd=tmp_path,
               env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["engine"] == "outside" and data["version"] == "outside 1.0"
    assert data["totals"] == {"passed": 3, "failed": 0, "skipped": 0}
    unknown = run(str(scripts), "--engine", "nowhere", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "outside" in unknown.stderr   # listed among the choices


def test_scripts_conformance_reports_and_exits_zero_on_the_baseline(tmp_path, scripts):
    base = tmp_path / "base.yaml"
    base.write_text("engines:\n  engine:\n    files:\n      threads/bad.wast: [1, 2]\n")
    proc = run(str(scripts), "--baseline", str(base), cwd=tmp_path,
               env={"VENV": sys.prefix}, exe=["bash", str(ROOT / "scripts" / "conformance")])
    lines = proc.stdout.splitlines()
    # it reports: exit 0 when the result matches the baseline, the failing
    # assertion under the table, and the assertions counted on the last line
    assert proc.returncode == 0, proc.stdout + proc.stderr
    at = lines.index("failed assertions (1):")
    assert lines[at + 1].strip() == ("threads/bad.wast:3 assert_return: expected i32 2 (0x00000002), "
                                     "got i32 1 (0x00000001)")
    assert lines[-1] == "spectest: 14 passed, 1 failed, 0 skipped"
    # a regression still fails it
    base.write_text("engines:\n  engine:\n    files:\n      threads/bad.wast: [1, 2, 3]\n")
    again = run(str(scripts), "--baseline", str(base), cwd=tmp_path,
                env={"VENV": sys.prefix}, exe=["bash", str(ROOT / "scripts" / "conformance")])
    assert again.returncode == 1


def test_the_failure_list_stops_at_twenty(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    body = '(module (func (export "f") (result i32) (i32.const 1)))\n'
    body += "".join(f'(assert_return (invoke "f") (i32.const {n}))\n' for n in range(2, 27))
    (d / "many.wast").write_text(body)
    proc = run(str(d), cwd=tmp_path)
    lines = proc.stdout.splitlines()
    at = lines.index("failed assertions (25, the first 20):")
    assert all("many.wast:" in line for line in lines[at + 1:at + 21])
    assert "many.wast" not in lines[at + 21]
    assert lines[-1] == "spectest: 1 passed, 25 failed, 0 skipped"
