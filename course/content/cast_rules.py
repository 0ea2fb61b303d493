"""The cast rules: a name is one person across the course, and that person's facts agree.

`cast.yaml` lists every named person once with an age band, who they are and the settings
they appear in. These rules read each scenario's text for the names it uses and check them
against the cast: an unknown name, a person in a setting they are not in, an age outside
their band, or a death the cast does not record (or a dead person written as alive).
"""

from __future__ import annotations

import re

from course.content.loader import ContentError
from course.content.model import Course, Scenario

# an age said about a person: "who is 15", "turned 18", "aged 84", "(13)", "15-year-old", "90th birthday"
AGE = re.compile(
    r"\b(?:is|turned|turns|aged|age)\s+(\d{1,3})\b(?!\s*(?:minutes|hours|days|weeks|months|people|members|times))"
    r"|\((\d{1,3})\)|\b(\d{1,3})[- ]years?[- ]old\b|\b(\d{1,3})(?:st|nd|rd|th)\s+birthday\b",
    re.I,
)
DEATH = re.compile(r"\b(?:died|dies|has died|passed away|death|funeral|rest in peace|RIP)\b", re.I)
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def scenario_text(scenario: Scenario) -> str:
    """What a learner reads as the story: title, narrative, the mock post, the question."""
    parts = [scenario.title, scenario.narrative, scenario.question]
    if scenario.post:
        parts += [scenario.post.author, scenario.post.text, scenario.post.image]
    return "\n".join(p for p in parts if p)


def all_text(scenario: Scenario) -> str:
    return scenario_text(scenario) + "\n" + "\n".join(f"{c.text}\n{c.feedback}" for c in scenario.choices)


def names_in(text: str, names) -> set[str]:
    return {w for w in re.findall(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b", text) if w in names}


def _sentences_about(text: str, name: str, names) -> list[str]:
    """Sentences naming this person and nobody else (so an age or a death is theirs)."""
    return [s for s in SENTENCE.findall(text) if names_in(s, names) == {name}]


def check_cast(course: Course) -> list[ContentError]:
    cast = course.cast
    if cast is None:
        return []  # loading cast.yaml failed; that problem is already reported
    problems = [
        ContentError(
            cast.path,
            line,
            f"'{name}' is in the cast twice: a name is one person across the course; give the second person a new name",
        )
        for name, line in cast.duplicates
    ]
    people = cast.people
    for module in course.modules.values():
        raw_by_id = {r["id"]: r for r in course.raw_modules[module.id]["scenarios"]}
        for scenario in module.scenarios:
            line = raw_by_id[scenario.id].line
            story, everything = scenario_text(scenario), all_text(scenario)
            for name in sorted(names_in(everything, people)):
                person = people[name]
                if scenario.setting not in person.where:
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            (
                                f"scenario '{scenario.id}' is set in {scenario.setting}, but {name} in cast.yaml "
                                f"(line {person.line}) is in {', '.join(person.where)}: use another person, or add the setting "
                                "if it is truly the same person"
                            ),
                        )
                    )
                low, high = person.age
                for sentence in _sentences_about(story, name, people):
                    for match in AGE.finditer(sentence):
                        age = int(next(g for g in match.groups() if g))
                        if not low <= age <= high:
                            problems.append(
                                ContentError(
                                    module.path,
                                    line,
                                    (
                                        f"scenario '{scenario.id}' makes {name} {age}, but cast.yaml gives {name} the age "
                                        f"band {low}-{high}: a name is one person across the course"
                                    ),
                                )
                            )
                said_dead = any(DEATH.search(s) for s in _sentences_about(everything, name, people))
                if said_dead and not person.died:
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            (
                                f"scenario '{scenario.id}' says {name} has died, but cast.yaml does not (add `died: true`, "
                                "or use a new person)"
                            ),
                        )
                    )
                if person.died and not DEATH.search(story):
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            (
                                f"{name} has died (cast.yaml), but scenario '{scenario.id}' does not say so: "
                                "it reads as if they were alive"
                            ),
                        )
                    )
    return problems
