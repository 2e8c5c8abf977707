"""Whole-testsuite check of the text parser (slow: ``pytest -m suite``, or
run this file directly for a summary).

For every ``.wast`` script, the script is split into commands with
:func:`engine.text.script.split_script`, and converted with ``wasm-tools
json-from-wast`` (wabt's ``wast2json`` for the scripts wasm-tools cannot
read: the legacy exception-handling ones). Then:

* every text module the script expects to be well-formed (``module``,
  ``module definition``, the modules of ``assert_invalid``,
  ``assert_unlinkable``, ``assert_uninstantiable``, ``assert_trap``, ...)
  must parse, and where the converter wrote a binary for it, both binaries
  must decode to the same :class:`engine.syntax.Module` (custom sections
  aside; an empty ``else`` just before ``end`` counts as absent, since that
  is an encoding choice: wabt leaves it out);
* every text module of ``assert_malformed`` (and ``assert_malformed_custom``)
  must raise MalformedError;
* the text modules of ``assert_invalid`` must also fail validation (with
  the features the harness gives the script's proposal);
* the parser's binary encoder (:func:`engine.text.encode.encode_module`)
  must round-trip every binary module of the converted script that decodes.

Binary modules (``module binary``) are not the parser's subject and are
only counted. The known deviations are listed below with their reasons;
anything else fails the test. The suite is found as ``--testsuite DIR``,
else ``$WASM_TESTSUITE``, else the repository's ``testsuite`` submodule.

Usage: ``python tests/test_text_suite.py [--testsuite DIR] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.binary import decode_module  # noqa: E402
from engine.errors import MalformedError, WasmError  # noqa: E402
from engine.syntax import Op  # noqa: E402
from engine.text import parse_module  # noqa: E402
from engine.text.encode import encode_module  # noqa: E402
from engine.text.script import split_script  # noqa: E402
from engine.valid import validate_module  # noqa: E402
from watutil import tool  # noqa: E402

_TYPE_REUSE = ("implicit type use: wasm-tools does not reuse a function type written as an "
               "explicit (rec ...) group of one; the spec's rule does")
_NON_FINAL = ("implicit type use: wasm-tools reuses a non-final (sub (func ...)) type; the "
              "spec's rule requires a final one")

#: (script, line of the module) -> why our module differs from the converter's.
KNOWN_DIFFERENCES = {
    ("type-rec.wast", 45): _TYPE_REUSE,
    ("type-rec.wast", 185): _TYPE_REUSE,
    ("type-rec.wast", 197): _TYPE_REUSE,
    ("type-subtyping.wast", 344): _NON_FINAL,
    ("type-subtyping.wast", 373): _NON_FINAL,
    ("proposals/custom-descriptors/exact-casts.wast", 428): _NON_FINAL,
}

_NAME_ANNOTATIONS = "@name annotations are white space to this parser (only @custom is read)"
_U64_LIMITS = ("the threads scripts predate memory64: limits are u64 literals in the text "
               "format now (memory.wast asserts the same modules invalid, not malformed)")

#: (script, line) -> why a module the script calls malformed parses.
KNOWN_ACCEPTED = {
    ("custom/name_annot.wast", 8): _NAME_ANNOTATIONS,
    ("custom/name_annot.wast", 13): _NAME_ANNOTATIONS,
    ("custom/name_annot.wast", 18): _NAME_ANNOTATIONS,
    ("proposals/threads/memory.wast", 84): _U64_LIMITS,
    ("proposals/threads/memory.wast", 88): _U64_LIMITS,
    ("proposals/threads/memory.wast", 92): _U64_LIMITS,
}

MALFORMED = {"assert_malformed", "assert_malformed_custom"}


def suite_dir(explicit: Optional[str] = None) -> Optional[Path]:
    """The testsuite directory, or None when there is none."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get("WASM_TESTSUITE"):
        path = Path(os.environ["WASM_TESTSUITE"])
    else:
        path = ROOT / "testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def convert(wast: Path, out: Path) -> Optional[Path]:
    """The JSON of one script converted into ``out`` (wasm-tools, else
    wast2json), or None when neither tool manages."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "x.json"
    if target.exists():
        return target
    wasm_tools, wast2json = tool("wasm-tools"), tool("wast2json")
    if wasm_tools:
        proc = subprocess.run([wasm_tools, "json-from-wast", str(wast), "-o", str(target),
                               "--wasm-dir", str(out)], capture_output=True)
        if proc.returncode == 0:
            return target
    if wast2json:
        proc = subprocess.run([wast2json, str(wast), "-o", str(target)], capture_output=True)
        if proc.returncode == 0:
            return target
    return None


def _features(relpath: str):
    """The proposals enabled for the script (None: all of them)."""
    try:
        from engine.binary.proposals import PROPOSALS
        from spectest.proposals import disabled_features, proposal_of
    except ImportError:  # pragma: no cover - spectest needs pyyaml
        return None
    disabled = disabled_features(proposal_of(relpath))
    return frozenset(PROPOSALS) - disabled if disabled else None


def _normalised(binary: bytes):
    """The decoded module without custom sections, an ``else`` right before
    ``end`` dropped."""
    module = decode_module(binary)
    module.customs = []
    funcs = []
    for f in module.funcs:
        body = f.body
        if any(ins[0] == Op.ELSE for ins in body):
            kept = [ins for i, ins in enumerate(body)
                    if not (ins[0] == Op.ELSE and body[i + 1][0] == Op.END)]
            f = type(f)(f.typeidx, f.locals, tuple(kept))
        funcs.append(f)
    module.funcs = funcs
    return module


@dataclass
class Outcome:
    """Counts and problems of one or more scripts."""

    counts: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        self.counts.update(other.counts)
        self.failures.extend(other.failures)
        self.known.extend(other.known)


def check_script(suite: Path, wast: Path, out: Path) -> Outcome:
    """Check every module of one script."""
    outcome = Outcome()
    rel = wast.relative_to(suite).as_posix()
    json_path = convert(wast, out)
    by_line: dict[int, dict] = {}
    if json_path is None:
        outcome.counts["scripts without a converter"] += 1
    else:
        for cmd in json.loads(json_path.read_text())["commands"]:
            by_line.setdefault(cmd["line"], cmd)
    if json_path is not None:
        _check_round_trips(json_path, rel, outcome)
    features = _features(rel)
    try:
        commands = split_script(wast.read_text(encoding="utf-8"))
    except (MalformedError, ValueError) as exc:
        outcome.failures.append(f"{rel}: cannot split the script: {exc}")
        return outcome
    for cmd in commands:
        module = cmd.module
        if module is None:
            continue
        if module.form == "binary":
            outcome.counts["binary modules (not text)"] += 1
            continue
        where = f"{rel}:{module.line}"
        key = (rel, module.line)
        try:
            binary = parse_module(module.source)
            error = None
        except MalformedError as exc:
            binary, error = None, exc
        except Exception as exc:  # noqa: BLE001 - the point is that none escapes
            outcome.failures.append(f"{where}: {type(exc).__name__} escaped: {exc}")
            continue
        if cmd.kind in MALFORMED:
            if error is not None:
                outcome.counts["malformed: rejected"] += 1
            elif key in KNOWN_ACCEPTED:
                outcome.counts["malformed: accepted (known)"] += 1
                outcome.known.append(f"{where}: accepted: {KNOWN_ACCEPTED[key]}")
            else:
                outcome.failures.append(f"{where}: malformed module accepted")
            continue
        if error is not None:
            outcome.failures.append(f"{where}: {cmd.kind}: rejected: {error}")
            continue
        outcome.counts["well-formed: parsed"] += 1
        try:
            mine = _normalised(binary)
        except WasmError as exc:
            outcome.failures.append(f"{where}: our binary does not decode: {exc}")
            continue
        reference = by_line.get(module.line, {}).get("filename")
        if reference and reference.endswith(".wasm"):
            theirs = _normalised((json_path.parent / reference).read_bytes())
            if mine == theirs:
                outcome.counts["well-formed: same module as the converter's"] += 1
            elif key in KNOWN_DIFFERENCES:
                outcome.counts["well-formed: differs (known)"] += 1
                outcome.known.append(f"{where}: differs: {KNOWN_DIFFERENCES[key]}")
            else:
                fields = [name for name in mine.__dataclass_fields__
                          if getattr(mine, name) != getattr(theirs, name)]
                outcome.failures.append(f"{where}: differs from the converter's module in {fields}")
        else:
            outcome.counts["well-formed: no converter binary to compare"] += 1
        if cmd.kind == "assert_invalid":
            try:
                validate_module(mine, features) if features is not None else validate_module(mine)
            except WasmError:
                outcome.counts["invalid: fails validation"] += 1
            else:
                outcome.failures.append(f"{where}: assert_invalid module validates")
    return outcome


def _check_round_trips(json_path: Path, rel: str, outcome: Outcome) -> None:
    """Decode, encode and decode again every converted binary that decodes."""
    for cmd in json.loads(json_path.read_text())["commands"]:
        name = cmd.get("filename")
        if not name or not name.endswith(".wasm") or cmd["type"] == "assert_malformed":
            continue
        try:
            module = decode_module((json_path.parent / name).read_bytes())
        except WasmError:
            continue
        module.customs = []
        try:
            again = decode_module(encode_module(module))
        except Exception as exc:  # noqa: BLE001
            outcome.failures.append(f"{rel}:{cmd['line']}: re-encoding fails: {exc!r}")
            continue
        if again == module:
            outcome.counts["encoder: binary modules round-tripped"] += 1
        else:
            outcome.failures.append(f"{rel}:{cmd['line']}: re-encoded module differs")


def run_suite(suite: Path, cache: Path, jobs: int = 2) -> Outcome:
    """Check every script of the suite (conversions ``jobs`` at a time)."""
    scripts = sorted(suite.rglob("*.wast"))
    total = Outcome()

    def one(wast: Path) -> Outcome:
        label = wast.relative_to(suite).as_posix().replace("/", "__")
        return check_script(suite, wast, cache / label)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(one, scripts):
            total.add(outcome)
    total.counts["scripts"] = len(scripts)
    return total


@pytest.mark.suite
def test_whole_suite_text_modules(tmp_path_factory):
    suite = suite_dir()
    if suite is None:
        pytest.skip("no testsuite: set WASM_TESTSUITE or check out the submodule")
    if tool("wasm-tools") is None:
        pytest.skip("wasm-tools (a test extra) is not installed")
    outcome = run_suite(suite, tmp_path_factory.mktemp("text-suite"))
    assert not outcome.failures, "\n".join(outcome.failures[:50])
    assert outcome.counts["well-formed: same module as the converter's"] > 0
    assert outcome.counts["malformed: rejected"] > 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testsuite", help="the testsuite directory")
    parser.add_argument("--cache", help="keep converted scripts here between runs")
    parser.add_argument("--known", action="store_true", help="also list the known deviations")
    args = parser.parse_args(argv)
    suite = suite_dir(args.testsuite)
    if suite is None:
        print("no testsuite: pass --testsuite, set WASM_TESTSUITE or check out the submodule")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache) if args.cache else Path(tmp)
        outcome = run_suite(suite, cache)
    for name, n in sorted(outcome.counts.items()):
        print(f"{n:7d}  {name}")
    if args.known:
        for line in outcome.known:
            print("known:", line)
    for line in outcome.failures:
        print("FAIL:", line)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(main())
