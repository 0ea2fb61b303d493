"""What one attempt shows: which scenarios, in what order, and each scenario's choices in what order.

Pure functions of the content and a key (learner, module, attempt; or a live session's id), so the
page, the marker and the manager's review compute the same layout without trusting what a browser
or a submitted file says. The records keep a copy of each attempt's layout (what was shown stays
known if the content changes later).

- Choices are shuffled per key and scenario: the same on a reload, different for another learner
  or a retake. Answers are stored by choice id, never by position; the letters a learner sees
  (A, B, C, D) follow the shown order.
- A bank module (`draw:` in its YAML) draws that many of its graded scenarios per attempt, to the
  blueprint in policy.yaml (at least N per section and per kind), and a retake shares at most
  `retake_overlap` of its items with the attempt before (previous draws are recomputed, so the
  rule holds without reading anything back).
- Any other module shows every scenario in the YAML's order (its story is written in that order).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from course.content.model import Module, Policy, Scenario

LETTERS = "ABCDEFGH"
DEFAULT_RETAKE_OVERLAP = 1 / 3


def _rng(*parts: object) -> random.Random:
    """A generator seeded by the parts: stable across processes and Python versions (not hash())."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def attempt_key(learner_id: str, module_id: str, attempt: int) -> str:
    return f"learner:{learner_id}|{module_id}|{attempt}"


def session_key(session_id: str) -> str:
    """A live session: the whole room sees one order (the tally is by choice id)."""
    return f"session:{session_id}"


def choice_order(scenario: Scenario, key: str) -> tuple[str, ...]:
    """The choice ids of `scenario` in the order shown for `key`."""
    ids = [c.id for c in scenario.choices]
    _rng(key, scenario.id, "choices").shuffle(ids)
    return tuple(ids)


def shown_letter(scenario: Scenario, key: str, choice_id: str) -> str:
    """The letter a learner saw beside `choice_id` (A for the first shown)."""
    return LETTERS[choice_order(scenario, key).index(choice_id)]


class BlueprintError(ValueError):
    """The bank cannot satisfy the blueprint (course validate reports the same, with lines)."""


def _max_shared(module: Module, policy: Policy) -> int:
    overlap = float(policy.blueprint.get("retake_overlap", DEFAULT_RETAKE_OVERLAP))
    return math.floor((module.draw or 0) * overlap + 1e-9)


def _draw_one(module: Module, policy: Policy, key: str, previous: tuple[str, ...]) -> tuple[str, ...]:
    """One attempt's items: blueprint minimums first, fresh items before ones the last attempt showed."""
    size = module.draw or 0
    bank = list(module.graded_scenarios)
    rng = _rng(key, "draw")
    rng.shuffle(bank)
    before = set(previous)
    # fresh items first, each group in the shuffled order
    bank.sort(key=lambda s: s.id in before)
    max_shared = _max_shared(module, policy) if previous else size
    chosen: list[Scenario] = []

    def take(candidates) -> bool:
        shared = sum(s.id in before for s in chosen)
        for s in candidates:
            if s in chosen or (s.id in before and shared >= max_shared):
                continue
            chosen.append(s)
            return True
        return False

    blueprint = policy.blueprint
    needs = [("section", k, n) for k, n in blueprint.get("sections", {}).items()]
    needs += [("kind", k, n) for k, n in blueprint.get("kinds", {}).items()]
    for what, value, wanted in needs:
        while sum(getattr(s, what) == value for s in chosen) < wanted:
            if len(chosen) >= size or not take(s for s in bank if getattr(s, what) == value):
                raise BlueprintError(
                    f"module '{module.id}': cannot draw {wanted} item(s) of {what} '{value}' in {size} "
                    f"with at most {max_shared} shared with the previous attempt"
                )
    while len(chosen) < size:
        if not take(bank):
            raise BlueprintError(f"module '{module.id}': the bank has too few items to draw {size}")
    rng.shuffle(chosen)
    return tuple(s.id for s in chosen)


def drawn_items(module: Module, policy: Policy, learner_id: str, attempt: int) -> tuple[str, ...]:
    """The scenario ids attempt `attempt` shows, in order (every scenario, in YAML order, unless a bank)."""
    if not module.is_bank:
        return tuple(s.id for s in module.scenarios)
    previous: tuple[str, ...] = ()
    for n in range(1, attempt + 1):
        previous = _draw_one(module, policy, attempt_key(learner_id, module.id, n), previous)
    return previous


@dataclass(frozen=True)
class Layout:
    """What one attempt showed: the items in order and each item's choice order."""

    key: str
    items: tuple[str, ...]
    choices: dict[str, tuple[str, ...]]

    def as_json(self) -> dict:
        return {"key": self.key, "items": list(self.items), "choices": {k: list(v) for k, v in self.choices.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Layout:
        return cls(str(data["key"]), tuple(data["items"]), {k: tuple(v) for k, v in dict(data["choices"]).items()})


def attempt_layout(module: Module, policy: Policy, learner_id: str, attempt: int) -> Layout:
    """The layout of one learner's attempt. Branch scenarios (follow-ups) get a choice order too."""
    key = attempt_key(learner_id, module.id, attempt)
    items = drawn_items(module, policy, learner_id, attempt)
    shown = set(items)
    for s in module.scenarios:  # follow-ups reached from a shown item are shown too
        if s.branch:
            shown.add(s.id)
    return Layout(key, items, {s.id: choice_order(s, key) for s in module.scenarios if s.id in shown})
