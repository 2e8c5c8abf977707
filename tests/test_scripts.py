"""scripts/test on a first run: it looks for the testsuite before anything
else (one line saying how to get it, non-zero exit, nothing installed), and
``--testsuite DIR`` reaches the gate while other arguments go to pytest.

The script runs from a copy in a temporary project whose
``scripts/bootstrap`` is a stand-in: its ``$PY`` only records how it is
called, so no virtualenv is made and no test suite runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKE_BOOTSTRAP = """\
# stand-in for scripts/bootstrap: PY records its calls
touch "$project/bootstrapped"
PY="$project/fake-python"
export PY
"""

FAKE_PYTHON = """\
#!/usr/bin/env bash
echo "PYTHONWARNINGS=${PYTHONWARNINGS:-} WASM_TESTSUITE=${WASM_TESTSUITE:-} $*" >> "$project/calls"
"""


@pytest.fixture
def project(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("no bash on this host to run the script")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    (tmp_path / "scripts" / "bootstrap").write_text(FAKE_BOOTSTRAP)
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    (tmp_path / "testsuite").mkdir()  # the submodule, not checked out
    return tmp_path


def run_script(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "WASM_TESTSUITE"}
    base["project"] = str(project)
    return subprocess.run(["bash", str(project / "scripts" / "test"), *args], cwd=project,
                          env={**base, **(env or {})}, capture_output=True, text=True, timeout=60)


def suite(where: Path) -> Path:
    where.mkdir(parents=True)
    (where / "nop.wast").write_text("(module)\n")
    return where


def calls(project: Path) -> list[str]:
    path = project / "calls"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("args, env", [
    ((), {}),
    (("--testsuite", "elsewhere"), {}),
    (("--testsuite=elsewhere",), {}),
    ((), {"WASM_TESTSUITE": "elsewhere"}),
])
def test_a_missing_testsuite_stops_the_script_first_with_one_line(project, args, env):
    proc = run_script(project, *args, env=env)
    assert proc.returncode != 0
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for hint in ("git submodule update --init", "WASM_TESTSUITE", "--testsuite"):
        assert hint in lines[0]
    # before anything else: nothing set up, nothing run
    assert not (project / "bootstrapped").exists() and calls(project) == []


def test_testsuite_option_goes_to_the_gate_and_the_rest_to_pytest(project):
    where = suite(project / "copy")
    proc = run_script(project, "-k", "cli", "--testsuite", str(where), "-x")
    assert proc.returncode == 0, proc.stderr
    unit, gate = calls(project)
    expected_env = f"PYTHONWARNINGS= WASM_TESTSUITE={where}"
    assert unit == f"{expected_env} -m pytest -q -n auto -W error tests -k cli -x"
    assert gate == (f"PYTHONWARNINGS=error WASM_TESTSUITE={where} -W error -m spectest --engine engine"
                    f" -n auto --gate --testsuite {where}")


def test_the_environment_and_the_submodule_are_found_too(project):
    where = suite(project / "copy")
    assert run_script(project, env={"WASM_TESTSUITE": str(where)}).returncode == 0
    assert all(f"WASM_TESTSUITE={where} " in call for call in calls(project))
    (project / "calls").unlink()
    suite_file = project / "testsuite" / "nop.wast"
    suite_file.write_text("(module)\n")
    assert run_script(project).returncode == 0
    assert all(f"WASM_TESTSUITE={project / 'testsuite'} " in call for call in calls(project))
