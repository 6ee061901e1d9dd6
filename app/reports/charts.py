"""SVG bar charts for the PDF reports: pure functions from plain data to markup.

WeasyPrint draws inline SVG without JavaScript, but SVG text does not inherit
the HTML stylesheet: the font must be named on the <svg> itself, or Han
characters fall back to the Japanese face of the Noto CJK collection.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = "Noto Sans CJK TC"
WIDTH = 640  # px; 640 px = 480 pt, inside the 504 pt text width of A4 with our margins
LABEL_SIZE = 12
ROW_HEIGHT = 34
BAR_HEIGHT = 12
VALUE_ROOM = 72  # px kept right of the longest bar for its value
MAX_LABEL_CHARS = 40  # SVG text never wraps; the table beside each chart has the full label
BAR_COLOUR = "#2b5d8a"  # 7.2:1 against white
TRACK_COLOUR = "#e6ebf1"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _shorten(label: str) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, unit: str = "", empty: str = "尚無資料"
) -> Markup:
    """Return an inline SVG horizontal bar chart of (label, value) pairs, labels above bars."""
    top = 8
    height = top + max(len(items), 1) * ROW_HEIGHT + 4
    peak = max((value for _label, value in items), default=0) or 1
    track = WIDTH - VALUE_ROOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="{FONT}" font-size="{LABEL_SIZE}">',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append(f'<text x="0" y="{top + LABEL_SIZE + 4}" fill="#555">{escape(empty)}</text>')
    for index, (label, value) in enumerate(items):
        y = top + index * ROW_HEIGHT
        bar = round(track * max(value, 0) / peak, 1)
        parts.append(
            f'<text x="0" y="{y + LABEL_SIZE}" fill="#111" font-family="{FONT}">'
            f"{escape(_shorten(label))}</text>"
        )
        parts.append(
            f'<rect x="0" y="{y + 16}" width="{track}" height="{BAR_HEIGHT}" '
            f'fill="{TRACK_COLOUR}"/>'
        )
        if bar > 0:
            parts.append(
                f'<rect x="0" y="{y + 16}" width="{bar}" height="{BAR_HEIGHT}" '
                f'fill="{BAR_COLOUR}"/>'
            )
        text = _number(value) + (f" {unit}" if unit else "")
        parts.append(
            f'<text x="{bar + 6}" y="{y + 16 + BAR_HEIGHT - 1}" fill="#111" '
            f'font-family="{FONT}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


# ---- 進修需求分析: this cycle beside the one before (app.analytics) ---------------------------

PREVIOUS_COLOUR = "#6f8296"  # 4.0:1 against white, 3.3:1 against the track
PAIR_ROW_HEIGHT = 46
LEGEND_HEIGHT = 22


def comparison_chart(
    items: Sequence[tuple[str, float, float | None]],
    *,
    title: str,
    current: str,
    previous: str | None = None,
    unit: str = "",
    empty: str = "尚無資料",
) -> Markup:
    """Return an inline SVG bar chart of (label, value, previous value) triples.

    Each label has a bar for this cycle and, when ``previous`` names the cycle before,
    a second, thinner bar for it. The SVG is hidden from assistive technology: the page
    and the PDF print the same figures in a table next to it, which is the accessible
    version (a chart read aloud bar by bar would say less than the table).
    """
    compare = previous is not None
    top = LEGEND_HEIGHT + 6 if compare else 8
    row = PAIR_ROW_HEIGHT if compare else ROW_HEIGHT
    height = top + max(len(items), 1) * row + 4
    values = [v for _label, v, _p in items] + [p or 0 for _label, _v, p in items if compare]
    peak = max(values, default=0) or 1
    track = WIDTH - VALUE_ROOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" aria-hidden="true" '
        f'focusable="false" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="{FONT}" font-size="{LABEL_SIZE}">',
        f"<title>{escape(title)}</title>",
    ]
    if compare:
        for x, colour, name in ((0, BAR_COLOUR, current), (200, PREVIOUS_COLOUR, previous)):
            parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
            parts.append(
                f'<text x="{x + 18}" y="{4 + LABEL_SIZE - 1}" fill="#111" '
                f'font-family="{FONT}">{escape(name or "")}</text>'
            )
    if not items:
        parts.append(f'<text x="0" y="{top + LABEL_SIZE + 4}" fill="#555">{escape(empty)}</text>')
    for index, (label, value, before) in enumerate(items):
        y = top + index * row
        parts.append(
            f'<text x="0" y="{y + LABEL_SIZE}" fill="#111" font-family="{FONT}">'
            f"{escape(_shorten(label))}</text>"
        )
        bars = [(value, BAR_COLOUR, BAR_HEIGHT, y + 16)]
        if compare:
            bars.append((before or 0, PREVIOUS_COLOUR, BAR_HEIGHT - 4, y + 16 + BAR_HEIGHT + 3))
        for amount, colour, thickness, bar_y in bars:
            width = round(track * max(amount, 0) / peak, 1)
            parts.append(
                f'<rect x="0" y="{bar_y}" width="{track}" height="{thickness}" '
                f'fill="{TRACK_COLOUR}"/>'
            )
            if width > 0:
                parts.append(
                    f'<rect x="0" y="{bar_y}" width="{width}" height="{thickness}" '
                    f'fill="{colour}"/>'
                )
            text = _number(amount) + (f" {unit}" if unit else "")
            parts.append(
                f'<text x="{width + 6}" y="{bar_y + thickness - 1}" fill="#111" '
                f'font-size="{LABEL_SIZE - 1}" font-family="{FONT}">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
