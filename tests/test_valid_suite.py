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
import shutil
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

VALID_KINDS = {
    "module", "module_definition", "assert_unlinkable", "assert_uninstantiable",
    "assert_trap", "assert_exhaustion",
}


def suite_dir() -> Path | None:
    """The testsuite directory, or None when there is none."""
    env = os.environ.get("WASM_TESTSUITE")
    path = Path(env) if env else ROOT / "testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def convert(wast: Path, out: Path) -> Path:
    """Convert one script to JSON + binaries in ``out`` (wabt first, then
    wasm-tools); returns the JSON path. Raises RuntimeError on failure."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "x.json"
    if target.exists():
        return target
    errors = []
    wast2json = _tool("wast2json")
    if wast2json:
        proc = subprocess.run([wast2json, "--enable-all", str(wast), "-o", str(target)],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append(proc.stderr[-500:])
        for f in out.iterdir():
            f.unlink()
    wasm_tools = _tool("wasm-tools")
    if wasm_tools:
        proc = subprocess.run([wasm_tools, "json-from-wast", str(wast), "-o", str(target),
                               "--wasm-dir", str(out)], capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append(proc.stderr[-500:])
    raise RuntimeError(f"cannot convert {wast.name}: {' | '.join(errors) or 'no converter found'}")


@dataclass
class Outcome:
    """Counts and failures of one script."""

    invalid_ok: int = 0
    valid_ok: int = 0
    failures: list[str] = field(default_factory=list)


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
            result.failures.append(f"{where} {kind}: decoder rejected the module: {exc}")
            continue
        try:
            validate_module(module)
        except InvalidError as exc:
            if kind == "assert_invalid":
                result.invalid_ok += 1
            else:
                result.failures.append(f"{where} {kind}: rejected as invalid: {exc}")
            continue
        except Exception as exc:  # a stray exception is a bug to report, not to hide
            result.failures.append(f"{where} {kind}: {type(exc).__name__}: {exc}")
            continue
        if kind == "assert_invalid":
            result.failures.append(f"{where} assert_invalid accepted (expected {cmd['text']!r})")
        else:
            result.valid_ok += 1
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
        outcome = check_script(json_path)
        total.invalid_ok += outcome.invalid_ok
        total.valid_ok += outcome.valid_ok
        total.failures.extend(outcome.failures)
    for line in total.failures:
        print(line)
    print(f"invalid rejected: {total.invalid_ok}, valid accepted: {total.valid_ok}, "
          f"failures: {len(total.failures)}")
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
