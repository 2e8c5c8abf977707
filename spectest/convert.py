"""Converting ``.wast`` scripts to JSON + module files, with a cache.

Order of attempts for one script:

1. ``wast2json`` with the features of every proposal the suite tests
   (:data:`WABT_FEATURES`).
2. ``wasm-tools json-from-wast``, for the scripts wabt cannot parse (GC
   text syntax, custom descriptors, annotations, some exception-handling and
   type tests).
3. The engine's own text reader (:mod:`spectest.textconvert`, reported as
   ``engine.text``), for scripts neither tool reads (newer syntax).

A tool that succeeds but writes a JSON file that does not parse (wast2json
writes a multi-value ``expected`` without its commas in some commands)
counts as failed, and the next one is tried.

Why this feature list, measured over the whole suite:

* wabt's *default* feature set is not safe: it parses typed references
  such as ``(ref $t)`` / ``(ref extern)`` without the function-references
  feature but encodes them wrongly (as nullable or unrelated types), so
  e.g. ``func.wast`` and ``local_init.wast`` would silently test other modules;
* ``--enable-all`` is not safe either: it also turns on the compact-imports
  encoding, which rewrites every import section into a form outside the
  specification;
* with :data:`WABT_FEATURES`, every module both tools convert decodes to the
  same module (compared after stripping names), up to encoding choices
  (element segments as expressions, block types by index, explicit empty
  ``else``, an explicit 64 KiB page size). One known wabt quirk remains: an
  alignment exponent too large for 32 bits is truncated (``align.wast``),
  which changes the *reason* a module is invalid, not the outcome.
* wabt leaves out the data count section of a module without data segments
  whose code uses ``memory.init`` or ``data.drop``, which makes a module the
  script means as invalid malformed as encoded (``memory_init.wast``,
  ``memory_init64.wast``); such scripts are converted by wasm-tools.

The result is cached under a key made of the script's content hash and both
tools' versions, in a directory published by one atomic rename, so parallel
workers (pytest-xdist) and parallel runs never see half-written entries. A
cache hit reads two small files and starts no subprocess: tool versions are
remembered per tool binary (path, size, mtime) in ``tools.json``.

A script neither tool can convert is cached as a failure with both tools'
messages (unless a tool was missing, which is an environment problem and is
retried next time).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

__all__ = ["Converted", "Converter", "Tool", "WABT_FEATURES", "default_cache_dir",
           "FORMAT_VERSION"]

#: Bumped whenever the layout or the attempt order changes (invalidates caches).
FORMAT_VERSION = "spectest-convert-5"

#: wast2json flags: every feature the suite's proposals need that wabt does
#: wast2json's switches for proposals a script's proposal runs without
#: (spectest/features.yaml); on by default in wabt
_WABT_DISABLE = {
    "reference-types": "--disable-reference-types",
    "multi-memory": "--disable-multi-memory",
    "bulk-memory-operations": "--disable-bulk-memory",
    "multi-value": "--disable-multi-value",
    "simd": "--disable-simd",
    "relaxed-simd": "--disable-relaxed-simd",
    "tail-call": "--disable-tail-call",
    "memory64": "--disable-memory64",
    "extended-const": "--disable-extended-const",
    "exception-handling": "--disable-exceptions",
}


def _WABT_ENABLES_OF(disabled: frozenset[str]) -> set[str]:  # noqa: N802
    """The --enable flags of WABT_FEATURES that a disabled proposal removes
    (typed references and GC build on reference types)."""
    out = set()
    if "reference-types" in disabled or "function-references" in disabled:
        out |= {"--enable-function-references", "--enable-gc"}
    if "gc" in disabled:
        out.add("--enable-gc")
    if "threads" in disabled:
        out.add("--enable-threads")
    return out


#: not enable by default (not compact imports; see the module docstring).
WABT_FEATURES = (
    "--enable-threads", "--enable-function-references", "--enable-gc",
    "--enable-custom-page-sizes", "--enable-wide-arithmetic", "--enable-code-metadata",
)

_TIMEOUT = 300


def default_cache_dir() -> Path:
    """``$SPECTEST_CACHE`` if set, else ``.spectest-cache`` in the working directory."""
    env = os.environ.get("SPECTEST_CACHE")
    return Path(env) if env else Path.cwd() / ".spectest-cache"


@dataclass(frozen=True, slots=True)
class Converted:
    """The outcome of converting one script."""

    json_path: Optional[Path]
    converter: Optional[str]      #: "wast2json" | "wasm-tools" | "engine.text" | None (failed)
    error: Optional[str] = None   #: why conversion failed (json_path is None)


class Tool:
    """A converter executable, found next to the running Python (a virtualenv's
    ``bin``) or on ``PATH``."""

    def __init__(self, name: str, executable: Optional[str] = None):
        self.name = name
        self._executable = executable

    @property
    def path(self) -> Optional[str]:
        """Absolute path of the executable, or None if it is not installed."""
        if self._executable is None:
            here = str(Path(sys.executable).parent)
            self._executable = (shutil.which(self.name, path=here)
                                or shutil.which(self.name) or "")
        return self._executable or None

    def identity(self) -> Optional[str]:
        """Path, size and mtime: changes whenever the binary is replaced."""
        path = self.path
        if path is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        return f"{path}|{st.st_size}|{st.st_mtime_ns}"

    def query_version(self) -> str:
        """Run ``--version`` (only on a cache miss of the version memo)."""
        assert self.path is not None
        proc = subprocess.run([self.path, "--version"], capture_output=True, text=True,
                              timeout=60)
        return (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr) else "unknown"


def _sections(data: bytes) -> Optional[dict[int, tuple[int, int]]]:
    """Section id -> (payload offset, size) of a binary module, or None if it
    does not even split into sections (then it is left to the engine)."""
    if data[:4] != b"\0asm":
        return None
    out: dict[int, tuple[int, int]] = {}
    pos = 8
    while pos < len(data):
        sid = data[pos]
        pos += 1
        size = shift = 0
        while True:
            if pos >= len(data) or shift > 35:
                return None
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.setdefault(sid, (pos, size))
        pos += size
    return out


def _wabt_drops_data_count(json_path: Path) -> Optional[str]:
    """wast2json leaves out the data count section of a module that has no
    data segments even when its code uses ``memory.init`` / ``data.drop``:
    a malformed encoding of a text module the script means as merely invalid
    (``memory_init.wast``). Such a script is converted by wasm-tools instead.
    The check looks for the two opcodes' bytes in the code section; a false
    positive only means the other (equally faithful) converter is used."""
    try:
        commands = json.loads(json_path.read_text())["commands"]
    except (OSError, ValueError, KeyError):
        return None
    for cmd in commands:
        filename = cmd.get("filename", "")
        if cmd.get("type") == "assert_malformed" or not filename.endswith(".wasm"):
            continue
        try:
            data = (json_path.parent / filename).read_bytes()
        except OSError:
            continue
        sections = _sections(data)
        if not sections or 12 in sections or 10 not in sections:
            continue
        start, size = sections[10]
        code = data[start:start + size]
        if b"\xfc\x08" in code or b"\xfc\x09" in code:
            return (f"encodes line {cmd.get('line')} without the data count section its "
                    "memory.init/data.drop needs")
    return None


#: converter -> check that its output is a faithful encoding of the script
#: (returns why not, or None)
_UNFAITHFUL = {"wast2json": _wabt_drops_data_count}


def _unparsable(json_path: Path) -> Optional[str]:
    """Why a converter's JSON output cannot be read, or None if it can."""
    try:
        json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"wrote a JSON file that does not parse ({exc})"
    return None


