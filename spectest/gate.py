"""The CI gate: compare a run with the recorded baseline (``conformance.yaml``).

The baseline records, per file, the commands that pass: their keys (the
line, or ``line.N`` for the N-th command on a line). ``--gate`` fails on any
command that passed in the baseline and does not pass now (failed, skipped,
or gone), and lists the improvements (commands that pass now and are not in
the baseline) so they can be recorded. Files absent from the run are not
judged (a run over one proposal gates that proposal only).
``--update-baseline`` rewrites the entries of the files that ran and keeps
the others.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from .report import RunReport

__all__ = ["Baseline", "GateResult", "BaselineError", "load_baseline", "compare",
           "update_baseline", "write_baseline"]

_HEADER = """\
# Conformance baseline, read by `python -m spectest --gate`.
# Per script: the commands that pass, by line (N.k = the k-th command on
# line N). Rewrite with `python -m spectest --update-baseline`, in the same
# commit as the change that moves the numbers.
"""


class BaselineError(Exception):
    """The baseline file cannot be read or belongs to another engine."""


@dataclass
class Baseline:
    """Passing command keys per file, for one engine."""

    engine: Optional[str] = None
    testsuite_commit: Optional[str] = None
    files: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class GateResult:
    """Regressions fail the gate; improvements are listed."""

    regressions: list[tuple[str, str, str]] = field(default_factory=list)  # file, key, now
    improvements: list[tuple[str, str]] = field(default_factory=list)      # file, key

    @property
    def ok(self) -> bool:
        return not self.regressions

    def summary(self, limit: int = 50) -> str:
        """Human-readable lines (regressions first)."""
        lines = []
        if self.regressions:
            lines.append(f"gate: FAILED, {len(self.regressions)} regression(s):")
            for f, key, now in self.regressions[:limit]:
                lines.append(f"  {f}:{key} passed in the baseline, now {now}")
            if len(self.regressions) > limit:
                lines.append(f"  ... and {len(self.regressions) - limit} more")
        else:
            lines.append("gate: passed (no regressions)")
        if self.improvements:
            lines.append(f"gate: {len(self.improvements)} improvement(s) not in the baseline "
                         "(record them with --update-baseline):")
            for f, key in self.improvements[:limit]:
                lines.append(f"  {f}:{key}")
            if len(self.improvements) > limit:
                lines.append(f"  ... and {len(self.improvements) - limit} more")
        return "\n".join(lines)


def _key(item: object) -> str:
    return str(item)


def load_baseline(path: Path) -> Baseline:
    """Read a baseline; a missing file is an empty baseline."""
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
    files = data.get("files") or {}
    if not isinstance(files, dict):
        raise BaselineError(f"baseline {path}: 'files' is not a mapping")
    return Baseline(
        engine=data.get("engine"),
        testsuite_commit=data.get("testsuite"),
        files={str(f): {_key(k) for k in (keys or [])} for f, keys in files.items()},
    )


def compare(baseline: Baseline, report: RunReport) -> GateResult:
    """Regressions and improvements of ``report`` against ``baseline``."""
    if baseline.engine is not None and baseline.engine != report.engine:
        raise BaselineError(f"the baseline records engine {baseline.engine!r}, "
                            f"this run used {report.engine!r}")
    result = GateResult()
    for relpath in sorted(report.files):
        fr = report.files[relpath]
        now: dict[str, str] = {}
        for r in fr.results:
            now[r.key] = r.status if r.status != "failed" else f"failed: {r.message}"
            if r.status == "skipped":
                now[r.key] = f"skipped ({r.message})"
        passing_now = fr.passed_keys()
        before = baseline.files.get(relpath, set())
        for key in sorted(before - passing_now, key=_sort_key):
            result.regressions.append((relpath, key, now.get(key, "absent")[:300]))
        for key in sorted(passing_now - before, key=_sort_key):
            result.improvements.append((relpath, key))
    return result


def _sort_key(key: str) -> tuple[int, int]:
    line, _, n = key.partition(".")
    try:
        return int(line), int(n or 1)
    except ValueError:
        return (0, 0)


def update_baseline(baseline: Baseline, report: RunReport) -> Baseline:
    """The baseline with the files of ``report`` replaced by what passes now."""
    files = dict(baseline.files)
    for relpath, fr in report.files.items():
        keys = fr.passed_keys()
        if keys:
            files[relpath] = keys
        else:
            files.pop(relpath, None)
    return Baseline(report.engine, report.testsuite_commit or baseline.testsuite_commit, files)


def _yaml_key(key: str) -> object:
    return int(key) if key.isdigit() else key


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Write the baseline (atomically: a crash never leaves half a file)."""
    body = {
        "engine": baseline.engine,
        "testsuite": baseline.testsuite_commit,
        "files": {f: [_yaml_key(k) for k in sorted(keys, key=_sort_key)]
                  for f, keys in sorted(baseline.files.items())},
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = _HEADER + yaml.dump(body, Dumper=dumper, sort_keys=False, default_flow_style=None,
                               width=100)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".baseline-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
