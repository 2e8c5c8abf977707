"""Finding the testsuite, its commit, and the scripts to run.

The suite is ``--testsuite DIR``, else ``$WASM_TESTSUITE``, else
``./testsuite`` (the git submodule at the project root).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

__all__ = ["SuiteNotFound", "ScriptFile", "find_testsuite", "testsuite_commit",
           "collect_scripts", "script_file", "MISSING_SUITE_HINT"]

MISSING_SUITE_HINT = (
    "no WebAssembly testsuite found: run `git submodule update --init` "
    "(or set WASM_TESTSUITE, or pass --testsuite DIR)"
)


class SuiteNotFound(Exception):
    """No testsuite directory with .wast files was found."""


@dataclass(frozen=True, slots=True)
class ScriptFile:
    """A script to run: its path, and its name in reports (the path relative
    to the suite root, or for a script outside the suite, relative to the
    folder it was found under)."""

    path: Path
    relpath: str
    in_suite: bool


def find_testsuite(option: Optional[str] = None, *, required: bool = True) -> Optional[Path]:
    """The testsuite directory, or None / :class:`SuiteNotFound` if absent."""
    for candidate in (option, os.environ.get("WASM_TESTSUITE"), "testsuite"):
        if not candidate:
            continue
        path = Path(candidate).expanduser()
        if path.is_dir() and any(path.glob("*.wast")):
            return path.resolve()
        if candidate is option or candidate == os.environ.get("WASM_TESTSUITE"):
            # an explicit choice that does not hold a suite is an error, not a
            # reason to fall back silently
            if required:
                raise SuiteNotFound(f"{candidate} holds no .wast files; {MISSING_SUITE_HINT}")
            return None
    if required:
        raise SuiteNotFound(MISSING_SUITE_HINT)
    return None


def _git(*args: str) -> Optional[str]:
    try:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def testsuite_commit(suite: Path, project: Optional[Path] = None) -> Optional[str]:
    """The suite's commit: HEAD of ``suite`` if it is a git checkout of its
    own, else the gitlink of the ``testsuite`` submodule in the project
    repository, else None."""
    top = _git("-C", str(suite), "rev-parse", "--show-toplevel")
    if top and Path(top).resolve() == suite.resolve():
        head = _git("-C", str(suite), "rev-parse", "HEAD")
        if head:
            return head
    project = project or Path.cwd()
    listing = _git("-C", str(project), "ls-tree", "HEAD", "testsuite")
    if listing:
        parts = listing.split()
        if len(parts) >= 3 and parts[1] == "commit":
            return parts[2]
    return None


def collect_scripts(paths: Iterable[str | Path], suite: Optional[Path]) -> list[ScriptFile]:
    """Every .wast file named by ``paths`` (files or folders, searched
    recursively), or the whole suite if ``paths`` is empty. Sorted, unique."""
    chosen: dict[Path, ScriptFile] = {}
    roots = [Path(p) for p in paths] or ([suite] if suite else [])
    for root in roots:
        root = root.expanduser()
        if root.is_dir():
            files = sorted(root.rglob("*.wast"))
            base = root.resolve()
        elif root.exists():
            files = [root]
            base = root.resolve().parent
        else:
            raise FileNotFoundError(f"no such file or folder: {root}")
        for f in files:
            resolved = f.resolve()
            if resolved in chosen:
                continue
            chosen[resolved] = script_file(resolved, base, suite)
    return sorted(chosen.values(), key=lambda s: (not s.in_suite, s.relpath))


def script_file(path: Path, base: Path, suite: Optional[Path]) -> ScriptFile:
    """How a script is named: relative to the suite when it is inside it,
    else relative to ``base`` (the folder it was found under)."""
    if suite is not None:
        try:
            return ScriptFile(path, path.relative_to(suite).as_posix(), True)
        except ValueError:
            pass
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        rel = path.name
    return ScriptFile(path, rel, False)
