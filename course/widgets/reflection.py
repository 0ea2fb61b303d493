"""A reflection box: the learner's own words, saved when they press Save or leave the box."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from course.records.attempt import LearnerRecords
from course.records.store import StoreError

MAX_LENGTH = 4000


class ReflectionWidget(widgets.VBox):
    def __init__(self, records: LearnerRecords, prompt: str, prompt_id: str = "module"):
        self.records = records
        self.prompt_id = prompt_id
        self.prompt = widgets.HTML(
            f'<h3 class="cm-reflection__prompt">{escape(prompt)}</h3>'
            '<p class="cm-status">Only you and your manager can see this. '
            "Do not name anyone you support.</p>"
        )
        # a visible label of its own: the prompt above is a heading, which does not name the box
        self.text = widgets.Textarea(
            value=records.reflection(prompt_id),
            placeholder="Write a few lines…",
            continuous_update=False,
            layout=widgets.Layout(width="100%"),
            description="Your reflection",
            style={"description_width": "initial"},
            tooltip=prompt,
        )
        self.text.add_class("cm-field")
        self.save_button = widgets.Button(description="Save my reflection", button_style="primary")
        self.status = widgets.HTML("")
        self.save_button.on_click(lambda _b: self.save())
        # continuous_update=False: this fires when the learner leaves the box, not on every key
        self.text.observe(lambda _change: self.save(), names="value")
        super().__init__([self.prompt, self.text, self.save_button, self.status])
        self.add_class("cm-reflection")
        self.add_class("cm-root")

    def save(self) -> bool:
        value = self.text.value[:MAX_LENGTH]
        if value == self.records.reflection(self.prompt_id):
            self.status.value = '<p class="cm-status" role="status">Saved.</p>' if value else ""
            return True
        try:
            self.records.save_reflection(self.prompt_id, value)
        except StoreError as exc:  # RecordRefused too: finished, or signed out (course.records.attempt)
            self.status.value = f'<p class="cm-status cm-status--error" role="alert">Not saved: {escape(str(exc))}.</p>'
            return False
        self.status.value = '<p class="cm-status" role="status">Saved.</p>'
        return True
