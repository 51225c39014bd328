"""Which of several codes in one frame to decide first: the visitor's, not a stray one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kiosk.decode import Symbol


def _area(corners: Sequence[tuple[int, int]]) -> float:
    """The polygon's area (shoelace); 0 when the decoder gave no corners."""
    if len(corners) < 3:
        return 0.0
    twice = sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(corners, [*corners[1:], corners[0]], strict=True)
    )
    return abs(twice) / 2


def order_symbols(
    symbols: Sequence[Symbol], looks_personal: Callable[[bytes], bool]
) -> list[Symbol]:
    """`symbols` in the order a frame's codes should be decided.

    1. readable codes shaped like a personal code (`kiosk.passes.looks_personal`);
    2. other readable codes (a poster's URL, a product code in the background);
    3. codes found but not readable (only useful for scan help).
    Within a group, the largest first: the code held up to the camera is the nearest one.
    The sort is stable, so equal codes keep the decoder's order.
    """

    def rank(s: Symbol) -> tuple[int, float]:
        if s.error is not None or not s.payload:
            group = 2
        elif looks_personal(s.payload):
            group = 0
        else:
            group = 1
        return group, -_area(s.corners)

    return sorted(symbols, key=rank)
