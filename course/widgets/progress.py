"""Module progress: how many scenarios answered, as a native, labelled <progress> bar."""

from __future__ import annotations

import ipywidgets as widgets

from course.records.attempt import LearnerRecords


class ProgressWidget(widgets.HTML):
    def __init__(self, records: LearnerRecords, show_score: bool = True, **kwargs):
        super().__init__(**kwargs)  # e.g. a shared layout and style: fewer widget models to load
        self.records = records
        self.show_score = show_score
        self.add_class("cm-root")
        self.refresh()

    @property
    def answered(self) -> int:
        return self.records.answered()

    @property
    def total(self) -> int:
        return self.records.total()  # the items this attempt shows (a bank: those drawn)

    def refresh(self) -> None:
        done, total = self.answered, self.total
        score = ""
        if self.show_score and done:
            score = f" · score so far {self.records.score():g} of {done:g}"
        self.value = (
            f'<div class="cm-progress"><label for="cm-progress-{self.records.module.id}">'
            f"{done} of {total} scenarios answered{score}</label>"
            f'<progress id="cm-progress-{self.records.module.id}" max="{total}" value="{done}">'
            f"{done} of {total}</progress></div>"
        )
