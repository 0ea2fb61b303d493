"""Write a report's tables as a terminal table, CSV, XLSX or a printable HTML page.

Every text cell written to CSV or XLSX is made safe to open in a spreadsheet: a cell that
starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so a name
like "=HYPERLINK(...)" shows as text instead of running as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("table", "csv", "xlsx", "html")


@dataclass
class Section:
    title: str
    frame: pd.DataFrame
    note: str = ""
    sheet: str = ""


@dataclass
class Report:
    title: str
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
    detail: int = -1  # the section a CSV holds (CSV is one table): the detailed one, last unless said

    @property
    def detail_section(self) -> Section:
        return self.sections[self.detail]


def safe_cell(value):
    """A value as it should be written to a spreadsheet cell (see the module docstring)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def plain(value):
    """Dates as YYYY-MM-DD, missing as empty, numbers as they are."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text(value) -> str:
    value = plain(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _records(frame: pd.DataFrame):
    for row in frame.itertuples(index=False, name=None):
        yield [plain(v) for v in row]


def to_csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180 line ends: a CR or LF inside a cell is then quoted
    writer.writerow([safe_cell(str(c)) for c in frame.columns])
    for row in _records(frame):
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def write_xlsx(report: Report, path: Path, progress: Callable[[int], None] | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for i, section in enumerate(report.sections):
        sheet = book.create_sheet(title=(section.sheet or section.title)[:31] or f"Sheet{i + 1}")
        sheet.freeze_panes = "A2"
        widths = [
            max([len(str(c))] + [len(_text(v)) for v in section.frame[c].head(200)]) for c in section.frame.columns
        ]
        for index, width in enumerate(widths):
            sheet.column_dimensions[_column_letter(index)].width = min(max(width + 2, 8), 60)
        header = []
        for column in section.frame.columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for n, row in enumerate(_records(section.frame), 1):
            sheet.append([safe_cell(v) for v in row])
            if progress and n % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(section.frame) % 1000)
    book.save(path)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


HTML_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       margin: 2rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
p.meta { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: .95rem; }
caption { text-align: left; font-weight: 700; font-size: 1.15rem; padding: .5rem 0; }
th, td { border: 1px solid #999; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #e8eef4; }
tbody tr:nth-child(even) { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
@media print { body { margin: 1cm; } thead { display: table-header-group; } tr { page-break-inside: avoid; } }
"""


def frame_to_html(frame: pd.DataFrame, caption: str = "") -> str:
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(
        "<thead><tr>"
        + "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
        + "</tr></thead><tbody>"
    )
    for row in _records(frame):
        cells = []
        for value in row:
            cls = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            cells.append(f"<td{cls}>{html.escape(_text(value))}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def to_html(report: Report) -> str:
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    body += [f'<p class="meta">{html.escape(n)}</p>' for n in report.notes]
    for section in report.sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.note:
            body.append(f"<p>{html.escape(section.note)}</p>")
        body.append(frame_to_html(section.frame, caption=section.title))
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(report.title)}</title><style>{HTML_STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def print_report(report: Report, console, max_rows: int = 500) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]{escape(report.title)}[/bold]")
    for note in report.notes:
        console.print(escape(note))
    for section in report.sections:
        table = Table(title=section.title, title_justify="left")
        for column in section.frame.columns:
            numeric = pd.api.types.is_numeric_dtype(section.frame[column]) and not pd.api.types.is_bool_dtype(
                section.frame[column]
            )
            table.add_column(str(column), justify="right" if numeric else "left")
        for row in _records(section.frame.head(max_rows)):
            table.add_row(*(escape(_text(v)) for v in row))
        console.print(table)
        if len(section.frame) > max_rows:
            console.print(f"... and {len(section.frame) - max_rows} more rows (use --format csv, xlsx or html for all)")
        if section.note:
            console.print(escape(section.note))
