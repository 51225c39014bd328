"""The server-drawn SVG charts: well-formed, escaped, bars to scale, numbers in a table."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from registry.web.charts import HEIGHT, TOP, Series, _nice_max, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # The figure is XHTML-compatible markup: the SVG namespace added, it parses as XML.
    # Our own markup, not an outsider's: the standard library parser is fine here.
    return ET.fromstring(str(markup).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))  # noqa: S314


@given(
    st.lists(st.integers(0, 10**7), min_size=1, max_size=40).flatmap(
        lambda a: st.tuples(
            st.just(a), st.lists(st.integers(0, 10**7), min_size=len(a), max_size=len(a))
        )
    )
)
def test_any_counts_draw_a_well_formed_chart_with_bars_to_scale(
    values: tuple[list[int], list[int]],
) -> None:
    a, b = values
    labels = [f"{i}" for i in range(len(a))]
    fig = parse(
        bar_chart(
            "c",
            "Tiêu đề",
            "Tóm tắt",
            labels,
            [Series("A", a, "today"), Series("B", b, "before")],
            "Giờ",
            "Bảng",
        )
    )
    rects = fig.findall(f".//{SVG}rect")
    assert len(rects) == sum(1 for v in a + b if v)
    top = _nice_max(max([1, *a, *b]))
    assert top >= max([1, *a, *b])
    for r in rects:
        y, h = float(r.get("y", "0")), float(r.get("height", "0"))
        assert h >= 0 and y >= TOP - 0.1 and y + h <= HEIGHT + 0.1
    # Every number is in the table too: the chart's text alternative.
    cells = [td.text for td in fig.findall(".//tbody/tr/td")]
    assert cells == [str(v) for pair in zip(a, b, strict=True) for v in pair]


def test_titles_and_labels_are_text_never_markup() -> None:
    evil = '<script>alert(1)</script>"'
    markup = str(bar_chart(evil, evil, evil, [evil], [Series(evil, [3], evil)], evil, evil))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    parse(markup)


def test_the_picture_is_named_by_its_caption_and_summary() -> None:
    fig = parse(
        str(
            bar_chart(
                "h",
                "Lượt vào",
                "Hôm nay 3",
                ["0", "1"],
                [Series("A", [1, 2], "bar")],
                "Giờ",
                "Bảng",
            )
        )
    )
    svg = fig.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "img"
    names = (svg.get("aria-labelledby") or "").split()
    texts = {e.get("id"): "".join(e.itertext()) for e in fig.iter() if e.get("id")}
    assert [texts[n] for n in names] == ["Lượt vào", "Hôm nay 3"]
