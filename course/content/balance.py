"""Can a learner who never read the scenario tell the answer? The measures `course validate` rules on.

Three measures, per module, over its graded scenarios:
- length: is the best choice the longest, and how many times the words of the others' mean is it;
- cues: do the words that mark a good answer (policy.yaml `cues`: manager, report, record...)
  also appear in choices that are wrong or partly right, or only in the best one;
- test-wise strategies: the share of a module's points that a content-blind learner earns by
  always picking the longest, the shortest, the choice with most cue words, a fixed letter
  (in the order the YAML lists them; learners see a shuffled order), and a random guess's expectation.

Pure functions of the loaded content: no I/O, so the rules, the CLI and the tests share them.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from course.content.model import Choice, Module, Scenario

WORD = re.compile(r"[\w'’-]+")

MAX_LONGEST_SHARE = 1 / 3  # the best choice may be the longest in at most a third of scenarios
MAX_MEDIAN_RATIO = 1.25  # median (best choice's words / mean words of the others)
MIN_CUE_SHARE = 0.5  # of scenarios whose best choice names a cue, at least half name it in another choice too


def words(text: str) -> int:
    return len(WORD.findall(text))


def _best(scenario: Scenario) -> Choice:
    return max(scenario.choices, key=lambda c: c.score)


def cue_pattern(cue: str) -> re.Pattern[str]:
    """A cue matches as a word start: 'report' matches 'reports' and 'reporting', not 'support'."""
    return re.compile(r"\b" + re.escape(cue.lower()), re.I)


def cues_in(text: str, cues: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c for c in cues if cue_pattern(c).search(text))


@dataclass(frozen=True)
class LengthBalance:
    scenario_id: str
    best_is_longest: bool
    ratio: float  # best choice's words / mean words of the others


def length_balance(scenario: Scenario) -> LengthBalance:
    best = _best(scenario)
    others = [words(c.text) for c in scenario.choices if c is not best]
    mean_others = sum(others) / len(others) if others else 1
    best_words = words(best.text)
    # a tie for longest counts as longest: a test-wise learner picking "a longest" gets it half the time
    return LengthBalance(scenario.id, best_words >= max(others, default=0), best_words / max(mean_others, 1))


@dataclass(frozen=True)
class ModuleLength:
    longest_share: float
    median_ratio: float
    scenarios: tuple[LengthBalance, ...]


def module_length(module: Module) -> ModuleLength:
    rows = tuple(length_balance(s) for s in module.graded_scenarios)
    if not rows:
        return ModuleLength(0.0, 0.0, ())
    return ModuleLength(
        sum(r.best_is_longest for r in rows) / len(rows), statistics.median(r.ratio for r in rows), rows
    )


@dataclass(frozen=True)
class CueBalance:
    scenario_id: str
    best_cues: frozenset[str]  # cues the best choice names
    shared: bool  # some cue of the best choice also appears in a wrong or partly right choice


def cue_balance(scenario: Scenario, cues: tuple[str, ...]) -> CueBalance:
    best = _best(scenario)
    best_cues = cues_in(best.text, cues)
    other_cues: frozenset[str] = frozenset().union(
        *(cues_in(c.text, cues) for c in scenario.choices if c.score < best.score)
    )
    return CueBalance(scenario.id, best_cues, bool(best_cues & other_cues))


def module_cue_share(module: Module, cues: tuple[str, ...]) -> tuple[float | None, tuple[CueBalance, ...]]:
    """Share of the scenarios whose best choice names a cue that name it in another choice too (None: none do)."""
    rows = tuple(cue_balance(s, cues) for s in module.graded_scenarios)
    cued = [r for r in rows if r.best_cues]
    return (sum(r.shared for r in cued) / len(cued) if cued else None), rows


# --- content-blind strategies ------------------------------------------------------------------


def _longest(s: Scenario, cues: tuple[str, ...]) -> Choice:
    return max(s.choices, key=lambda c: words(c.text))


def _shortest(s: Scenario, cues: tuple[str, ...]) -> Choice:
    return min(s.choices, key=lambda c: words(c.text))


def _most_cues(s: Scenario, cues: tuple[str, ...]) -> Choice:
    """The choice naming most cue words, the longest of those: 'pick the one that tells a manager'."""
    return max(s.choices, key=lambda c: (len(cues_in(c.text, cues)), words(c.text)))


def _position(index: int):
    def pick(s: Scenario, cues: tuple[str, ...]) -> Choice:
        return s.choices[min(index, len(s.choices) - 1)]

    return pick


STRATEGIES = {
    "longest": _longest,
    "shortest": _shortest,
    "cue words": _most_cues,
    **{f"always {letter}": _position(i) for i, letter in enumerate("abcd")},
}


def testwise(module: Module, cues: tuple[str, ...]) -> dict[str, float]:
    """Share of the module's points each content-blind strategy earns (0 to 1), and a random guess's expectation.

    A bank module is measured over the whole bank: every item is equally likely to be drawn, so the
    expected share of any attempt is the bank's.
    """
    scenarios = module.graded_scenarios
    if not scenarios:
        return {}
    shares = {name: sum(pick(s, cues).score for s in scenarios) / len(scenarios) for name, pick in STRATEGIES.items()}
    shares["random guess"] = sum(sum(c.score for c in s.choices) / len(s.choices) for s in scenarios) / len(scenarios)
    return shares
