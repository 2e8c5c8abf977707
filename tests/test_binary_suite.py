"""Whole-testsuite decoding check (slow: ``pytest -m suite``, or run this
file directly for a summary and the list of failures).

Every binary module of an ``assert_malformed`` command must raise
MalformedError; every other binary module (``module``, ``module_definition``,
``assert_invalid``, ``assert_unlinkable``, ``assert_uninstantiable``, the
module forms of ``assert_trap``/``assert_exhaustion``) must decode.
Text-format modules are out of scope and skipped. The suite is found as
``--testsuite DIR``, else ``$WASM_TESTSUITE``, else the repository's
``testsuite`` submodule.

One known encoding difference is allowed for: wast2json leaves out the
data count section of a module that has no data segments even when its code
names one (``memory.init``/``data.drop``), which the binary format makes
malformed. Such a module, when the script expects it to decode, is decoded
again from wasm-tools' encoding of the same script and reported on its own
line ("ENCODING").

Usage: ``python tests/test_binary_suite.py [--testsuite DIR] [--cache DIR]
[--messages]``; ``--cache`` keeps the converted scripts between runs,
``--messages`` also lists malformed modules rejected with another message
than the script expects (informative: the spec compares only the class).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.binary import decode_module  # noqa: E402
from engine.binary.messages import DATA_COUNT_REQUIRED  # noqa: E402
from engine.errors import MalformedError  # noqa: E402
from watutil import tool  # noqa: E402

MUST_DECODE = {
    "module", "module_definition", "assert_invalid", "assert_unlinkable",
    "assert_uninstantiable", "assert_trap", "assert_exhaustion",
}


def suite_dir(explicit: str | None = None) -> Path | None:
    """The testsuite directory, or None when there is none."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get("WASM_TESTSUITE"):
        path = Path(os.environ["WASM_TESTSUITE"])
    else:
        path = ROOT / "testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def convert(wast: Path, out: Path, wabt: bool = True) -> Path:
    """Convert one script into ``out`` (wast2json, else wasm-tools; only
    wasm-tools when ``wabt`` is False); return the JSON file. Raises
    RuntimeError when no tool manages."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "x.json"
    if target.exists():
        return target
    errors = []
    wast2json = tool("wast2json") if wabt else None
    if wast2json:
        proc = subprocess.run([wast2json, "--enable-all", str(wast), "-o", str(target)],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append("wast2json: " + proc.stderr.strip()[-300:])
        for leftover in out.iterdir():
            leftover.unlink()
    wasm_tools = tool("wasm-tools")
    if wasm_tools:
        proc = subprocess.run([wasm_tools, "json-from-wast", str(wast), "-o", str(target),
                               "--wasm-dir", str(out)], capture_output=True, text=True)
        if proc.returncode == 0:
            return target
        errors.append("wasm-tools: " + proc.stderr.strip()[-300:])
    raise RuntimeError(" | ".join(errors) or "no converter found")


@dataclass
class Outcome:
    """What one script gave."""

    rejected: int = 0   # assert_malformed binaries rejected as malformed
    accepted: int = 0   # other binaries decoded
    skipped_text: int = 0
    failures: list[str] = field(default_factory=list)
    other_messages: list[str] = field(default_factory=list)
    #: binaries accepted only in wasm-tools' encoding (see ``recheck``)
    artifacts: list[str] = field(default_factory=list)
    #: (line, description) of commands to decode again in wasm-tools' encoding
    recheck: list[tuple[int, str]] = field(default_factory=list)


def check_script(json_path: Path, label: str) -> Outcome:
    """Decode every binary module of one converted script."""
    outcome = Outcome()
    commands = json.loads(json_path.read_text())["commands"]
    for cmd in commands:
        kind = cmd["type"]
        filename = cmd.get("filename")
        if not filename or (kind != "assert_malformed" and kind not in MUST_DECODE):
            continue
        if cmd.get("module_type", "binary") != "binary" or not filename.endswith(".wasm"):
            outcome.skipped_text += 1
            continue
        where = f"{label}:{cmd['line']} {kind}"
        data = (json_path.parent / filename).read_bytes()
        try:
            decode_module(data)
            error = None
        except MalformedError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - any other class is the failure we look for
            outcome.failures.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        if kind == "assert_malformed":
            if error is None:
                outcome.failures.append(f"{where}: decoded, expected malformed ({cmd.get('text')})")
            else:
                outcome.rejected += 1
                expected = cmd.get("text", "")
                if not str(error).startswith(expected):
                    outcome.other_messages.append(f"{where}: expected {expected!r}, got {str(error)!r}")
        elif error is None:
            outcome.accepted += 1
        elif str(error) == DATA_COUNT_REQUIRED:
            # wast2json leaves out the data count section of a module without
            # data segments even when its code names one: malformed as
            # encoded. The script's expectation is about the module, so the
            # module is decoded again as wasm-tools encodes it.
            outcome.recheck.append((cmd["line"], f"{where}: MalformedError {error}"))
        else:
            outcome.failures.append(f"{where}: MalformedError {error}")
    return outcome


def recheck_with_wasm_tools(wast: Path, out: Path, outcome: Outcome) -> None:
    """Decode the commands of ``outcome.recheck`` from wasm-tools' encoding
    of the same script; those that decode there are encoding artifacts."""
    try:
        json_path = convert(wast, out, wabt=False)
    except RuntimeError as exc:
        outcome.failures += [f"{where} (no wasm-tools encoding: {exc})" for _, where in outcome.recheck]
        return
    by_line = {cmd["line"]: cmd for cmd in json.loads(json_path.read_text())["commands"]}
    for line, where in outcome.recheck:
        cmd = by_line.get(line)
        if cmd is None or not cmd.get("filename", "").endswith(".wasm"):
            outcome.failures.append(f"{where} (no wasm-tools binary to compare)")
            continue
        try:
            decode_module((json_path.parent / cmd["filename"]).read_bytes())
        except MalformedError as exc:
            outcome.failures.append(f"{where} (wasm-tools' encoding too: {exc})")
            continue
        outcome.accepted += 1
        outcome.artifacts.append(f"{where}; wasm-tools' encoding decodes")
    outcome.recheck.clear()


def run_suite(suite: Path, cache: Path, jobs: int = 2) -> tuple[Outcome, int]:
    """Convert and check every script; return the merged outcome and the
    number of scripts."""
    scripts = sorted(suite.rglob("*.wast"))

    def one(wast: Path) -> Outcome:
        label = str(wast.relative_to(suite))
        key = label.replace("/", "__")
        try:
            json_path = convert(wast, cache / key)
        except RuntimeError as exc:
            return Outcome(failures=[f"{label}: conversion failed: {exc}"])
        outcome = check_script(json_path, label)
        if outcome.recheck:
            recheck_with_wasm_tools(wast, cache / (key + ".wasm-tools"), outcome)
        return outcome

    total = Outcome()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(one, scripts):
            total.rejected += result.rejected
            total.accepted += result.accepted
            total.skipped_text += result.skipped_text
            total.failures += result.failures
            total.other_messages += result.other_messages
            total.artifacts += result.artifacts
    return total, len(scripts)


@pytest.mark.suite
def test_whole_suite_decodes(tmp_path_factory):
    suite = suite_dir()
    if suite is None:
        pytest.skip("no testsuite: set WASM_TESTSUITE or check out the submodule")
    outcome, _ = run_suite(suite, tmp_path_factory.mktemp("suite"))
    assert outcome.failures == []
    assert outcome.rejected > 0 and outcome.accepted > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testsuite", help="the testsuite directory")
    parser.add_argument("--cache", help="keep converted scripts in this directory")
    parser.add_argument("--messages", action="store_true",
                        help="list rejections whose message differs from the script's")
    args = parser.parse_args(argv)
    suite = suite_dir(args.testsuite)
    if suite is None:
        print("no testsuite found: pass --testsuite or set WASM_TESTSUITE", file=sys.stderr)
        return 2
    if args.cache:
        outcome, scripts = run_suite(suite, Path(args.cache))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            outcome, scripts = run_suite(suite, Path(tmp))
    print(f"{scripts} scripts: {outcome.rejected} malformed binaries rejected, "
          f"{outcome.accepted} other binaries decoded ({len(outcome.artifacts)} of them only "
          f"as wasm-tools encodes them), {outcome.skipped_text} text modules skipped, "
          f"{len(outcome.failures)} failures")
    for line in outcome.failures:
        print("FAIL", line)
    for line in outcome.artifacts:
        print("ENCODING", line)
    if args.messages:
        for line in outcome.other_messages:
            print("MESSAGE", line)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
