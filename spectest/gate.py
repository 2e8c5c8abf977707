"""The CI gate: compare a run with the recorded baseline (``conformance.yaml``).

The baseline records, per engine and per file, the commands that pass:
their keys (the line, or ``line.N`` for the N-th command on a line)::

    testsuite: <commit>
    engines:
      engine:
        files:
          address.wast: [3, 104, ...]
      wasmtime:
        files: ...

``--gate`` fails on any command that passed in the baseline of the engine
that ran and does not pass now (failed, skipped, or gone), and lists the
improvements (commands that pass now and are not in the baseline) so they
can be recorded. Files absent from the run are not judged (a run over one
proposal gates that proposal only); an engine without a baseline has no
regressions. ``--update-baseline`` rewrites the entries of the files that
ran, for the engines that ran, and keeps everything else.

The first format (one engine: ``engine: NAME`` and ``files:`` at the top)
is still read, as that engine's baseline.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from .report import RunReport, key_order

__all__ = ["Baseline", "GateResult", "BaselineError", "load_baseline", "compare",
           "update_baseline", "write_baseline"]

_HEADER = """\
# Conformance baseline, read by `python -m spectest --gate`.
# Per engine and script: the commands that pass, by line (N.k = the k-th
# command on line N). Rewrite with `python -m spectest --engine NAME
# --update-baseline`, in the same commit as the change that moves the numbers.
"""


class BaselineError(Exception):
    """The baseline file cannot be read."""


@dataclass
class Baseline:
    """Passing command keys per engine and file."""

    testsuite_commit: Optional[str] = None
    engines: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def files(self, engine: str) -> dict[str, set[str]]:
        """The recorded files of one engine (empty when it has none)."""
        return self.engines.get(engine, {})


@dataclass
class GateResult:
    """Regressions fail the gate; improvements are listed."""

    engine: str = ""
    regressions: list[tuple[str, str, str]] = field(default_factory=list)  # file, key, now
    improvements: list[tuple[str, str]] = field(default_factory=list)      # file, key

    @property
    def ok(self) -> bool:
        """No regression."""
        return not self.regressions

    def summary(self, limit: int = 50) -> str:
        """Human-readable lines (regressions first)."""
        who = f"gate ({self.engine})" if self.engine else "gate"
        lines = []
        if self.regressions:
            lines.append(f"{who}: FAILED, {len(self.regressions)} regression(s):")
            for f, key, now in self.regressions[:limit]:
                lines.append(f"  {f}:{key} passed in the baseline, now {now}")
            if len(self.regressions) > limit:
                lines.append(f"  ... and {len(self.regressions) - limit} more")
        else:
            lines.append(f"{who}: passed (no regressions)")
        if self.improvements:
            lines.append(f"{who}: {len(self.improvements)} improvement(s) not in the baseline "
                         "(record them with --update-baseline):")
            for f, key in self.improvements[:limit]:
                lines.append(f"  {f}:{key}")
            if len(self.improvements) > limit:
                lines.append(f"  ... and {len(self.improvements) - limit} more")
        return "\n".join(lines)


def _files(raw: Any, where: str) -> dict[str, set[str]]:
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: 'files' is not a mapping")
    return {str(f): {str(k) for k in (keys or [])} for f, keys in raw.items()}


def load_baseline(path: Path) -> Baseline:
    """Read a baseline (either format); a missing file is an empty baseline."""
    path = Path(path)
    if not path.exists():
        return Baseline()
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"baseline {path} is not a mapping")
    commit = data.get("testsuite")
    if "engines" in data:
        engines = data["engines"] or {}
        if not isinstance(engines, dict):
            raise BaselineError(f"baseline {path}: 'engines' is not a mapping")
        out = {}
        for name, body in engines.items():
            if not isinstance(body, dict):
                raise BaselineError(f"baseline {path}: engine {name!r} is not a mapping")
            out[str(name)] = _files(body.get("files") or {}, f"baseline {path}, engine {name}")
        return Baseline(commit, out)
    # the first format: one engine
    files = _files(data.get("files") or {}, f"baseline {path}")
    engine = data.get("engine") or "engine"
    return Baseline(commit, {str(engine): files} if files or data.get("engine") else {})


def compare(baseline: Baseline, report: RunReport) -> GateResult:
    """Regressions and improvements of ``report`` against the baseline of its engine."""
    recorded = baseline.files(report.engine)
    result = GateResult(report.engine)
    for relpath in sorted(report.files):
        fr = report.files[relpath]
        now: dict[str, str] = {}
        for r in fr.results:
            now[r.key] = r.status if r.status != "failed" else f"failed: {r.message}"
            if r.status == "skipped":
                now[r.key] = f"skipped ({r.message})"
        passing_now = fr.passed_keys()
        before = recorded.get(relpath, set())
        for key in sorted(before - passing_now, key=key_order):
            result.regressions.append((relpath, key, now.get(key, "absent")[:300]))
        for key in sorted(passing_now - before, key=key_order):
            result.improvements.append((relpath, key))
    return result


def update_baseline(baseline: Baseline, report: RunReport) -> Baseline:
    """The baseline with the files of ``report`` replaced, for its engine,
    by what passes now."""
    engines = {name: dict(files) for name, files in baseline.engines.items()}
    files = engines.setdefault(report.engine, {})
    for relpath, fr in report.files.items():
        keys = fr.passed_keys()
        if keys:
            files[relpath] = keys
        else:
            files.pop(relpath, None)
    return Baseline(report.testsuite_commit or baseline.testsuite_commit, engines)


def _yaml_key(key: str) -> object:
    return int(key) if key.isdigit() else key


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Write the baseline in the per-engine format (atomically: a crash
    never leaves half a file)."""
    body = {
        "testsuite": baseline.testsuite_commit,
        "engines": {
            name: {"files": {f: [_yaml_key(k) for k in sorted(keys, key=key_order)]
                             for f, keys in sorted(files.items())}}
            for name, files in baseline.engines.items()
        },
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = _HEADER + yaml.dump(body, Dumper=dumper, sort_keys=False, default_flow_style=None,
                               width=100)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".baseline-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