def _first_error_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("-->", "|", "^")):
            return line[:300]
    return "failed without a message"


class Converter:
    """Converts scripts through the cache (see the module docstring)."""

    def __init__(self, cache_dir: Optional[Path] = None,
                 wast2json: Optional[Tool] = None, wasm_tools: Optional[Tool] = None):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.wast2json = wast2json or Tool("wast2json")
        self.wasm_tools = wasm_tools or Tool("wasm-tools")
        self._versions: Optional[dict[str, str]] = None

    # -- tool versions ------------------------------------------------------

    def _memo_path(self) -> Path:
        return self.cache_dir / "tools.json"

    def _load_memo(self) -> dict[str, str]:
        if self._versions is None:
            try:
                self._versions = json.loads(self._memo_path().read_text())
                if not isinstance(self._versions, dict):
                    self._versions = {}
            except (OSError, ValueError):
                self._versions = {}
        return self._versions

    def tool_version(self, tool: Tool) -> str:
        """The tool's version ("missing" if not installed), memoised per binary."""
        ident = tool.identity()
        if ident is None:
            return "missing"
        memo = self._load_memo()
        if ident not in memo:
            try:
                memo[ident] = tool.query_version()
            except (OSError, subprocess.SubprocessError) as exc:
                return f"unusable ({exc})"
            self._atomic_write(self._memo_path(), json.dumps(memo, indent=1, sort_keys=True))
        return memo[ident]

    # -- cache ----------------------------------------------------------------

    def _atomic_write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)

    def cache_key(self, content: bytes, disabled: frozenset[str] = frozenset()) -> str:
        """The cache key of a script with this content under the current tools
        (and the features its proposal runs without)."""
        h = hashlib.sha256()
        parts = [FORMAT_VERSION.encode(), self.tool_version(self.wast2json).encode(),
                 self.tool_version(self.wasm_tools).encode(), content]
        if disabled:
            parts.append(",".join(sorted(disabled)).encode())
        for part in parts:
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
        return h.hexdigest()

    def entry_dir(self, key: str) -> Path:
        """Where the cache entry of ``key`` lives."""
        return self.cache_dir / "convert" / key[:2] / key

    @staticmethod
    def _read_entry(entry: Path) -> Optional[Converted]:
        try:
            meta = json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if meta.get("converter"):
            return Converted(entry / "script.json", meta["converter"])
        return Converted(None, None, meta.get("error") or "conversion failed")

    # -- conversion -------------------------------------------------------------

    def convert(self, wast: Path, disabled: frozenset[str] = frozenset()) -> Converted:
        """Convert one script (or fetch it from the cache). ``disabled``
        features are switched off in wast2json too, so that modules are
        encoded as the base the script was written for encodes them."""
        try:
            content = Path(wast).read_bytes()
        except OSError as exc:
            return Converted(None, None, f"cannot read script: {exc.strerror or exc}")
        key = self.cache_key(content, disabled)
        entry = self.entry_dir(key)
        hit = self._read_entry(entry)
        if hit is not None:
            return hit
        return self._convert_fresh(content, Path(wast).name, entry, disabled)

    def _run(self, argv: Sequence[str]) -> tuple[bool, str]:
        try:
            proc = subprocess.run(list(argv), capture_output=True, text=True,
                                  timeout=_TIMEOUT, errors="replace")
        except subprocess.TimeoutExpired:
            return False, f"timed out after {_TIMEOUT} s"
        except OSError as exc:
            return False, f"cannot run: {exc}"
        return proc.returncode == 0, (proc.stderr or proc.stdout or "")

    def _attempts(self, src: Path, out: Path, disabled: frozenset[str] = frozenset()
                  ) -> list[tuple[str, Optional[list[str]]]]:
        """(converter name, argv or None if the tool is missing), in order."""
        json_out = str(out / "script.json")
        attempts: list[tuple[str, Optional[list[str]]]] = []
        w = self.wast2json.path
        flags = [f for f in WABT_FEATURES if f not in _WABT_ENABLES_OF(disabled)]
        flags += [_WABT_DISABLE[name] for name in sorted(disabled) if name in _WABT_DISABLE]
        attempts.append(("wast2json", [w, *flags, str(src), "-o", json_out] if w else None))
        t = self.wasm_tools.path
        attempts.append(("wasm-tools", [t, "json-from-wast", str(src), "-o", json_out,
                                        "--wasm-dir", str(out)] if t else None))
        return attempts

    @staticmethod
    def _text_convert(src: Path, out: Path, name: str, errors: dict[str, str]) -> Optional[str]:
        """The third attempt: the engine's text reader; its name, or None."""
        from .textconvert import CONVERTER_NAME, TextConvertError, convert_text

        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        try:
            convert_text(src, out, name)
        except TextConvertError as exc:
            errors[CONVERTER_NAME] = str(exc)[:300]
            return None
        return CONVERTER_NAME

    def _convert_fresh(self, content: bytes, name: str, entry: Path,
                       disabled: frozenset[str] = frozenset()) -> Converted:
        staging_root = self.cache_dir / "convert"
        staging_root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=staging_root, prefix=".work-"))
        try:
            src = work / "input.wast"
            src.write_bytes(content)
            out = work / "entry"
            errors: dict[str, str] = {}
            missing = False
            converter = None
            for tool_name, argv in self._attempts(src, out, disabled):
                if argv is None:
                    errors.setdefault(tool_name, f"{tool_name} not found (install the project's 'test' extra)")
                    missing = True
                    continue
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir()
                ok, message = self._run(argv)
                if ok and (out / "script.json").exists():
                    broken = _unparsable(out / "script.json")
                    if broken is not None:
                        ok, message = False, broken
                if ok and (out / "script.json").exists():
                    unfaithful = _UNFAITHFUL.get(tool_name, lambda _: None)(out / "script.json")
                    if unfaithful is None:
                        converter = tool_name
                        break
                    message = unfaithful
                errors[tool_name] = _first_error_line(message).replace(str(src), name)
            if converter is None and not missing:
                converter = self._text_convert(src, out, name, errors)
            if converter is None:
                error = "; ".join(f"{k}: {v}" for k, v in errors.items()) or "no converter available"
                if missing:
                    return Converted(None, None, f"cannot convert {name}: {error}")
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir()
                meta = {"converter": None, "error": f"cannot convert {name}: {error}"}
            else:
                meta = {"converter": converter, "source": name}
            (out / "meta.json").write_text(json.dumps(meta))
            entry.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(out, entry)
            except OSError:
                # another process published the same entry first: use theirs
                if not (entry / "meta.json").exists():
                    raise
            result = self._read_entry(entry)
            assert result is not None
            return result
        finally:
            shutil.rmtree(work, ignore_errors=True)
