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


def format_ratio(value: float) -> str:
    """A ratio as the tables show it: three significant figures at most."""
    if value >= 100:
        return f"{value:.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def _time_cell(outcome: Outcome | None) -> str:
    if outcome is None:
        return "n/a (disabled)"
    if outcome.status == OK:
        # "~": measured on a reduced workload and scaled (see scaled_notes)
        return ("~" if outcome.scale != 1.0 else "") + _seconds(outcome.median)
    cell = _STATUS_CELL[outcome.status]
    if outcome.status == NA:
        # The reason up to its first parenthesis, if short enough for a
        # cell; the notes under the table give it in full.
        short = outcome.reason.split(" (")[0]
        if len(short) <= 20:
            cell += f" ({short})"
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
    """Geometric mean of a ratio over the kernels that have it (None if none
    has; :func:`geomean_cell` says when some lack it)."""
    values = [v for v in (ratio(r, top, bottom) for r in reports) if v is not None]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def geomean_cell(reports: list[KernelReport], top: str, bottom: str) -> str:
    """The geometric mean as a table cell, with "(k of n)" when only k of
    the n kernels have the ratio."""
    value = geomean_ratio(reports, top, bottom)
    return "n/a" if value is None else format_ratio(value) + coverage(reports, top, bottom)


def coverage(reports: list[KernelReport], top: str, bottom: str) -> str:
    """" (k of n)" when only k of the n kernels have the ratio, else ""."""
    count = sum(ratio(r, top, bottom) is not None for r in reports)
    return f" ({count} of {len(reports)})" if count < len(reports) else ""


def geomean_groups(reports: list[KernelReport]) -> list[tuple[str, list[KernelReport]]]:
    """The rows of geometric means: over everything, and over the kernels
    and the C programs apart when the run has both."""
    if len(reports) < 2:
        return []
    groups = [("geomean", reports)]
    kernels = [r for r in reports if r.kernel.group == "kernel"]
    programs = [r for r in reports if r.kernel.group == "program"]
    if kernels and programs:
        groups += [("geomean kernels", kernels), ("geomean programs", programs)]
    return groups


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


#: Runner keys that are neither a column of KEYS nor a table of their own.
_SEPARATE_KEYS = ("engine_fuel",)


def extra_keys(reports: Iterable[KernelReport]) -> list[str]:
    """Keys of the runners beyond KEYS that ran (our engine at another
    commit, for ``--against``), in the order they first appear."""
    found: list[str] = []
    for report in reports:
        for key in report.outcomes:
            if key not in KEYS and key not in _SEPARATE_KEYS and key not in found:
                found.append(key)
    return found


def label(reports: Iterable[KernelReport], key: str) -> str:
    """The column label of runner ``key``."""
    for report in reports:
        if key in report.labels:
            return report.labels[key]
    return _LABELS.get(key, key)


def ratio_columns(reports: list[KernelReport]) -> list[tuple[str, str, str]]:
    """(heading, numerator key, denominator key) of every ratio column: the
    fixed RATIOS, then each extra runner's time over ours."""
    return list(RATIOS) + [(f"{label(reports, key)}/{label(reports, 'engine')}", key, "engine")
                           for key in extra_keys(reports)]


def headings(reports: Iterable[KernelReport] = ()) -> list[str]:
    """The table's column headings."""
    reports = list(reports)
    keys = list(KEYS) + extra_keys(reports)
    return (["kernel"] + [f"{label(reports, k)} (s)" for k in keys]
            + [name for name, _, _ in ratio_columns(reports)]
            + ["ours setup (s)", "ours 1st call (s)"])


def rows(reports: list[KernelReport]) -> list[list[str]]:
    """The table's body: one row per kernel, then the geometric means."""
    keys = list(KEYS) + extra_keys(reports)
    columns = ratio_columns(reports)
    body = []
    for report in reports:
        row = [report.kernel.name]
        row += [_time_cell(report.outcomes.get(key)) for key in keys]
        row += [_or_na(ratio(report, top, bottom), format_ratio) for _, top, bottom in columns]
        row += [_setup_cell(report), _first_cell(report)]
        body.append(row)
    for name, group in geomean_groups(reports):
        means = [geomean_cell(group, top, bottom) for _, top, bottom in columns]
        body.append([name] + [""] * len(keys) + means + ["", ""])
    return body


def _or_na(value: float | None, fmt) -> str:
    return "n/a" if value is None else fmt(value)


def text_table(reports: list[KernelReport]) -> str:
    """The table aligned for a terminal."""
    table = [headings(reports)] + rows(reports)
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
    head = headings(reports)
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(reports)]
    notes = list(notes)
    if notes:
        lines.append("")
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def unavailable_notes(reports: list[KernelReport]) -> list[str]:
    """One line per runner that could not run, with its full reasons, then
    what the scaled (``~``) times stand for."""
    notes = []
    for key in list(KEYS) + extra_keys(reports):
        reasons: dict[str, list[str]] = {}
        for report in reports:
            outcome = report.outcomes.get(key)
            if outcome is not None and outcome.status == NA:
                reasons.setdefault(outcome.reason, []).append(report.kernel.name)
        for reason, names in reasons.items():
            where = "every kernel" if len(names) == len(reports) else ", ".join(names)
            notes.append(f"{label(reports, key)}: n/a on {where}: {reason}")
    return notes + scaled_notes(reports)


def scaled_notes(reports: list[KernelReport]) -> list[str]:
    """One line per runner that ran reduced workloads: which, and by how much
    its times were scaled."""
    notes = []
    for key in list(KEYS) + extra_keys(reports):
        parts = []
        for report in reports:
            outcome = report.outcomes.get(key)
            if outcome is not None and outcome.status == OK and outcome.scale != 1.0:
                parts.append(f"{report.kernel.name} {_args(outcome.workload)} of "
                             f"{_args(report.args)}")
        if parts:
            notes.append(f"~ {label(reports, key)}: time of a reduced workload scaled up in "
                         f"proportion (the programs repeat equal rounds): " + ", ".join(parts))
    return notes


def _args(args) -> str:
    return "n=" + ",".join(str(a) for a in args)


def problems(reports: list[KernelReport]) -> list[str]:
    """Every error and every disagreement: any one fails the run."""
    found = []
    for report in reports:
        for key in _json_keys(report):
            outcome = report.outcomes.get(key)
            if outcome is None or outcome.status not in (ERROR, WRONG):
                continue
            what = "DISAGREES" if outcome.status == WRONG else "FAILED"
            found.append(f"{report.kernel.name}: {label([report], key)} {what}: {outcome.reason}"
                         + (f" (twin: {report.reference})" if outcome.status == WRONG else ""))
    return found


def _json_keys(report: KernelReport) -> tuple[str, ...]:
    # "engine_fuel" appears only when --fuel measured it, the extra keys
    # ("engine@REV") only with --against
    return (KEYS + tuple(extra_keys([report]))
            + tuple(k for k in _SEPARATE_KEYS if k in report.outcomes))


def json_document(reports: list[KernelReport]) -> dict:
    """``{"kernels": {name: {"engine": s, "python": s, "pywasm": s|null,
    "wasmtime": s|null}}}``: median seconds, null where a runner did not run
    or did not agree; ``"engine@REV"`` too with ``--against``, and
    ``"engine_fuel"`` with ``--fuel``."""
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
