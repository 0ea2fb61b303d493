"""One learner's record of one module attempt: what widgets call to save and restore.

Writes go to the records store first (the source of truth), then, in JupyterLab, to
responses.json beside the learner's notebook (what nbgrader grades there). Nothing is
written on start-up: autograde re-runs the notebook, and a write then would overwrite
the answers it is grading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course.content.model import Module
from course.records import responses
from course.records.store import Decision, Store


@dataclass
class LearnerRecords:
    learner_id: str
    module: Module
    policy_version: str
    store: Store | None
    responses_path: Path | None = None
    attempt: int = 1
    _decisions: dict[str, Decision] = field(default_factory=dict)
    _reflections: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        learner_id: str,
        module: Module,
        policy_version: str,
        store: Store | None,
        responses_path: Path | None = None,
    ) -> LearnerRecords:
        records = cls(learner_id, module, policy_version, store, responses_path)
        records.reload()
        return records

    @classmethod
    def of_attempt(
        cls, learner_id: str, module: Module, policy_version: str, store: Store, attempt: int
    ) -> LearnerRecords:
        """One attempt as the store holds it, open or not (what the marker submits after Finish)."""
        records = cls(learner_id, module, policy_version, store, None, attempt)
        records._decisions = store.decisions(learner_id, module.id, attempt)
        records._reflections = store.reflections(learner_id, module.id, attempt)
        return records

    def reload(self) -> None:
        """Read back everything saved for this learner's open attempt."""
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

    # --- reading ------------------------------------------------------------------
    def decision(self, scenario_id: str) -> Decision | None:
        return self._decisions.get(scenario_id)

    @property
    def decisions(self) -> dict[str, Decision]:
        return dict(self._decisions)

    def reflection(self, prompt_id: str) -> str:
        return self._reflections.get(prompt_id, "")

    def score(self) -> float:
        graded = {s.id for s in self.module.graded_scenarios}
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
        graded = {s.id for s in self.module.graded_scenarios}
        return sum(1 for sid in self._decisions if sid in graded)

    # --- writing ------------------------------------------------------------------
    def record_decision(self, scenario_id: str, choice_id: str) -> Decision:
        """Save the learner's choice. The first choice stands: later calls return it unchanged."""
        if scenario_id in self._decisions:
            return self._decisions[scenario_id]
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
        return data


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value
