"""The course stylesheet as a widget, so JupyterLab shows the same look as the Voila theme."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets

CSS_PATH = Path(__file__).with_name("course.css")


@lru_cache(maxsize=1)
def css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def style_widget() -> widgets.HTML:
    return widgets.HTML(f"<style>{css()}</style>", layout=widgets.Layout(display="none"))
