"""The feature switches against the testsuite (slow: ``pytest -m suite``, or
run this file directly for the table of outcome changes per proposal).

The threads proposal's scripts predate multi-memory and reference types:
they assert that a second memory or table is invalid. With those two
proposals off every binary command of those scripts must meet its
expectation; with everything on (Wasm 3.0) the eight assertions about a
second memory or table fail, as the validator suite check lists them.

``python tests/test_features_suite.py [--testsuite DIR] [--details NAME]``
decodes and validates every binary module of the suite with each proposal
switched off in turn (with the proposals built on it) and prints which
commands change outcome compared with every proposal on. The suite is found
as ``--testsuite DIR``, else ``$WASM_TESTSUITE``, else the repository's
``testsuite`` submodule.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.binary import decode_module  # noqa: E402
from engine.binary.proposals import PROPOSALS, REQUIRES  # noqa: E402
from engine.errors import InvalidError, MalformedError  # noqa: E402
from engine.valid import validate_module  # noqa: E402
from tests.test_valid_suite import convert, scripts, suite_dir  # noqa: E402

ALL = frozenset(PROPOSALS)

#: What the harness switches off for the threads scripts (spectest/features.yaml).
THREADS_BASE = ALL - {"multi-memory", "reference-types"}

#: script -> the lines that assert a second memory or table is invalid.
THREADS_CONFLICTS = {
    "proposals/threads/imports.wast": {310: "multiple tables", 314: "multiple tables",
                                       318: "multiple tables", 405: "multiple memories",
                                       409: "multiple memories", 413: "multiple memories"},
    "proposals/threads/memory.wast": {14: "multiple memories", 15: "multiple memories"},
}

_EXPECTED = {"assert_malformed": "malformed", "assert_invalid": "invalid"}
_VALID_KINDS = {"module", "module_definition", "assert_unlinkable", "assert_uninstantiable",
                "assert_trap", "assert_exhaustion"}


@dataclass(frozen=True)
class Command:
    """A binary module of a script and what the script expects of it."""

    script: str
    line: int
    expected: str  # "valid", "malformed" or "invalid"
    text: str
    data: bytes


def outcome(data: bytes, features: Optional[frozenset[str]]) -> tuple[str, str]:
    """("valid" | "malformed" | "invalid", message) of decoding and validating."""
    try:
        validate_module(decode_module(data, features), features)
    except MalformedError as exc:
        return "malformed", str(exc)
    except InvalidError as exc:
        return "invalid", str(exc)
    return "valid", ""


def commands(json_path: Path, script: str) -> list[Command]:
    out = []
    for cmd in json.loads(json_path.read_text())["commands"]:
        filename = cmd.get("filename")
        if not filename or cmd.get("module_type", "binary") != "binary":
            continue
        kind = cmd["type"]
        expected = _EXPECTED.get(kind, "valid" if kind in _VALID_KINDS else None)
        if expected is None:
            continue
        data = (json_path.parent / filename).read_bytes()
        out.append(Command(script, cmd["line"], expected, cmd.get("text", ""), data))
    return out


def without(name: str) -> frozenset[str]:
    """Every proposal but ``name`` and those built on it."""
    off = {name}
    for p in PROPOSALS:  # bases come first
        if any(base in off for base in REQUIRES.get(p, ())):
            off.add(p)
    return ALL - off


def _cache() -> Path:
    return Path(tempfile.gettempdir()) / "features-suite-json"


def load(root: Path, wast: Path) -> list[Command]:
    rel = wast.relative_to(root).as_posix()
    json_path = convert(wast, _cache() / rel.replace("/", "__").removesuffix(".wast"))
    return commands(json_path, rel)


# --- the pytest check --------------------------------------------------------------

_ROOT = suite_dir()


@pytest.mark.suite
def test_threads_scripts_with_multi_memory_and_reference_types_off(request) -> None:
    if "suite" not in (request.config.option.markexpr or ""):
        pytest.skip("suite check: runs only with -m suite")
    if _ROOT is None or not (_ROOT / "proposals" / "threads").is_dir():
        pytest.skip("testsuite not found: set WASM_TESTSUITE")
    failures = []
    checked = 0
    for wast in sorted((_ROOT / "proposals" / "threads").glob("*.wast")):
        conflicts = THREADS_CONFLICTS.get(wast.relative_to(_ROOT).as_posix(), {})
        for cmd in load(_ROOT, wast):
            checked += 1
            got, message = outcome(cmd.data, THREADS_BASE)
            if got != cmd.expected:
                failures.append(f"{cmd.script}:{cmd.line}: expected {cmd.expected}, got {got} {message}")
            if cmd.line in conflicts:
                if not message.startswith(conflicts[cmd.line]):
                    failures.append(f"{cmd.script}:{cmd.line}: message {message!r}")
                # Wasm 3.0 allows several memories and tables.
                if outcome(cmd.data, None)[0] != "valid":
                    failures.append(f"{cmd.script}:{cmd.line}: rejected with every proposal on")
    assert checked > 100
    assert not failures, "\n".join(failures)


# --- the table of outcome changes ----------------------------------------------------


def run(root: Path, details: Optional[str]) -> None:
    cmds = [c for wast in scripts(root) for c in load(root, wast)]
    base = [outcome(c.data, None) for c in cmds]
    print(f"{len(cmds)} binary modules in {len(scripts(root))} scripts; with every proposal on, "
          f"{sum(b[0] == c.expected for b, c in zip(base, cmds))} meet their expectation")
    print(f"{'proposal off':38} {'changed':>7} {'valid->rej':>10} {'inv->malf':>9} "
          f"{'now met':>7} {'other':>5}  scripts")
    for name in PROPOSALS:
        features = without(name)
        changed = []
        for c, before in zip(cmds, base):
            after = outcome(c.data, features)
            if after[0] != before[0]:
                changed.append((c, before, after))
        kinds = Counter(_change_kind(c, b, a) for c, b, a in changed)
        per_script = Counter(c.script.removesuffix(".wast") for c, _, _ in changed)
        shown = ", ".join(f"{s} {n}" for s, n in per_script.most_common(5))
        more = len(per_script) - 5
        print(f"{name:38} {len(changed):7} {kinds['rejected']:10} {kinds['malformed']:9} "
              f"{kinds['met']:7} {kinds['other']:5}  {shown}" + (f" (+{more} more)" if more > 0 else ""))
        if details == name:
            for c, b, a in changed:
                print(f"    {c.script}:{c.line} expected {c.expected}: {b[0]} -> {a[0]} {a[1]}")


def _change_kind(c: Command, before: tuple, after: tuple) -> str:
    """How a command's outcome changed: a module that validated is rejected,
    an invalid module became malformed, the expectation is now met, or
    something else."""
    if after[0] == c.expected:
        return "met"
    if before[0] == "valid":
        return "rejected"
    if before[0] == "invalid" and after[0] == "malformed":
        return "malformed"
    return "other"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testsuite", help="the testsuite directory")
    parser.add_argument("--details", metavar="NAME", help="list the commands one proposal changes")
    args = parser.parse_args(argv)
    root = Path(args.testsuite) if args.testsuite else suite_dir()
    if root is None or not root.is_dir():
        print("no testsuite found: pass --testsuite or set WASM_TESTSUITE", file=sys.stderr)
        return 2
    run(root, args.details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
