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
