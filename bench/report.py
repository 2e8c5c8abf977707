"""Present measurements: the console table, its Markdown twin, the JSON
document, and the list of problems that make the run fail."""

from __future__ import annotations

import math
from typing import Iterable

from spectest.engines import label_of

from .measure import ERROR, NA, OK, WRONG, KernelReport, Outcome
from .runners import KEYS

# the engines' headings come from the one engine registry; the twin is bench's own
_LABELS = {**{key: label_of(key) for key in ("engine", "pywasm", "wasmtime")}, "python": "python"}

#: (heading, numerator key, denominator key) of each ratio column.
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("ours/python", "engine", "python"),
    ("pywasm/ours", "pywasm", "engine"),
    ("ours/wasmtime", "engine", "wasmtime"),
    ("pywasm/python", "pywasm", "python"),
)

_STATUS_CELL = {NA: "n/a", ERROR: "ERROR", WRONG: "WRONG"}


def _seconds(value: float) -> str:
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def _ratio(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def _time_cell(outcome: Outcome | None) -> str:
    if outcome is None:
        return "n/a (disabled)"
    if outcome.status == OK:
        return _seconds(outcome.median)
    cell = _STATUS_CELL[outcome.status]
    if outcome.status == NA:
        # The reason up to its first parenthesis is short enough for a cell.
        cell += f" ({outcome.reason.split(' (')[0]})"
    return cell


def _median(report: KernelReport, key: str) -> float | None:
    outcome = report.outcomes.get(key)
    return outcome.median if outcome is not None else None


def ratio(report: KernelReport, top: str, bottom: str) -> float | None:
    """``top``'s median over ``bottom``'s, or None if either did not run."""
    a, b = _median(report, top), _median(report, bottom)
    if a is None or b is None or b == 0:
        return None
    return a / b


def geomean_ratio(reports: list[KernelReport], top: str, bottom: str) -> float | None:
    """Geometric mean of a ratio over the kernels, if every kernel has it."""
    values = [ratio(r, top, bottom) for r in reports]
    if not values or any(v is None for v in values):
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _setup_cell(report: KernelReport) -> str:
    outcome = report.outcomes.get("engine")
    if outcome is None or outcome.status != OK or outcome.setup is None:
        return "n/a"
    return _seconds(outcome.setup)


def _first_cell(report: KernelReport) -> str:
    outcome = report.outcomes.get("engine")
    if outcome is None or outcome.status != OK or outcome.first_call is None:
        return "n/a"
    return _seconds(outcome.first_call)


def headings() -> list[str]:
    """The table's column headings."""
    return (["kernel"] + [f"{_LABELS[k]} (s)" for k in KEYS]
            + [name for name, _, _ in RATIOS] + ["ours setup (s)", "ours 1st call (s)"])


def rows(reports: list[KernelReport]) -> list[list[str]]:
    """The table's body: one row per kernel, then the geometric means."""
    body = []
    for report in reports:
        row = [report.kernel.name]
        row += [_time_cell(report.outcomes.get(key)) for key in KEYS]
        row += [_or_na(ratio(report, top, bottom), _ratio) for _, top, bottom in RATIOS]
        row += [_setup_cell(report), _first_cell(report)]
        body.append(row)
    if len(reports) > 1:
        means = [_or_na(geomean_ratio(reports, top, bottom), _ratio) for _, top, bottom in RATIOS]
        body.append(["geomean"] + [""] * len(KEYS) + means + ["", ""])
    return body


def _or_na(value: float | None, fmt) -> str:
    return "n/a" if value is None else fmt(value)


def text_table(reports: list[KernelReport]) -> str:
    """The table aligned for a terminal."""
    table = [headings()] + rows(reports)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(reports: list[KernelReport], notes: Iterable[str] = ()) -> str:
    """The table as GitHub-flavoured Markdown, with ``notes`` under it."""
    head = headings()
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(reports)]
    notes = list(notes)
    if notes:
        lines.append("")
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def unavailable_notes(reports: list[KernelReport]) -> list[str]:
    """One line per runner that could not run, with its full reasons."""
    notes = []
    for key in KEYS:
        reasons: dict[str, list[str]] = {}
        for report in reports:
            outcome = report.outcomes.get(key)
            if outcome is not None and outcome.status == NA:
                reasons.setdefault(outcome.reason, []).append(report.kernel.name)
        for reason, names in reasons.items():
            where = "every kernel" if len(names) == len(reports) else ", ".join(names)
            notes.append(f"{_LABELS[key]}: n/a on {where}: {reason}")
    return notes


def problems(reports: list[KernelReport]) -> list[str]:
    """Every error and every disagreement: any one fails the run."""
    found = []
    for report in reports:
        for key in _json_keys(report):
            outcome = report.outcomes.get(key)
            if outcome is None or outcome.status not in (ERROR, WRONG):
                continue
            what = "DISAGREES" if outcome.status == WRONG else "FAILED"
            found.append(f"{report.kernel.name}: {_LABELS.get(key, key)} {what}: {outcome.reason}"
                         + (f" (twin: {report.reference})" if outcome.status == WRONG else ""))
    return found


def _json_keys(report: KernelReport) -> tuple[str, ...]:
    # "engine_fuel" appears only when --fuel measured it
    return KEYS + (("engine_fuel",) if "engine_fuel" in report.outcomes else ())


def json_document(reports: list[KernelReport]) -> dict:
    """``{"kernels": {name: {"engine": s, "python": s, "pywasm": s|null,
    "wasmtime": s|null}}}``: median seconds, null where a runner did not run
    or did not agree."""
    return {"kernels": {r.kernel.name: {key: _median(r, key) for key in _json_keys(r)}
                        for r in reports}}


def fuel_rows(reports: list[KernelReport]) -> list[list[str]]:
    """kernel | ours | ours with fuel | overhead, for kernels measured both ways."""
    out = []
    for report in reports:
        off = _median(report, "engine")
        on = _median(report, "engine_fuel")
        if off is None or on is None:
            continue
        out.append([report.kernel.name, _seconds(off), _seconds(on), f"{100 * (on / off - 1):+.0f}%"])
    return out


FUEL_HEADINGS = ["kernel", "ours (s)", "ours with fuel (s)", "fuel overhead"]


def fuel_text_table(reports: list[KernelReport]) -> str:
    """The fuel overhead table for the terminal ('' when fuel was not measured)."""
    body = fuel_rows(reports)
    if not body:
        return ""
    widths = [max(len(r[i]) for r in body + [FUEL_HEADINGS]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(FUEL_HEADINGS, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
    return "\n".join(lines)


def fuel_markdown_table(reports: list[KernelReport]) -> str:
    """The fuel overhead table as Markdown ('' when fuel was not measured)."""
    body = fuel_rows(reports)
    if not body:
        return ""
    lines = ["| " + " | ".join(FUEL_HEADINGS) + " |", "|---|---:|---:|---:|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n"
