"""Server-rendered SVG charts for admin reports: no JavaScript, no CDN, readable without colour.

Every bar carries its numbers as text next to it, the chart has a <title> and a <desc> that
spells out the data, and the page shows the same numbers in a table. Colours are chosen for
WCAG AA on the chart's own white background (it does not depend on the admin theme):
text #1f2328 (15.8:1), bars #1d4ed8 (6.7:1, above the 3:1 needed for graphics), bar track
outline #5f6368 (6.3:1).
"""
from django.utils.html import escape
from django.utils.safestring import mark_safe

BACKGROUND = "#ffffff"
TEXT = "#1f2328"
BAR = "#1d4ed8"
TRACK = "#eef0f3"
TRACK_OUTLINE = "#5f6368"
GRID = "#c4c7cc"
FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',sans-serif"

WIDTH = 720
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 30
BOTTOM = 12
VALUE_WIDTH = 150
FONT_SIZE = 14


def text_width(text, font_size=FONT_SIZE):
    """Rough rendered width: full-width (CJK) characters are one em, others about 0.6 em."""
    return sum(font_size if ord(ch) > 0x2E80 else font_size * 0.6 for ch in str(text))


def default_value_text(row):
    return f"{row['percent']}%（{row['covered']}/{row['total']}）"


def default_row_desc(row):
    return f"{row['label']}：{row['total']} 件中 {row['covered']} 件，{row['percent']}%"


def bar_chart_svg(rows, *, title, desc="", id_prefix="chart", max_value=100, value_key="percent",
                  value_text=default_value_text, row_desc=default_row_desc):
    """A horizontal bar chart as safe inline SVG markup.

    ``rows`` are dicts with at least ``label`` and ``value_key`` (by default ``percent``, on a
    0..``max_value`` scale); ``value_text(row)`` is the text printed after each bar and
    ``row_desc(row)`` the sentence added to the <desc> for that row. With the defaults, rows are
    ``{"label", "covered", "total", "percent"}`` as produced by ``ledger.coverage_by_department``.
    """
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    rows = list(rows)
    full_desc = " ".join(part for part in [desc, "；".join(row_desc(r) for r in rows) + "。" if rows else "暂无数据。"]
                         if part)

    label_width = min(max([text_width(r["label"]) for r in rows] + [4 * FONT_SIZE]) + 16, 260)
    bar_left = label_width
    bar_span = WIDTH - label_width - VALUE_WIDTH
    height = TOP + max(len(rows), 1) * ROW_HEIGHT + BOTTOM

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ledger-chart" role="img" '
        # Sized by attributes, scaled down by CSS (.ledger-chart): no inline style, so a strict CSP holds.
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{escape(title)}" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" font-family="{escape(FONT)}" font-size="{FONT_SIZE}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(full_desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>',
    ]
    # Scale: gridlines and tick labels every quarter, drawn behind the bars.
    parts.append('<g aria-hidden="true">')
    for quarter in range(5):
        x = bar_left + bar_span * quarter / 4
        tick = max_value * quarter / 4
        tick_text = f"{tick:g}%" if value_key == "percent" else f"{tick:g}"
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - BOTTOM}" '
                     f'stroke="{GRID}" stroke-width="1" stroke-dasharray="3 3"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP - 12}" text-anchor="middle" fill="{TEXT}" '
                     f'font-size="12">{escape(tick_text)}</text>')
    parts.append("</g>")

    if not rows:
        parts.append(f'<text x="{WIDTH / 2:.0f}" y="{TOP + ROW_HEIGHT / 2 + 5:.0f}" text-anchor="middle" '
                     f'fill="{TEXT}">暂无数据</text>')
    for index, row in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        bar_y = y + (ROW_HEIGHT - BAR_HEIGHT) / 2
        text_y = y + ROW_HEIGHT / 2 + FONT_SIZE * 0.35
        value = max(0, min(row[value_key], max_value))
        bar_width = bar_span * value / max_value if max_value else 0
        parts.append("<g>")
        parts.append(f'<text x="{label_width - 10:.1f}" y="{text_y:.1f}" text-anchor="end" '
                     f'fill="{TEXT}">{escape(row["label"])}</text>')
        parts.append(f'<rect x="{bar_left:.1f}" y="{bar_y:.1f}" width="{bar_span:.1f}" height="{BAR_HEIGHT}" '
                     f'fill="{TRACK}" stroke="{TRACK_OUTLINE}" stroke-width="1"/>')
        if bar_width > 0:
            parts.append(f'<rect x="{bar_left:.1f}" y="{bar_y:.1f}" width="{bar_width:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{BAR}"/>')
        parts.append(f'<text x="{bar_left + bar_span + 8:.1f}" y="{text_y:.1f}" fill="{TEXT}" '
                     f'font-weight="bold">{escape(value_text(row))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated string is escaped above
