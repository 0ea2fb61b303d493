"""Charts as PNG images with alt text, and the table behind each (matplotlib, Agg backend).

ipywidgets.Image has no alt text, so a chart is an <img alt="..."> with a data: URI inside
an HTML widget, followed by the same numbers as a table.
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

BLUE, ORANGE = "#2b4c6f", "#b35806"


def _figure(width: float = 8, height: float = 3.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def rate_over_time(frame: pd.DataFrame) -> tuple[bytes, str]:
    """frame: date, completion_rate (0-1). Returns (PNG, alt text)."""
    figure = _figure()
    ax = figure.add_subplot()
    dates = pd.to_datetime(frame["date"])
    ax.plot(dates, frame["completion_rate"] * 100, color=BLUE, marker="o", linewidth=2)
    ax.set_ylim(0, 100)
    ax.set_ylabel("completed (%)")
    ax.set_title("Completion rate, all staff")
    ax.grid(axis="y", alpha=0.3)
    figure.autofmt_xdate()
    if frame.empty:
        return _png(figure), "Line chart of the completion rate over time: no data yet."
    first, last = frame.iloc[0], frame.iloc[-1]
    low = frame.loc[frame["completion_rate"].idxmin()]
    alt = (
        f"Line chart of the share of staff with a current completion, from {first['date']:%B %Y} "
        f"({first['completion_rate']:.0%}) to {last['date']:%-d %B %Y} ({last['completion_rate']:.0%}); "
        f"lowest {low['completion_rate']:.0%} in {low['date']:%B %Y}."
    )
    return _png(figure), alt


def rate_by_team(frame: pd.DataFrame) -> tuple[bytes, str]:
    """frame: team, completion_rate (0-1), staff. Returns (PNG, alt text)."""
    frame = frame.sort_values("completion_rate")
    figure = _figure(height=max(2.2, 0.45 * len(frame) + 1))
    ax = figure.add_subplot()
    bars = ax.barh(frame["team"].astype(str), frame["completion_rate"] * 100, color=BLUE)
    for bar, rate in zip(bars, frame["completion_rate"]):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{rate:.0%}", va="center", fontsize=9)
    ax.set_xlim(0, 110)
    ax.set_xlabel("completed (%)")
    ax.set_title("Completion rate by team")
    if frame.empty:
        return _png(figure), "Bar chart of the completion rate by team: no teams yet."
    parts = ", ".join(f"{t} {r:.0%}" for t, r in zip(frame["team"][::-1], frame["completion_rate"][::-1]))
    return _png(figure), f"Bar chart of the completion rate by team, highest first: {parts}."


def figure_html(png: bytes, alt: str, caption: str, table_html: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure class="cm-chart"><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        f'style="max-width:100%;height:auto"><figcaption>{html.escape(caption)}</figcaption></figure>'
        f"<details><summary>The table behind this chart</summary>{table_html}</details>"
    )
