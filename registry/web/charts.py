"""Bar charts drawn by the server as inline SVG (no script, no CDN), each with its numbers as
a table beside it: the table is the text alternative a screen reader and a printout get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The drawing's own units; it scales to the width it is given (a phone's or a desktop's).
# Narrow on purpose: on a 360-px phone 16-unit labels still come out about 13 px high.
WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 24, 14, 34  # room for the last label under the last bar
FONT = 16


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    css: str  # the bars' class in registry.css: colour and outline, not colour alone


def _nice_max(top: int) -> int:
    """The axis's top: 1, 2 or 5 times a power of ten, at least the largest bar."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= top:
                return step * m
        step *= 10


def _bars(series: Sequence[Series], n: int, top: int) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = slot * 0.8 / len(series)
    out = []
    for i in range(n):
        for j, s in enumerate(series):
            v = s.values[i]
            if not v:
                continue
            h = plot_h * v / top
            x = LEFT + i * slot + slot * 0.1 + j * bar_w
            out.append(
                f'<rect class="{escape(s.css)}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}"/>'
            )
    return out


def _axes(labels: Sequence[str], top: int, label_every: int, from_end: bool) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(labels)
    base = TOP + plot_h
    out = [
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP + plot_h / 2:.1f}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h / 2:.1f}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{top}</text>',
        f'<text x="{LEFT - 4}" y="{base + 4}" text-anchor="end">0</text>',
    ]
    if top % 2 == 0:
        mid = TOP + plot_h / 2 + 4
        out.append(f'<text x="{LEFT - 4}" y="{mid:.1f}" text-anchor="end">{top // 2}</text>')
    for i, label in enumerate(labels):
        # Days are labelled back from the last (today's is always named); hours from 0.
        if (len(labels) - 1 - i if from_end else i) % label_every == 0:
            x = LEFT + (i + 0.5) * slot
            y = base + FONT + 4
            out.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{escape(label)}</text>')
    return out


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_head: str,
    table_summary: str,
    label_every: int = 1,
    from_end: bool = False,
) -> Markup:
    """A figure: the title, the chart (role=img, named by the title and the summary), a
    legend when there is more than one series, and the same numbers as a table."""
    top = _nice_max(max([1, *(v for s in series for v in s.values)]))
    cid = escape(chart_id)
    svg = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        # Named by the caption and the summary the page shows anyway (read once, not twice).
        f'aria-labelledby="{cid}-cap {cid}-sum" font-size="{FONT}">',
        *_axes(labels, top, label_every, from_end),
        *_bars(series, len(labels), top),
        "</svg>",
    ]
    legend = ""
    if len(series) > 1:
        items = "".join(
            f'<li><span class="swatch {escape(s.css)}" aria-hidden="true"></span>'
            f"{escape(s.name)}</li>"
            for s in series
        )
        legend = f'<ul class="legend">{items}</ul>'
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f"<td>{s.values[i]}</td>" for s in series)
        + "</tr>"
        for i, label in enumerate(labels)
    )
    table = (
        f'<details class="chart-table"><summary>{escape(table_summary)}</summary>'
        f'<table id="{cid}-table"><thead><tr><th scope="col">{escape(label_head)}</th>{head}'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )
    # Every text that came from outside this module went through escape() above.
    return Markup(  # noqa: S704
        f'<figure class="chart" id="{cid}"><figcaption id="{cid}-cap">{escape(title)}</figcaption>'
        f'<p class="chart-summary" id="{cid}-sum">{escape(summary)}</p>'
        f"{''.join(svg)}{legend}{table}</figure>"
    )
