"""``--plot FILE.svg``: the run's ratios as a bar chart, in plain SVG.

One group of bars per kernel (and one for the geometric means): each bar is
the time a runner took relative to ours, on a logarithmic axis centred on
ours (1x). A bar to the right of the line is a runner slower than ours, to
the left one faster; the label says by how much, as the table's ratios do.
No plotting library is needed: the SVG is written as text.
"""

from __future__ import annotations

import math
from html import escape
from typing import Iterable

from .measure import KernelReport
from .report import (coverage, extra_keys, format_ratio, geomean_groups, geomean_ratio, label,
                     ratio)

#: Runner keys drawn against ours, in order, and their colours.
_FIXED = (("python", "#4c78a8"), ("pywasm", "#e45756"), ("wasmtime", "#54a24b"))
_EXTRA_COLOURS = ("#f58518", "#b279a2", "#9d755d", "#72b7b2")

_WIDTH = 960
_NAME_WIDTH = 130        # left column: kernel names
_LABEL_WIDTH = 150       # right margin: room for the last bar's label
_BAR = 11
_BAR_GAP = 2
_GROUP_GAP = 10
_TOP = 78
_FONT = "font-family='Helvetica, Arial, sans-serif'"


def _describe(value: float) -> str:
    if value >= 1:
        return f"{format_ratio(value)} slower"
    return f"{format_ratio(1 / value)} faster"


def _decade_label(power: int) -> str:
    if power >= 0:
        return f"{10 ** power:g}x"
    return f"1/{10 ** -power:g}"


def series(reports: list[KernelReport]) -> list[tuple[str, str, str]]:
    """(runner key, legend label, colour) of every runner drawn."""
    drawn = [(key, label(reports, key), colour) for key, colour in _FIXED
             if any(key in r.outcomes for r in reports)]
    for index, key in enumerate(extra_keys(reports)):
        drawn.append((key, label(reports, key), _EXTRA_COLOURS[index % len(_EXTRA_COLOURS)]))
    return drawn


def _scaled(reports: list[KernelReport], key: str) -> bool:
    return any(r.outcomes[key].scale != 1.0 for r in reports if key in r.outcomes)


def render_svg(reports: list[KernelReport], notes: Iterable[str] = ()) -> str:
    """The chart of ``reports`` as an SVG document; ``notes`` are printed
    under the title (what was measured, and with what)."""
    drawn = series(reports)
    ours = label(reports, "engine")
    # (name, [(ratio or None, whether it was scaled from a reduced workload,
    # what to add to its label)])
    groups: list[tuple[str, list[tuple[float | None, bool, str]]]] = [
        (r.kernel.name, [(ratio(r, key, "engine"), _scaled([r], key), "") for key, _, _ in drawn])
        for r in reports]
    for name, members in geomean_groups(reports):
        groups.append((name, [(geomean_ratio(members, key, "engine"), _scaled(members, key),
                               coverage(members, key, "engine")) for key, _, _ in drawn]))
    values = [v for _, vs in groups for v, _, _ in vs if v is not None and v > 0]
    if any(scaled for _, vs in groups for _, scaled, _ in vs):
        notes = [*notes, "~: measured on a reduced workload and scaled up in proportion "
                         "(see the table's notes)"]
    low = math.floor(math.log10(min(values + [1.0])))
    high = math.ceil(math.log10(max(values + [1.0])))
    if low == high:
        low, high = low - 1, high + 1
    plot_left = _NAME_WIDTH
    plot_right = _WIDTH - _LABEL_WIDTH

    def x(value: float) -> float:
        share = (math.log10(value) - low) / (high - low)
        return plot_left + share * (plot_right - plot_left)

    group_height = len(drawn) * (_BAR + _BAR_GAP) + _GROUP_GAP
    notes = list(notes)
    legend_top = _TOP - 22
    bottom = _TOP + len(groups) * group_height
    height = bottom + 30 + 14 * len(notes)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{_WIDTH}' height='{height}' "
           f"viewBox='0 0 {_WIDTH} {height}' {_FONT} font-size='11'>",
           f"<rect width='{_WIDTH}' height='{height}' fill='white'/>",
           f"<text x='{plot_left}' y='20' font-size='15' font-weight='bold'>"
           f"Time of each runner relative to {escape(ours)} (log scale)</text>",
           f"<text x='{plot_left}' y='36' fill='#555'>right of the 1x line: slower than our "
           "engine; left: faster. Medians of one run of python -m bench.</text>"]
    # legend
    at = plot_left
    for _, name, colour in drawn:
        out.append(f"<rect x='{at}' y='{legend_top - 9}' width='10' height='10' fill='{colour}'/>")
        out.append(f"<text x='{at + 14}' y='{legend_top}'>{escape(name)}</text>")
        at += 24 + 7 * len(name)
    # every other group on a pale band, to guide the eye along a row
    for index in range(1, len(groups), 2):
        top = _TOP + index * group_height
        out.append(f"<rect x='0' y='{top - _GROUP_GAP / 2:.1f}' width='{_WIDTH}' "
                   f"height='{group_height}' fill='#f2f2f2'/>")
    # decade grid
    for power in range(low, high + 1):
        gx = x(10.0 ** power)
        strong = power == 0
        out.append(f"<line x1='{gx:.1f}' y1='{_TOP - 6}' x2='{gx:.1f}' y2='{bottom}' "
                   f"stroke='{'#333' if strong else '#ddd'}' stroke-width='{1.5 if strong else 1}'/>")
        out.append(f"<text x='{gx:.1f}' y='{bottom + 14}' text-anchor='middle' fill='#333'>"
                   f"{escape(_decade_label(power))}</text>")
    out.append(f"<text x='{x(1.0):.1f}' y='{_TOP - 9}' text-anchor='middle' fill='#333'>"
               f"{escape(ours)}</text>")
    # bars
    for index, (name, group) in enumerate(groups):
        top = _TOP + index * group_height
        middle = top + len(drawn) * (_BAR + _BAR_GAP) / 2
        weight = " font-weight='bold'" if name.startswith("geomean") else ""
        out.append(f"<text x='{plot_left - 8}' y='{middle + 4:.1f}' text-anchor='end'{weight}>"
                   f"{escape(name)}</text>")
        for row, ((_, series_name, colour), (value, scaled, extra)) in enumerate(zip(drawn, group)):
            y = top + row * (_BAR + _BAR_GAP)
            if value is None or value <= 0:
                out.append(f"<text x='{x(1.0) + 4:.1f}' y='{y + _BAR - 2}' fill='#999'>"
                           f"{escape(series_name)}: n/a</text>")
                continue
            start, end = sorted((x(1.0), x(value)))
            out.append(f"<rect x='{start:.1f}' y='{y}' width='{max(end - start, 1):.1f}' "
                       f"height='{_BAR}' fill='{colour}'><title>{escape(series_name)} "
                       f"{escape(name)}: {escape(_describe(value))}</title></rect>")
            # every bar has a row of its own: a faster runner's label goes
            # right of the 1x line, a slower one's after its bar
            text = escape(f"{series_name} {'~' if scaled else ''}{_describe(value)}{extra}")
            out.append(f"<text x='{end + 4:.1f}' y='{y + _BAR - 2}' fill='#333'>{text}</text>")
    for number, note in enumerate(notes):
        out.append(f"<text x='{plot_left}' y='{bottom + 34 + 14 * number}' fill='#555'>"
                   f"{escape(note)}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
