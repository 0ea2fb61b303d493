"""A reflection box: the learner's own words, saved while they type.

Issue 17: a reflection typed on a phone was lost when the tab closed or the phone locked before
the box lost focus (it saved on blur or Save only). Now the box sends every keystroke to the
kernel (continuous_update) and the kernel saves about a second after the last one, on a timer
on the kernel's own event loop (asyncio `call_later`, not a thread: see course.kernel.runtime's
Poller for why). Whatever is still waiting is saved at once when the page says it is being hidden
or closed (`flush`, from the template's script through the module page), and when the kernel
process ends (an atexit hook: Voila shuts a closed page's kernel down with a shutdown request,
after which the interpreter exits normally and runs it).

Leaving the page inside a visit (course.app.visit) closes the box: the words must be in the
kernel first. ipywidgets holds a field's newest value back while an earlier one is unanswered,
so a link clicked right after the last keystroke could reach the kernel before that keystroke.
The kernel marks the box with the value it has (`cm-got-<text_mark>`) and static/visit.js hands
the next address over only once that mark matches the text on screen (as course.js waits for
cm-ack-N before a Check).

The status under the box is quiet: "Saving…", then "Saved." (role=status, announced politely).
A save the records refuse (finished, signed out, changed in another tab) says so plainly and is
not retried; `on_refused(text)` lets the page show where the module stands and the words that
were not saved.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import weakref
from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from course.records.attempt import LearnerRecords
from course.records.store import ChangedElsewhere, StoreError

MAX_LENGTH = 4000
DEBOUNCE_SECONDS = 1.0  # after the last keystroke: one write per pause, not one per key

log = logging.getLogger("course.page")  # course.kernel.runtime's log (widgets sit below it)

SYNC_MARK = "cm-got-"  # + text_mark(the value the kernel has): static/visit.js computes the same


def text_mark(text: str) -> str:
    """A short mark of a text: djb2 over its UTF-16 code units, as JavaScript sees the string
    (static/visit.js textMark), in hexadecimal."""
    data = text.encode("utf-16-le")
    mark = 5381
    for i in range(0, len(data), 2):
        mark = (mark * 33 + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return format(mark, "x")


SAVED = '<p class="cm-status cm-reflection__status" role="status">Saved.</p>'
SAVING = '<p class="cm-status cm-reflection__status" role="status">Saving…</p>'

# every box with words not yet saved, for the kernel's last moments (flush_all)
_waiting: weakref.WeakSet[ReflectionWidget] = weakref.WeakSet()


def flush_all() -> int:
    """Save every box's waiting words now (the kernel is ending); how many boxes saved."""
    saved = 0
    for box in list(_waiting):
        try:
            saved += bool(box.flush())
        except Exception:  # the process is ending: log and go on with the others
            log.exception("could not save a waiting reflection at exit")
    return saved


atexit.register(flush_all)


class ReflectionWidget(widgets.VBox):
    def __init__(
        self,
        records: LearnerRecords,
        prompt: str,
        prompt_id: str = "module",
        *,
        on_refused: Callable[[str], None] | None = None,
        debounce: float = DEBOUNCE_SECONDS,
    ):
        self.records = records
        self.prompt_id = prompt_id
        self.on_refused = on_refused
        self.debounce = debounce
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.prompt = widgets.HTML(
            f'<h3 class="cm-reflection__prompt">{escape(prompt)}</h3>'
            '<p class="cm-status">Only you and your manager can see this. '
            "Do not name anyone you support. It is saved as you type.</p>"
        )
        # a visible label of its own: the prompt above is a heading, which does not name the box
        self.text = widgets.Textarea(
            value=records.reflection(prompt_id),
            placeholder="Write a few lines…",
            continuous_update=True,  # every keystroke reaches the kernel: nothing waits for a blur
            layout=widgets.Layout(width="100%"),
            description="Your reflection",
            style={"description_width": "initial"},
            tooltip=prompt,
        )
        self.text.add_class("cm-field")
        self._mark = SYNC_MARK + text_mark(self.text.value)
        self.text.add_class(self._mark)
        self.save_button = widgets.Button(description="Save my reflection", button_style="primary")
        self.status = widgets.HTML("")
        self.save_button.on_click(lambda _b: self.save())
        self.text.observe(self._typed, names="value")
        super().__init__([self.prompt, self.text, self.save_button, self.status])
        self.add_class("cm-reflection")
        self.add_class("cm-root")

    # --- while typing -----------------------------------------------------------------
    def _typed(self, _change) -> None:
        if self._closed:
            return
        self.text.remove_class(self._mark)  # the page may leave once the mark matches what it shows
        self._mark = SYNC_MARK + text_mark(self.text.value)
        self.text.add_class(self._mark)
        if self.text.disabled:
            return  # a finished attempt's box: nothing to save (the records would refuse it anyway)
        if self.pending:
            self.status.value = SAVING
        self._cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): save at once
            self.save()
            return
        self._timer = loop.call_later(self.debounce, self._timer_fired)
        _waiting.add(self)

    def _timer_fired(self) -> None:
        self._timer = None
        try:
            self.save()
        except Exception:  # a timer's exception would vanish into the loop's log
            log.exception("could not save a reflection")

    def _cancel(self) -> None:
        # the box stays in _waiting until its words are saved (or refused): Voila's shutdown
        # interrupts the kernel (SIGINT) before asking it to stop, which can cut a save short, and
        # the exit hook then saves again
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def pending(self) -> bool:
        """Words in the box that the records do not hold yet."""
        return self.text.value[:MAX_LENGTH] != self.records.reflection(self.prompt_id)

    def flush(self) -> bool | None:
        """Save now what waits for the timer (the page is hidden or closing); None when nothing waited."""
        waiting = self._timer is not None
        self._cancel()
        if self._closed or (not waiting and not self.pending):
            return None
        return self.save()

    def close(self) -> None:
        self._cancel()  # a box taken off the page saves nothing later
        _waiting.discard(self)
        self._closed = True
        super().close()

    # --- saving -----------------------------------------------------------------------
    def save(self) -> bool:
        self._cancel()
        if self._closed:
            return False
        value = self.text.value[:MAX_LENGTH]
        if value == self.records.reflection(self.prompt_id):
            _waiting.discard(self)
            self.status.value = SAVED if value else ""
            return True
        try:
            self.records.save_reflection(self.prompt_id, value)
            _waiting.discard(self)
        except ChangedElsewhere as exc:
            _waiting.discard(self)
            self.status.value = f'<p class="cm-status cm-status--error" role="alert">Not saved: {escape(str(exc))}.</p>'
            if self.on_refused is not None:
                self.on_refused(value)
            return False
        except StoreError as exc:  # RecordRefused too: finished, or signed out (course.records.attempt)
            _waiting.discard(self)
            self.status.value = f'<p class="cm-status cm-status--error" role="alert">Not saved: {escape(str(exc))}.</p>'
            return False
        self.status.value = SAVED
        return True
