"""A histogram as a standalone SVG, for a step to attach to the HTML report."""

import html
import math


def histogram_svg(values, expected, title, bin_width=0.1):
    """A small standalone SVG histogram of `values` (seconds), with the
    `expected` (low, high) range shaded, for context.attach("image/svg+xml")."""

    def bin_of(seconds):
        return math.floor(round(seconds / bin_width, 6))  # 2.9 / 0.1 is 28.999999999999996

    first, last = bin_of(min(*values, expected[0])), bin_of(max(*values, expected[1]))
    counts = [0] * (last - first + 1)
    for value in values:
        counts[bin_of(value) - first] += 1
    width, height, left, right, top, bottom = 640, 240, 40, 12, 34, 36
    plot_width, plot_height = width - left - right, height - top - bottom
    tallest = max(counts)

    def x(seconds):
        return left + (seconds / bin_width - first) / len(counts) * plot_width

    def y(count):
        return top + plot_height * (1 - count / tallest)

    bar_width = plot_width / len(counts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<rect x="{x(expected[0]):.1f}" y="{top}" width="{x(expected[1]) - x(expected[0]):.1f}" '
        f'height="{plot_height}" fill="#e8f5e9"/>',
        f'<text x="{x(expected[0]) + 4:.1f}" y="{top + 14}" fill="#2e7d32">expected '
        f"{expected[0]:g}–{expected[1]:g} s</text>",
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for index, count in enumerate(counts):
        if count:
            parts.append(
                f'<rect x="{left + index * bar_width + 1:.1f}" y="{y(count):.1f}" '
                f'width="{bar_width - 2:.1f}" height="{top + plot_height - y(count):.1f}" '
                f'fill="#1565c0"><title>{count}</title></rect>'
            )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - right}" '
        f'y2="{top + plot_height}" stroke="#333"/>'
    )
    for tick in range(math.ceil(first * bin_width * 2), math.floor((last + 1) * bin_width * 2) + 1):
        seconds = tick / 2
        parts.append(
            f'<text x="{x(seconds):.1f}" y="{top + plot_height + 16}" '
            f'text-anchor="middle">{seconds:g} s</text>'
        )
    for count in (0, tallest):
        parts.append(
            f'<text x="{left - 6}" y="{y(count) + 4:.1f}" text-anchor="end">{count}</text>'
        )
    parts.append(
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 4}" text-anchor="middle" '
        f'fill="#555">orders per {bin_width:g} s</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
