"""One learner's record of one module attempt: what widgets call to save and restore.

Writes go to the records store first (the source of truth), then, in JupyterLab, to
responses.json beside the learner's notebook (what nbgrader grades there). Nothing is
written on start-up: autograde re-runs the notebook, and a write then would overwrite
the answers it is grading.

Every state change is checked here, not by which buttons a page shows (a hidden button can
still be clicked over the kernel's websocket):
- a page opened with a sign-in token writes only while that token is valid: each write
  first reads the token's one row (`signin_tokens.learner_for`, a primary-key lookup), so a
  sign-out or an expiry in another tab stops this one at once (`SignedOut`);
- nothing is saved into a finished attempt (the store's INSERT ... SELECT refuses it:
  `AttemptFinished`), so a reflection or an answer cannot change after Finish;
- Start again only after this attempt is finished and when the progress rule says the
  module is failed or due again (`start_again`, `course.progress.may_start_again`): not
  after a pass, not mid-attempt, not while the Finish is being marked;
- a page writes only over the attempt it last read (`check_unchanged`, issue 17's second tab):
  when another tab or device has finished it, started a new one, answered a scenario or
  rewritten the reflection since, the write is refused (`ChangedElsewhere`) and the page shows
  where the module stands. The store closes the race behind the check: the first decision
  stands (one read back that differs is refused too), a reflection replaces only the text this
  page saw, and only the Finish that finished the attempt may queue it for marking
  (`take_submission`), so a second tab never sends a second submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from course.assessment.layout import Layout, attempt_layout
from course.content.model import Module
from course.records import responses
from course.records.store import CHANGED_ELSEWHERE, AttemptFinished, ChangedElsewhere, Decision, RecordRefused, Store

SIGNED_OUT = "You are signed out (or your sign-in has expired), so nothing more is saved on this page. Sign in again on the course home"


class SignedOut(RecordRefused):
    """A write from a page whose sign-in has ended."""


class RetakeRefused(RecordRefused):
    """Start again when the rule does not allow it."""


if TYPE_CHECKING:
    from course.content.model import Policy, Scenario


@dataclass
class LearnerRecords:
    learner_id: str
    module: Module
    policy_version: str
    store: Store | None
    responses_path: Path | None = None
    attempt: int = 1
    # the policy's blueprint decides a bank module's draw (course.assessment.layout); None: read it
    # from the content when a bank needs it
    policy: Policy | None = None
    signin_token: str | None = None  # the page's sign-in token: checked before every write
    _decisions: dict[str, Decision] = field(default_factory=dict)
    _reflections: dict[str, str] = field(default_factory=dict)
    _layout: Layout | None = None
    _finished: bool = False  # as this page last read or made it
    _finished_here: bool = False  # this object's Finish finished the attempt
    _submitted: bool = False  # and its one submission was taken (take_submission)

    @classmethod
    def open(
        cls,
        learner_id: str,
        module: Module,
        policy_version: str,
        store: Store | None,
        responses_path: Path | None = None,
        *,
        policy: Policy | None = None,
        signin_token: str | None = None,
    ) -> LearnerRecords:
        records = cls(
            learner_id, module, policy_version, store, responses_path, policy=policy, signin_token=signin_token
        )
        records.reload()
        return records

    @classmethod
    def of_attempt(
        cls,
        learner_id: str,
        module: Module,
        policy_version: str,
        store: Store,
        attempt: int,
        *,
        policy: Policy | None = None,
    ) -> LearnerRecords:
        """One attempt as the store holds it, open or not (what the marker submits after Finish)."""
        records = cls(learner_id, module, policy_version, store, None, attempt, policy=policy)
        records._decisions = store.decisions(learner_id, module.id, attempt)
        records._reflections = store.reflections(learner_id, module.id, attempt)
        return records

    def reload(self) -> None:
        """Read back everything saved for this learner's open attempt."""
        self._layout = None  # the attempt may have changed (Start again): its layout is read afresh
        if self.store is not None:
            self.attempt = self.store.current_attempt(self.learner_id, self.module.id, self.policy_version)
            self._decisions = self.store.decisions(self.learner_id, self.module.id, self.attempt)
            self._reflections = self.store.reflections(self.learner_id, self.module.id, self.attempt)
            self._finished = self.store.finished_at(self.learner_id, self.module.id, self.attempt) is not None
            self._finished_here = self._submitted = False
        elif self.responses_path is not None:
            data = responses.read(self.responses_path) or responses.empty(self.learner_id, self.module.id)
            self.attempt = data.get("attempt", 1)
            self._decisions = {
                sid: Decision(sid, d["choice"], float(d["score"]), d.get("at"))
                for sid, d in data["decisions"].items()
                if isinstance(d, dict) and "choice" in d
            }
            self._reflections = dict(data.get("reflections", {}))

    # --- what this attempt shows ------------------------------------------------------
    @property
    def layout(self) -> Layout:
        """What this attempt shows (items, choice orders): the layout the store recorded for it if
        any, else `attempt_layout`'s, recorded now (the first one recorded stands). Read from a file
        (JupyterLab grading, no store) it is recomputed from the key: a file a learner can edit is
        never what decides which items count."""
        if self._layout is None:
            stored = (
                self.store.layout(self.learner_id, self.module.id, self.attempt) if self.store is not None else None
            )
            if stored is None:
                computed = attempt_layout(self.module, self._policy(), self.learner_id, self.attempt)
                if self.store is not None:
                    stored = self.store.record_layout(
                        self.learner_id, self.module.id, self.attempt, self.policy_version, computed.as_json()
                    )
                else:
                    self._layout = computed
            if stored is not None:
                self._layout = Layout.from_json(stored)
        assert self._layout is not None
        return self._layout

    def _policy(self) -> Policy:
        if self.policy is None:
            from course.content.model import load_course

            self.policy = load_course().policy
        return self.policy

    @property
    def shown_graded(self) -> tuple[str, ...]:
        """The graded scenarios this attempt shows, in order (a bank's drawn items; else every graded one)."""
        graded = {s.id for s in self.module.graded_scenarios}
        return tuple(sid for sid in self.layout.items if sid in graded)

    def shown(self, scenario_id: str) -> Scenario:
        """The scenario with its choices in this attempt's order (what the learner sees)."""
        return self.layout.scenario(self.module, scenario_id)

    # --- reading ------------------------------------------------------------------
    def decision(self, scenario_id: str) -> Decision | None:
        return self._decisions.get(scenario_id)

    @property
    def decisions(self) -> dict[str, Decision]:
        return dict(self._decisions)

    def reflection(self, prompt_id: str) -> str:
        return self._reflections.get(prompt_id, "")

    def score(self) -> float:
        """Points so far on the graded items this attempt shows (a bank: its drawn items only)."""
        graded = set(self.shown_graded)
        return sum(d.score for sid, d in self._decisions.items() if sid in graded)

    def critical_missed(self) -> tuple[str, ...]:
        """The graded `critical: true` scenarios answered with a 0 choice (by the content's score
        of the choice id): course.progress fails such an attempt whatever its score."""
        missed = []
        for scenario in self.module.graded_scenarios:
            decision = self._decisions.get(scenario.id)
            if scenario.critical and decision is not None:
                try:
                    if scenario.choice(decision.choice_id).score == 0:
                        missed.append(scenario.id)
                except KeyError:
                    continue
        return tuple(missed)

    def answered(self) -> int:
        graded = set(self.shown_graded)
        return sum(1 for sid in self._decisions if sid in graded)

    def total(self) -> int:
        """How many graded items this attempt shows: what "3 of 15" and Finish count."""
        return len(self.shown_graded)

    # --- the checks every write goes through -------------------------------------
    def check_signed_in(self) -> None:
        """Refuse (SignedOut) when this page's sign-in token is no longer this learner's valid one."""
        if self.signin_token is None or self.store is None:
            return  # a hub user, or JupyterLab: no sign-in token to end
        from course.records.signin_tokens import learner_for

        if learner_for(self.store, self.signin_token) != self.learner_id:
            raise SignedOut(SIGNED_OUT)

    def _state(self) -> tuple:
        return (self.attempt, self._finished, {s: d.choice_id for s, d in self._decisions.items()}, self._reflections)

    def stored_state(self) -> tuple | None:
        """The attempt as the store holds it now, in `_state`'s shape (None without a store)."""
        if self.store is None:
            return None
        store, learner, module = self.store, self.learner_id, self.module.id
        latest = store.latest_attempt(learner, module)
        return (
            latest if latest is not None else self.attempt,
            store.finished_at(learner, module, self.attempt) is not None,
            {s: d.choice_id for s, d in store.decisions(learner, module, self.attempt).items()},
            store.reflections(learner, module, self.attempt),
        )

    def changed_elsewhere(self) -> bool:
        """Has another tab or device changed this attempt since this page read it? (Four reads.)"""
        stored = self.stored_state()
        return stored is not None and stored != self._state()

    def check_unchanged(self) -> None:
        """Refuse (ChangedElsewhere) a write from a page whose attempt is no longer as it last read
        it: still the newest attempt, finished or not as it thinks, the same answers and reflection."""
        if self.changed_elsewhere():
            raise ChangedElsewhere(CHANGED_ELSEWHERE)

    def finished(self) -> bool:
        return (
            self.store is not None and self.store.finished_at(self.learner_id, self.module.id, self.attempt) is not None
        )

    # --- writing ------------------------------------------------------------------
    def record_decision(self, scenario_id: str, choice_id: str) -> Decision:
        """Save the learner's choice. The first choice stands: later calls return it unchanged.
        Refused after Finish (AttemptFinished) or once signed out (SignedOut)."""
        if scenario_id in self._decisions:
            return self._decisions[scenario_id]
        if scenario_id not in self.layout.choices:
            raise KeyError(f"scenario '{scenario_id}' is not shown in this attempt of '{self.module.id}'")
        choice = self.module.scenario(scenario_id).choice(choice_id)
        self.check_signed_in()
        self.check_unchanged()
        if self.store is not None:
            decision = self.store.record_decision(
                self.learner_id, self.module.id, self.attempt, scenario_id, choice.id, choice.score
            )
            if decision.choice_id != choice.id:  # another tab answered first, after the check above
                raise ChangedElsewhere(CHANGED_ELSEWHERE)
        else:
            from course.records.store import now

            decision = Decision(scenario_id, choice.id, choice.score, now())
        self._decisions[scenario_id] = decision
        if self.responses_path is not None:
            record = {"choice": decision.choice_id, "score": decision.score, "at": _iso(decision.decided_at)}
            responses.update(
                self.responses_path,
                self.learner_id,
                self.module.id,
                self.attempt,
                decision=(scenario_id, record),
                layout=self.layout.as_json(),
                base=self.as_responses(),
            )
        return decision

    def save_reflection(self, prompt_id: str, text: str) -> None:
        """Save the reflection; refused after Finish (AttemptFinished), once signed out (SignedOut),
        or when another tab or device changed the attempt or this reflection (ChangedElsewhere)."""
        self.check_signed_in()
        self.check_unchanged()
        if self.store is not None:
            self.store.save_reflection(
                self.learner_id, self.module.id, self.attempt, prompt_id, text, expected=self.reflection(prompt_id)
            )
        self._reflections[prompt_id] = text
        if self.responses_path is not None:
            responses.update(
                self.responses_path,
                self.learner_id,
                self.module.id,
                self.attempt,
                reflection=(prompt_id, text),
                layout=self.layout.as_json(),
                base=self.as_responses(),
            )

    def finish(self) -> None:
        """Mark this attempt finished (once signed in). Again from this page: nothing changes. From a
        page that did not see the attempt finished, started again or answered elsewhere:
        ChangedElsewhere; a Finish that loses the race to another tab's: AttemptFinished."""
        self.check_signed_in()
        if self._finished_here:
            return
        self.check_unchanged()
        if not self._store().finish_attempt(self.learner_id, self.module.id, self.attempt):
            raise AttemptFinished("This attempt was already finished in another tab or device")
        self._finished = self._finished_here = True

    def take_submission(self) -> bool:
        """True once, for the page whose Finish finished this attempt: only that Finish is queued
        for marking (course.grading.finish.submit), however often Finish is pressed anywhere."""
        if not self._finished_here or self._submitted:
            return False
        self._submitted = True
        return True

    def start_again(self, module_status: str, policy_version: str) -> int:
        """A new attempt, only after this one is finished and when the progress rule's status of
        the module (`module_status`, from course.progress for this learner, read just now) allows
        a retake: failed or due again. Returns the new attempt's number."""
        from course.progress import may_start_again  # the rule; imported here: records sit below it

        self.check_signed_in()
        store = self._store()
        # another tab started again already: this one does not start a third (a Finish made
        # elsewhere is no reason to refuse: a retake needs one, and the rule is read afresh)
        if store.latest_attempt(self.learner_id, self.module.id) not in (None, self.attempt):
            raise ChangedElsewhere(CHANGED_ELSEWHERE)
        if store.finished_at(self.learner_id, self.module.id, self.attempt) is None:
            raise RetakeRefused("This attempt is still open: answer every scenario and press Finish first")
        if not may_start_again(module_status):
            raise RetakeRefused(
                "You can start the module again only after a result that did not pass, or when it is due again"
            )
        store.start_new_attempt(self.learner_id, self.module.id, policy_version)
        self.reload()
        return self.attempt

    def _store(self) -> Store:
        if self.store is None:
            raise RecordRefused("these records come from a file: Finish and Start again need the records store")
        return self.store

    def as_responses(self) -> dict:
        """The whole attempt in responses.json form (also what Voila's Finish submits)."""
        data = responses.empty(self.learner_id, self.module.id, self.attempt)
        data["decisions"] = {
            sid: {"choice": d.choice_id, "score": d.score, "at": _iso(d.decided_at)}
            for sid, d in self._decisions.items()
        }
        data["reflections"] = dict(self._reflections)
        data["layout"] = self.layout.as_json()
        return data


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value
