"""The command line and the pytest plugin, end to end on a small folder of
scripts (pytest-xdist included), and where the suite and its commit come from."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spectest.cli import main
from spectest import suite as suite_mod
from spectest.suite import SuiteNotFound, collect_scripts, find_testsuite

HAVE_TOOLS = any(shutil.which(t, path=str(Path(sys.executable).parent)) or shutil.which(t)
                 for t in ("wast2json", "wasm-tools"))
try:
    import wasmtime  # noqa: F401
    HAVE_WASMTIME = True
except ImportError:
    HAVE_WASMTIME = False
end_to_end = pytest.mark.skipif(not (HAVE_TOOLS and HAVE_WASMTIME),
                                reason="needs wasmtime and wast2json or wasm-tools")

# the trap matters: wasmtime traps through signals, and a run that created the
# engine before pytest installed its fault handler would die on it
GOOD = ('(module (func (export "f") (result i32) (i32.const 1)) (func (export "u") unreachable))\n'
        '(assert_return (invoke "f") (i32.const 1))\n'
        '(assert_trap (invoke "u") "unreachable")\n')
BAD = ('(module (func (export "f") (result i32) (i32.const 1)))\n'
       '(assert_return (invoke "f") (i32.const 1))\n'
       '(assert_return (invoke "f") (i32.const 2))\n')


def spectest(*args, cwd):
    env = dict(os.environ, SPECTEST_CACHE=str(Path(cwd) / "cache"))
    env.pop("WASM_TESTSUITE", None)
    return subprocess.run([sys.executable, "-m", "spectest", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def scripts(tmp_path):
    d = tmp_path / "scripts"
    (d / "sub").mkdir(parents=True)
    (d / "good.wast").write_text(GOOD)
    (d / "sub" / "bad.wast").write_text(BAD)
    return d


@end_to_end
def test_parallel_run_reports_gates_and_updates(tmp_path, scripts):
    (tmp_path / "base.yaml").write_text("engine: wasmtime\nfiles:\n  sub/bad.wast: [1, 2, 3]\n")
    proc = spectest(str(scripts), "--engine", "wasmtime", "-n", "2", "-v", "--json", "r.json",
                    "--markdown", "r.md", "--gate", "--baseline", "base.yaml", "--update-baseline",
                    cwd=tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    # the failing item lists its failed command as file:line kind: expected ... got ...
    assert "sub/bad.wast:3 assert_return: expected i32 2 (0x00000002), got i32 1 (0x00000001)" in out
    assert "sub/bad.wast:3 passed in the baseline, now failed" in out
    assert "good.wast:1" in out and "improvement" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["engine"] == "wasmtime"
    assert report["totals"] == {"passed": 5, "failed": 1, "skipped": 0}
    assert report["proposals"] == {"other": {"files": 2, "passed": 5, "failed": 1, "skipped": 0}}
    assert report["files"]["sub/bad.wast"]["failures"][0]["line"] == 3
    assert "| other | 2 | 5 | 1 | 0 | 83.3 |" in (tmp_path / "r.md").read_text()
    assert "sub/bad.wast: [1, 2]" in (tmp_path / "base.yaml").read_text()

    again = spectest(str(scripts), "--engine", "wasmtime", "--gate", "--baseline", "base.yaml",
                     cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "gate (wasmtime): passed (no regressions)" in again.stdout
    assert "[2/2] passed 5  failed 1  skipped 0" in again.stderr  # the progress line


def test_no_suite_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WASM_TESTSUITE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "git submodule update --init" in err


def test_explicit_suite_without_scripts_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WASM_TESTSUITE", raising=False)
    with pytest.raises(SuiteNotFound, match="holds no .wast files"):
        find_testsuite(str(tmp_path))
    monkeypatch.setenv("WASM_TESTSUITE", str(tmp_path / "absent"))
    with pytest.raises(SuiteNotFound):
        find_testsuite(None)


def test_scripts_are_named_relative_to_the_suite_or_their_folder(tmp_path, scripts):
    found = collect_scripts([scripts], suite=None)
    assert [(s.relpath, s.in_suite) for s in found] == [("good.wast", False), ("sub/bad.wast", False)]
    found = collect_scripts([scripts / "sub"], suite=scripts)
    assert [(s.relpath, s.in_suite) for s in found] == [("sub/bad.wast", True)]


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.mark.skipif(not shutil.which("git"), reason="git not installed")
def test_testsuite_commit_from_checkout_then_gitlink(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "a.wast").write_text("(module)")
    git("init", "-q", cwd=suite)
    git("add", "a.wast", cwd=suite)
    git("commit", "-q", "-m", "x", cwd=suite)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=suite, capture_output=True,
                          text=True).stdout.strip()
    assert suite_mod.testsuite_commit(suite) == head

    plain = tmp_path / "plain"
    plain.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    link = "1234567890abcdef1234567890abcdef12345678"
    git("update-index", "--add", "--cacheinfo", f"160000,{link},testsuite", cwd=project)
    git("commit", "-q", "-m", "gitlink", cwd=project)
    assert suite_mod.testsuite_commit(plain, project) == link
    assert suite_mod.testsuite_commit(plain, plain) is None
