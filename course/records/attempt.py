"""One learner's record of one module attempt: what widgets call to save and restore.

Writes go to the records store first (the source of truth), then, in JupyterLab, to
responses.json beside the learner's notebook (what nbgrader grades there). Nothing is
written on start-up: autograde re-runs the notebook, and a write then would overwrite
the answers it is grading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from course.assessment.layout import Layout, attempt_layout
from course.content.model import Module
from course.records import responses
from course.records.store import Decision, Store

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
    _decisions: dict[str, Decision] = field(default_factory=dict)
    _reflections: dict[str, str] = field(default_factory=dict)
    _layout: Layout | None = None

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
    ) -> LearnerRecords:
        records = cls(learner_id, module, policy_version, store, responses_path, policy=policy)
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

    # --- writing ------------------------------------------------------------------
    def record_decision(self, scenario_id: str, choice_id: str) -> Decision:
        """Save the learner's choice. The first choice stands: later calls return it unchanged."""
        if scenario_id in self._decisions:
            return self._decisions[scenario_id]
        if scenario_id not in self.layout.choices:
            raise KeyError(f"scenario '{scenario_id}' is not shown in this attempt of '{self.module.id}'")
        choice = self.module.scenario(scenario_id).choice(choice_id)
        if self.store is not None:
            decision = self.store.record_decision(
                self.learner_id, self.module.id, self.attempt, scenario_id, choice.id, choice.score
            )
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
        if self.store is not None:
            self.store.save_reflection(self.learner_id, self.module.id, self.attempt, prompt_id, text)
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
