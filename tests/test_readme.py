"""The README's examples stay true: every Python block runs (from the
repository root, with warnings as errors) and prints what its comments say,
every ``wasm-engine``/``python -m engine`` line of a shell block does what
its comment says, and every module the README shows is the file in
``examples/`` that the code opens.

Comment convention checked here: ``print(...)  # OUTPUT`` means the call
prints the line OUTPUT; a trailing ``(note)`` is prose; ``...`` at the end
means the line starts with what precedes it. Output lines without a comment
(a host function's own print, say) are allowed in between.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, re.S | re.M)
_NOTE = re.compile(r"\s*\([^()]*\)$")


def _expected(comment: str) -> str:
    return _NOTE.sub("", comment.strip())


def _matches(expected: str, line: str) -> bool:
    if expected.endswith("..."):
        return line.startswith(expected[:-3].rstrip())
    return line == expected


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


PYTHON = [code for lang, code in BLOCKS if lang == "python"]
SHELL = [code for lang, code in BLOCKS if lang == "sh"]


def test_the_readme_has_the_examples_this_test_reads():
    assert len(PYTHON) >= 6 and any("wasm-engine run" in code for code in SHELL)
    assert sum(len(re.findall(r"print\(.*#", code)) for code in PYTHON) >= 10


@pytest.mark.parametrize("code", PYTHON, ids=[f"python{i}" for i in range(len(PYTHON))])
def test_a_python_example_runs_and_prints_what_it_says(code):
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    at = 0
    for m in re.finditer(r"^\s*print\(.*?#(.*)$", code, re.M):
        expected = _expected(m.group(1))
        while at < len(lines) and not _matches(expected, lines[at]):
            at += 1
        assert at < len(lines), f"no output line {expected!r} in order in {lines}"
        at += 1


def _shell_commands():
    """(argv, comment) for each engine command line of the shell blocks; an
    ``echo $?`` line checks the exit status of the command before it."""
    out = []
    for code in SHELL:
        for line in code.splitlines():
            command, _, comment = line.partition("#")
            command = command.strip()
            for prefix in ("wasm-engine ", "python -m engine "):
                if command.startswith(prefix):
                    out.append((shlex.split(command[len(prefix):]), comment.strip()))
            if command == "echo $?" and out:
                out.append((None, comment.strip()))
    return out


def test_the_command_line_examples_do_what_they_say(tmp_path):
    commands = _shell_commands()
    assert len(commands) >= 8
    last = None
    for argv, comment in commands:
        if argv is None:  # echo $?
            assert str(last.returncode) == _expected(comment), last
            continue
        last = subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, env=_env(),
                              capture_output=True, text=True, timeout=120)
        assert "Traceback" not in last.stderr
        if not comment:
            continue  # its status is checked by the echo $? that follows
        note = re.match(r"\(exit (\d+)", comment)
        assert last.returncode == (int(note.group(1)) if note else 0), (argv, last.stderr)
        if comment and not comment.startswith("("):
            assert last.stdout.strip() == _expected(comment), (argv, last.stdout)
        elif note:
            # the rest of the note, continued on the next comment line, is on stderr
            assert "error: trap:" in last.stderr


def _module_text(wat: str) -> str:
    """The module of a .wat file or README block: comment lines dropped."""
    return "\n".join(line for line in wat.strip().splitlines() if not line.lstrip().startswith(";;"))


def test_every_module_the_readme_shows_is_a_file_in_examples():
    files = {p.name: _module_text(p.read_text()) for p in (ROOT / "examples").glob("*.wat")}
    shown = [code for lang, code in BLOCKS if lang == "wat"]
    assert shown
    for code in shown:
        assert _module_text(code) in files.values(), code[:200]
    # and every file an example opens exists
    for path in set(re.findall(r"examples/[\w.]+\.wat", README)):
        assert (ROOT / path).is_file(), path


def test_the_project_metadata_uses_an_spdx_license_string():
    # a TOML table for project.license makes setuptools print a deprecation
    # warning on every install; an SPDX expression needs setuptools >= 77
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "Apache-2.0"
    requires = meta["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in requires)
