"""Write a report's tables as a terminal table, CSV, XLSX or a printable HTML page.

CSV is for other programs: plain ISO dates (YYYY-MM-DD), numbers as they are, shares as
fractions. XLSX is for a person with a spreadsheet: a header block saying as of when and under
which policy version the report was made, then each table with real date and number cells
(shares in percent format), a filter on every column and the header row frozen. HTML and the
terminal show shares as percentages ("45%").

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
END_OF_DAY = dt.time(23, 59, 59, 999999)  # how course.progress.timestamp reads a date


@dataclass
class Section:
    title: str
    frame: pd.DataFrame
    note: str = ""
    sheet: str = ""
    percent: tuple[str, ...] = ()  # columns holding fractions (0.45): shown and formatted as 45%
    # columns for spreadsheets only (CSV, XLSX): the terminal and HTML show the same facts in words
    spreadsheet_only: tuple[str, ...] = ()

    @property
    def printed(self) -> pd.DataFrame:
        return self.frame.drop(columns=[c for c in self.spreadsheet_only if c in self.frame.columns])


@dataclass
class Report:
    title: str
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
    detail: int = -1  # the section a CSV holds (CSV is one table): the detailed one, last unless said
    as_of: dt.datetime | None = None  # when the statuses were worked out (XLSX header); None: when written
    policy_version: str = ""  # the policy version the report applies (XLSX header)

    def header(self) -> str:
        """The line above every XLSX table: "As of 2 December 2026 06:40 UTC, policy version 2025-09"
        (the statuses' time is UTC, course.progress.timestamp; a past day is worked out at its end)."""
        when = self.as_of or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        day = f"{when.day} {when:%B %Y}"
        text = f"As of the end of {day}" if when.time() == END_OF_DAY else f"As of {day} {when:%H:%M} UTC"
        return text + (f", policy version {self.policy_version}" if self.policy_version else "")

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


def _text(value, percent: bool = False) -> str:
    value = plain(value)
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0%}"
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


DATE_FORMAT = "yyyy-mm-dd"  # ISO, as in the CSV: no day/month confusion between systems
PERCENT_FORMAT = "0%"


def xlsx_value(value):
    """A value as an XLSX cell holds it: dates as dates, numbers as numbers, missing as empty."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # XLSX has no time zones
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return safe_cell(value)


def write_xlsx(report: Report, path: Path, progress: Callable[[int], None] | None = None) -> None:
    """One sheet per section: the report's title and header line (and notes), then the table with a
    filter on every column and everything above its first row frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)  # streams rows: a report of every learner stays small in memory
    bold, title_font = Font(bold=True), Font(bold=True, size=14)
    header_line = report.header()
    for i, section in enumerate(report.sections):
        sheet = book.create_sheet(title=(section.sheet or section.title)[:31] or f"Sheet{i + 1}")
        frame = section.frame
        block = [(report.title, title_font), (header_line, None)]
        block += [(note, None) for note in (*report.notes, section.note) if note]
        top = len(block) + 2  # the table's header row, after a blank row
        columns = list(frame.columns)
        formats = {}
        for c in columns:
            if c in section.percent:
                formats[c] = PERCENT_FORMAT
            elif any(isinstance(v, (dt.date, pd.Timestamp, np.datetime64)) for v in frame[c].head(200)):
                formats[c] = DATE_FORMAT
        widths = [
            max([len(str(c))] + [len(_text(v, c in section.percent)) for v in frame[c].head(200)]) for c in columns
        ]
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(width + 2, 8), 60)
        last = get_column_letter(max(len(columns), 1))
        sheet.freeze_panes = f"A{top + 1}"  # the header block and the table's header row stay in view
        sheet.auto_filter.ref = f"A{top}:{last}{top + len(frame)}"
        for text, font in block:
            cell = WriteOnlyCell(sheet, value=safe_cell(text))
            if font:
                cell.font = font
            sheet.append([cell])
        sheet.append([])
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        formatted = [formats.get(c) for c in columns]
        for n, row in enumerate(frame.itertuples(index=False, name=None), 1):
            cells = []
            for value, number_format in zip(row, formatted):
                value = xlsx_value(value)
                if number_format and value is not None and not isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = number_format
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
            if progress and n % 1000 == 0:
                progress(1000)
        if progress:
            progress(len(frame) % 1000)
    book.save(path)


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


def frame_to_html(frame: pd.DataFrame, caption: str = "", percent: tuple[str, ...] = ()) -> str:
    """A table with a caption and column headers; `percent` columns as "45%"."""
    shares = [c in percent for c in frame.columns]
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
        for value, share in zip(row, shares):
            cls = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            cells.append(f"<td{cls}>{html.escape(_text(value, share))}</td>")
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
        body.append(frame_to_html(section.printed, caption=section.title, percent=section.percent))
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
        frame = section.printed
        table = Table(title=section.title, title_justify="left")
        for column in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
            table.add_column(str(column), justify="right" if numeric else "left")
        shares = [c in section.percent for c in frame.columns]
        for row in _records(frame.head(max_rows)):
            table.add_row(*(escape(_text(v, share)) for v, share in zip(row, shares)))
        console.print(table)
        if len(frame) > max_rows:
            console.print(f"... and {len(frame) - max_rows} more rows (use --format csv, xlsx or html for all)")
        if section.note:
            console.print(escape(section.note))
