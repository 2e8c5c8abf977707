"""``python -m bench --callgrind``: instructions per call instead of
seconds, counted by valgrind's callgrind.

On a shared, noisy machine times wander by tens of percent; instruction
counts do not, so they show what an optimisation of the translator
changes (two runs of one checkout count exactly the same; the same code
exported into another folder differs by about 0.1%). Each engine (ours,
and each of ``--against``) runs in the child process of
:mod:`bench.checkout_driver` under ``valgrind --tool=callgrind``, with
``PYTHONHASHSEED=0``: it loads the kernel, then calls ``run`` twice, each
call bracketed by markers (calls of ``getppid``) at which callgrind cuts
its count. The first call includes translating the functions it reaches;
the second is the warm call, the figure to compare. Results are checked
like the timed runs'. Under valgrind a call is some 50 times slower than
normal: ``--quick`` workloads suit it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .checkout import DRIVER, decode_value
from .errors import BenchError
from .kernels import Kernel
from .values import canonical, show

_TOTALS = re.compile(r"^(?:totals|summary):\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Count:
    """Instructions of one engine on one kernel."""

    first: int
    warm: int


def valgrind() -> str:
    """The valgrind executable (BenchError if there is none)."""
    found = shutil.which("valgrind")
    if found is None:
        raise BenchError("--callgrind needs valgrind (Debian package valgrind)")
    return found


def _part(path: Path) -> int:
    match = _TOTALS.search(path.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        raise BenchError(f"callgrind wrote no total into {path.name}")
    return int(match.group(1))


def count(checkout: Path, kernel: Kernel, wasm: bytes, args: tuple,
          reference: int | None) -> Count:
    """Instructions of the first and the second call of ``run`` by the
    engine in ``checkout`` (a folder holding an ``engine`` package); both
    results must equal ``reference`` (when given)."""
    requests = [{"op": "load", "wasm": base64.b64encode(wasm).decode(), "args": list(args)},
                {"op": "call", "marked": True}, {"op": "call", "marked": True}, {"op": "quit"}]
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        done = subprocess.run(
            [valgrind(), "--tool=callgrind", "--dump-before=getppid",
             f"--callgrind-out-file={out}", sys.executable, str(DRIVER), str(checkout)],
            input="".join(json.dumps(r) + "\n" for r in requests), capture_output=True,
            text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        failed = [a for a in answers if "error" in a or "unavailable" in a]
        if done.returncode != 0 or len(answers) != 4 or failed:
            detail = (failed[0].get("error") or failed[0].get("unavailable")) if failed else (
                done.stderr.strip().splitlines()[-1:] or ["no output"])[0]
            raise BenchError(f"--callgrind: {kernel.name} failed: {detail}")
        for answer in answers[2:]:
            bits = canonical(decode_value(answer["value"]), kernel.result)
            if reference is not None and bits != reference:
                raise BenchError(f"--callgrind: {kernel.name} returned {show(bits, kernel.result)}, "
                                 f"expected {show(reference, kernel.result)}")
        # part 1: start-up and loading; 2: the first call; 3: between the
        # calls; 4: the second call; the rest is in the file without a number
        parts = {int(p.suffix[1:]): _part(p) for p in Path(folder).glob("callgrind.out.*")}
        if not {2, 4} <= set(parts):
            raise BenchError("--callgrind: callgrind did not cut the run at the markers")
        return Count(first=parts[2], warm=parts[4])


def reference_for(kernel: Kernel, args: tuple) -> int | None:
    """The result the counted calls must return: recorded, else the twin's."""
    known = kernel.expected_for(args)
    if known is not None or kernel.twin is None:
        return known
    return canonical(kernel.twin(*args), kernel.result)


def table(rows: list[tuple[str, dict[str, Count]]], labels: dict[str, str]) -> str:
    """kernel | per engine: first call, warm call | each other engine's warm
    count over ours."""
    keys = list(labels)
    head = ["kernel"]
    for key in keys:
        head += [f"{labels[key]} 1st call", f"{labels[key]} warm call"]
    others = [k for k in keys if k != "engine"]
    head += [f"{labels[k]}/{labels['engine']}" for k in others]
    body = []
    for name, counts in rows:
        row = [name]
        for key in keys:
            row += [f"{counts[key].first:,}", f"{counts[key].warm:,}"]
        row += [f"{counts[k].warm / counts['engine'].warm:.3f}x" for k in others]
        body.append(row)
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    lines = ["  ".join([head[0].ljust(widths[0])] + [h.rjust(w) for h, w in zip(head[1:], widths[1:])])]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join([row[0].ljust(widths[0])]
                               + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
    return "\n".join(lines)
