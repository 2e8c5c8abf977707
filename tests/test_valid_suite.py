"""Whole-testsuite validation check (slow: run with ``pytest -m suite``, or
run this file directly for a summary).

Every binary module of an ``assert_invalid`` command must raise
InvalidError; every binary module of ``module``, ``module_definition``,
``assert_unlinkable``, ``assert_uninstantiable`` and the module forms of
``assert_trap``/``assert_exhaustion`` must validate. Text-format modules are
out of scope. The suite is found as ``$WASM_TESTSUITE``, else the
``testsuite`` submodule of the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.errors import InvalidError, MalformedError  # noqa: E402
from engine.valid import validate_module  # noqa: E402
from watutil import tool  # noqa: E402

#: Commands whose expectation contradicts Wasm 3.0, with the reason; the
#: check reports them as expected failures and fails if one starts passing
#: (so the list cannot go stale).
_MULTI = "the threads proposal's tests predate multi-memory: Wasm 3.0 allows several memories and tables"
_CAST = ("Wasm 3.0's tests assert the rule that a branching cast's target type matches its "
         "source type (rt2 <: rt1), which custom descriptors relax; with every proposal on the "
         "relaxed rule applies (the harness runs the gc scripts without custom-descriptors)")
KNOWN_CONFLICTS: dict[str, str] = {
    **{f"proposals__threads__imports:{n}": _MULTI for n in (310, 314, 318, 405, 409, 413)},
    **{f"proposals__threads__memory:{n}": _MULTI for n in (14, 15)},
    **{f"br_on_cast:{n}": _CAST for n in (235, 253, 261)},
    **{f"br_on_cast_fail:{n}": _CAST for n in (250, 268, 276)},
}

VALID_KINDS = {
    "module", "module_definition", "assert_unlinkable", "assert_uninstantiable",
    "assert_trap", "assert_exhaustion",
}


def suite_dir() -> Path | None:
    """The testsuite directory, or None when there is none."""
    env = os.environ.get("WASM_TESTSUITE")
    path = Path(env) if env else ROOT / "testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def convert(wast: Path, out: Path) -> Path:
    """Convert one script to JSON + binaries in ``out`` (wabt first, then
    wasm-tools); returns the JSON path. Raises RuntimeError on failure."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "x.json"
    if target.exists():
        return target
    errors = []
    wast2json = tool("wast2json")
    if wast2json:
        proc = subprocess.run([wast2json, "--enable-all", str(wast), "-o", str(target)],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append(proc.stderr[-500:])
        for f in out.iterdir():
            f.unlink()
    wasm_tools = tool("wasm-tools")
    if wasm_tools:
        proc = subprocess.run([wasm_tools, "json-from-wast", str(wast), "-o", str(target),
                               "--wasm-dir", str(out)], capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append(proc.stderr[-500:])
    raise RuntimeError(f"cannot convert {wast.name}: {' | '.join(errors) or 'no converter found'}")


@dataclass
class Outcome:
    """Counts and failures of one script: ``failures`` are the validator's,
    ``known`` the listed conflicts that behaved as listed, ``undecoded`` the
    modules the decoder rejected (they cannot reach the validator)."""

    invalid_ok: int = 0
    valid_ok: int = 0
    failures: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    undecoded: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        self.invalid_ok += other.invalid_ok
        self.valid_ok += other.valid_ok
        self.failures.extend(other.failures)
        self.known.extend(other.known)
        self.undecoded.extend(other.undecoded)


def check_script(json_path: Path) -> Outcome:
    """Validate every binary module of a converted script."""
    from engine.binary import decode_module

    result = Outcome()
    data = json.loads(json_path.read_text())
    for cmd in data["commands"]:
        kind = cmd["type"]
        filename = cmd.get("filename")
        if not filename or cmd.get("module_type", "binary") != "binary":
            continue
        if kind != "assert_invalid" and kind not in VALID_KINDS:
            continue
        where = f"{json_path.parent.name}:{cmd['line']}"
        try:
            module = decode_module((json_path.parent / filename).read_bytes())
        except MalformedError as exc:
            result.undecoded.append(f"{where} {kind}: decoder rejected the module: {exc}")
            continue
        problem = None
        try:
            validate_module(module)
        except InvalidError as exc:
            if kind == "assert_invalid":
                result.invalid_ok += 1
            else:
                problem = f"{where} {kind}: rejected as invalid: {exc}"
        except Exception as exc:  # a stray exception is a bug to report, not to hide
            problem = f"{where} {kind}: {type(exc).__name__}: {exc}"
        else:
            if kind == "assert_invalid":
                problem = f"{where} assert_invalid accepted (expected {cmd['text']!r})"
            else:
                result.valid_ok += 1
        if problem is not None:
            (result.known if where in KNOWN_CONFLICTS else result.failures).append(problem)
    seen = {entry.split(" ", 1)[0] for entry in result.known}
    for key in KNOWN_CONFLICTS:
        if key.rsplit(":", 1)[0] == json_path.parent.name and key not in seen:
            if not any(u.startswith(key + " ") for u in result.undecoded):
                result.failures.append(f"{key}: listed as a known conflict but now passes; update the list")
    return result


def scripts(root: Path) -> list[Path]:
    return sorted(root.rglob("*.wast"))


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "valid-suite-json"


def _script_id(root: Path, wast: Path) -> str:
    return str(wast.relative_to(root).with_suffix("")).replace(os.sep, "__")


_ROOT = suite_dir()
_PARAMS = [pytest.param(w, id=_script_id(_ROOT, w)) for w in scripts(_ROOT)] if _ROOT else []


@pytest.mark.suite
@pytest.mark.parametrize("wast", _PARAMS or [pytest.param(None, id="no-suite")])
def test_suite_script(wast, request):
    if "suite" not in (request.config.option.markexpr or ""):
        pytest.skip("whole-suite check: runs only with -m suite")
    if wast is None:
        pytest.skip("testsuite not found: set WASM_TESTSUITE")
    pytest.importorskip("engine.binary", reason="decoder not available")
    from engine import binary

    if not hasattr(binary, "decode_module"):
        pytest.skip("decoder not available: engine.binary.decode_module missing")
    json_path = convert(wast, _cache_dir() / _script_id(_ROOT, wast))
    outcome = check_script(json_path)
    assert not outcome.failures, "\n".join(outcome.failures)
    notes = [f"{k}: {KNOWN_CONFLICTS[k.split(' ', 1)[0]]}" for k in outcome.known]
    if outcome.undecoded:
        notes.append(f"{len(outcome.undecoded)} modules not checked, the decoder rejected them: "
                     + "; ".join(outcome.undecoded[:3]))
    if notes:
        pytest.xfail("\n".join(notes))


def main() -> int:
    """Run the check over the whole suite and print a summary."""
    root = suite_dir()
    if root is None:
        print("testsuite not found: set WASM_TESTSUITE")
        return 2
    total = Outcome()
    for wast in scripts(root):
        try:
            json_path = convert(wast, _cache_dir() / _script_id(root, wast))
        except RuntimeError as exc:
            total.failures.append(str(exc))
            continue
        total.add(check_script(json_path))
    for title, lines in (("failures", total.failures), ("known conflicts", total.known),
                         ("not decoded", total.undecoded)):
        if lines:
            print(f"--- {title} ({len(lines)})")
            for line in lines:
                print(line)
    print(f"invalid rejected: {total.invalid_ok}, valid accepted: {total.valid_ok}, "
          f"failures: {len(total.failures)}, known conflicts: {len(total.known)}, "
          f"not decoded: {len(total.undecoded)}")
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
