"""What makes content right, beyond its shape: each rule returns ContentErrors.

Rules read the loaded Course for meaning and the raw YAML (LineDicts) for lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from course.content.loader import ContentError, LineDict, LineList
from course.content.model import Course

MIN_READING_EASE = 60.0

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
URL = re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:com|co\.uk|org|org\.uk|net|scot|uk|io|gov\.uk|ly|me)\b", re.I)
PHONE = re.compile(r"(?:\+\d{2}[\s-]?|\b0)\d(?:[\s-]?\d){8,}\b|\b\d{3,5}[\s-]\d{3}[\s-]?\d{3,4}\b")
HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{2,}")
PERSONAL_DATA = {"an email address": EMAIL, "a web address": URL, "a phone number": PHONE, "an @handle": HANDLE}

NAME_SHAPED = re.compile(r"\b[A-Z][a-z]+(?:[-'’][A-Za-z]+)*\b")
SENTENCE_OPENERS = tuple(".!?:;\"“‘'(…–—-*•")


def walk_strings(node, path=()) -> Iterator[tuple[tuple, str, int | None]]:
    """Every string in a raw YAML tree with its path and line."""
    if isinstance(node, LineDict):
        for key, value in node.items():
            if isinstance(value, str):
                yield path + (key,), value, node.key_lines.get(key)
            else:
                yield from walk_strings(value, path + (key,))
    elif isinstance(node, LineList):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield path + (i,), value, node.line + i if node.line else None
            else:
                yield from walk_strings(value, path + (i,))


def _field(path: tuple) -> str:
    return "/".join(str(p) for p in path)


def _scenario_lines(course: Course):
    """(module, raw scenario LineDict) pairs, in file order."""
    for module in course.modules.values():
        raw = course.raw_modules[module.id]
        for raw_scenario in raw["scenarios"]:
            yield module, raw_scenario


def check_unique_ids(course: Course) -> list[ContentError]:
    problems: list[ContentError] = []
    seen: dict[str, str] = {}
    for module, raw in _scenario_lines(course):
        sid = raw["id"]
        if sid in seen:
            problems.append(ContentError(module.path, raw.line, f"scenario id '{sid}' is also used in {seen[sid]}"))
        else:
            seen[sid] = f"{module.path.name} line {raw.line}"
        choice_ids = Counter(c["id"] for c in raw["choices"])
        for cid, n in choice_ids.items():
            if n > 1:
                problems.append(
                    ContentError(module.path, raw.line, f"scenario '{sid}' has choice id '{cid}' {n} times")
                )
    return problems


def check_sections(course: Course) -> list[ContentError]:
    return [
        ContentError(
            m.path,
            course.raw_modules[m.id].key_lines.get("section"),
            f"section '{m.section}' is not in policy.yaml (known: {', '.join(course.policy.sections)})",
        )
        for m in course.modules.values()
        if m.section not in course.policy.sections
    ]


def check_choices(course: Course) -> list[ContentError]:
    """Citations exist, a best answer exists, feedback is not empty."""
    problems = []
    points = course.policy.points
    for module, raw in _scenario_lines(course):
        scenario = module.scenario(raw["id"])
        if scenario.best_score < 1:
            problems.append(
                ContentError(module.path, raw.line, f"scenario '{scenario.id}' has no best choice (score 1)")
            )
        for choice, raw_choice in zip(scenario.choices, raw["choices"]):
            if not choice.feedback.strip():
                problems.append(
                    ContentError(
                        module.path, raw_choice.line, f"choice '{choice.id}' of '{scenario.id}' has empty feedback"
                    )
                )
            for cite in choice.cites:
                if cite not in points:
                    problems.append(
                        ContentError(
                            module.path,
                            raw_choice.key_lines.get("cites"),
                            f"choice '{choice.id}' of '{scenario.id}' cites unknown policy id '{cite}'",
                        )
                    )
    return problems


def check_branching(course: Course) -> list[ContentError]:
    problems = []
    for module in course.modules.values():
        raw_by_id = {r["id"]: r for r in course.raw_modules[module.id]["scenarios"]}
        ids = {s.id: s for s in module.scenarios}
        reached = set()
        for scenario in module.scenarios:
            for choice, raw_choice in zip(scenario.choices, raw_by_id[scenario.id]["choices"]):
                if not choice.next:
                    continue
                line = raw_choice.key_lines.get("next")
                target = ids.get(choice.next)
                if target is None:
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            f"choice '{choice.id}' of '{scenario.id}' leads to '{choice.next}', which is not a scenario in this module",
                        )
                    )
                elif not target.branch:
                    problems.append(
                        ContentError(
                            module.path, line, f"'{choice.next}' is reached by branching, so it must set `branch: true`"
                        )
                    )
                elif choice.next == scenario.id:
                    problems.append(
                        ContentError(module.path, line, f"choice '{choice.id}' of '{scenario.id}' leads back to itself")
                    )
                else:
                    reached.add(choice.next)
        for scenario in module.scenarios:
            if scenario.branch and scenario.id not in reached:
                problems.append(
                    ContentError(
                        module.path,
                        raw_by_id[scenario.id].line,
                        f"branch scenario '{scenario.id}' is not reached by any choice's `next`",
                    )
                )
        if not module.graded_scenarios:
            problems.append(
                ContentError(
                    module.path,
                    course.raw_modules[module.id].key_lines.get("scenarios", 1),
                    "the module has no graded scenario (all are `branch: true`)",
                )
            )
    return problems


def _without_public_bodies(text: str, bodies) -> str:
    """The text with every named public body blanked out (same length, so positions hold)."""
    for body in sorted(bodies, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(body)}(?![\w])", lambda m: "x" * len(m.group()), text)
    return text


def _names_in(text: str, names, allowed, bodies=()) -> Iterator[str]:
    """Capitalised words inside a sentence that are neither approved names nor allowed words."""
    text = _without_public_bodies(text, bodies)
    for match in NAME_SHAPED.finditer(text):
        word = re.sub(r"['’]s$", "", match.group())
        if word in names or word in allowed or match.group() in allowed:
            continue
        before = text[: match.start()].rstrip()
        if not before or before.endswith(SENTENCE_OPENERS) or before.endswith("\n"):
            continue
        yield word


def check_anonymity(course: Course) -> list[ContentError]:
    """Only approved names; no forbidden places or organisations; no contact details."""
    problems = []
    names, allowed, bodies = course.pseudonyms.names, course.pseudonyms.allowed_words, course.pseudonyms.public_bodies
    forbidden = [(w, re.compile(rf"\b{re.escape(w)}\b", re.I)) for w in course.pseudonyms.forbidden_words]
    for module in course.modules.values():
        for path, text, line in walk_strings(course.raw_modules[module.id]):
            where = _field(path)
            for word in dict.fromkeys(_names_in(text, names, allowed, bodies)):
                problems.append(
                    ContentError(
                        module.path,
                        line,
                        f"{where}: '{word}' looks like a name that is not in the cast (add the person to cast.yaml; if it is not a name, add it to allowed_words in pseudonyms.yaml)",
                    )
                )
            for word, pattern in forbidden:
                if pattern.search(text):
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            f"{where}: '{word}' is a real place or organisation; describe the setting instead",
                        )
                    )
            for what, pattern in PERSONAL_DATA.items():
                found = pattern.search(text)
                if found:
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            f"{where}: '{found.group()}' looks like {what}; scenarios must not contain one",
                        )
                    )
        for raw_s in course.raw_modules[module.id]["scenarios"]:
            author = raw_s.get("post", {}).get("author", "") if isinstance(raw_s.get("post"), dict) else ""
            first = author.split()[0] if author.split() else ""
            if (
                first
                and first[0].isupper()
                and first not in names
                and first not in allowed
                and first not in ("A", "An", "The", "Your", "Someone")
            ):
                problems.append(
                    ContentError(
                        module.path,
                        raw_s["post"].key_lines.get("author"),
                        f"post author '{author}' is not in the cast (cast.yaml), or write a role, e.g. 'A relative'",
                    )
                )
    return problems


def reading_ease(text: str) -> float:
    import textstat  # imported here: loading its dictionaries costs time the learner app does not need

    return float(textstat.flesch_reading_ease(text))


def check_plain_english(course: Course, minimum: float = MIN_READING_EASE) -> list[ContentError]:
    problems = []
    for module, raw in _scenario_lines(course):
        score = reading_ease(raw["narrative"])
        if score < minimum:
            problems.append(
                ContentError(
                    module.path,
                    raw.key_lines.get("narrative"),
                    f"narrative of '{raw['id']}' is hard to read (Flesch reading ease {score:.0f}, needs {minimum:.0f}+): use shorter sentences and words",
                )
            )
        for raw_choice in raw["choices"]:
            score = reading_ease(raw_choice["feedback"])
            if score < minimum:
                problems.append(
                    ContentError(
                        module.path,
                        raw_choice.key_lines.get("feedback"),
                        f"feedback of choice '{raw_choice['id']}' in '{raw['id']}' is hard to read (Flesch reading ease {score:.0f}, needs {minimum:.0f}+)",
                    )
                )
    return problems


def citation_counts(course: Course) -> dict[str, list[str]]:
    """For every policy point, the scenarios that cite it (in any choice)."""
    counts: dict[str, list[str]] = {pid: [] for pid in course.policy.points}
    for scenario in course.scenarios():
        for pid in sorted({c for choice in scenario.choices for c in choice.cites}):
            if pid in counts:
                counts[pid].append(scenario.id)
    return counts


def check_coverage(course: Course) -> list[ContentError]:
    need = course.policy.min_scenarios_per_point
    if not need:
        return []
    raw_points = {p["id"]: p for p in course.policy.raw["points"]}
    return [
        ContentError(
            course.policy.path,
            raw_points[pid].line,
            f"point '{pid}' is cited by {len(sids)} scenario(s); every point needs at least {need}",
        )
        for pid, sids in citation_counts(course).items()
        if len(sids) < need
    ]


def check_completion_modules(course: Course) -> list[ContentError]:
    raw = course.policy.raw["completion"]
    return [
        ContentError(
            course.policy.path,
            raw.key_lines.get("modules"),
            f"completion names module '{mid}', which has no file in modules/",
        )
        for mid in course.policy.completion.get("modules", [])
        if mid not in course.modules
    ]


def check_prerequisites(course: Course) -> list[ContentError]:
    """`completion.prerequisites`: every module named exists, none waits for itself, and no loop
    (a module nobody could ever open)."""
    raw = course.policy.raw["completion"]
    line = raw.key_lines.get("prerequisites")
    given = course.policy.completion.get("prerequisites") or {}
    errors = []
    for mid, before in given.items():
        for name in [mid, *before]:
            if name not in course.modules:
                errors.append(
                    ContentError(
                        course.policy.path, line, f"prerequisites name module '{name}', which has no file in modules/"
                    )
                )
        if mid in before:
            errors.append(ContentError(course.policy.path, line, f"module '{mid}' is its own prerequisite"))

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in given.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    for mid in given:
        if mid not in given.get(mid, ()) and reaches(mid, mid, {mid}):
            errors.append(ContentError(course.policy.path, line, f"prerequisites go round in a loop through '{mid}'"))
    return errors


# --- citation labels ---------------------------------------------------------------------
CODE_LABEL = re.compile(r"^SSSC Code(?: \d+\.\d+(?: \(2016: \d+\.\d+\))?| Part \d+|, principle)$")
CODE_IN_TEXT = re.compile(r"\bCode (?:of Practice )?(\d+\.\d+)(\s*\(2016: (\d+\.\d+)\))?")


def check_citation_labels(course: Course) -> list[ContentError]:
    """Every SSSC Code reference a learner sees reads "Code 1.5 (2016: 1.4)" style.

    Labels come from policy.yaml (`number`, `number_2016`); references written into the
    text must use the 2024 number and, where the 2016 number differs, show it beside.
    """
    problems = []
    raw_points = {p["id"]: p for p in course.policy.raw["points"]}
    old_of = {
        p.number: p.number_2016
        for p in course.policy.points.values()
        if p.kind == "code" and p.number_2016 and p.number_2016 != p.number
    }
    current = {p.number for p in course.policy.points.values() if p.kind == "code"}
    for point in course.policy.points.values():
        if point.kind == "code" and not CODE_LABEL.match(point.label):
            problems.append(
                ContentError(
                    course.policy.path,
                    raw_points[point.id].line,
                    (
                        f"point '{point.id}' would be shown as '{point.label}': a Code citation reads "
                        "'SSSC Code 1.5 (2016: 1.4)', 'SSSC Code 2.3' or 'SSSC Code Part 5' (check `number`)"
                    ),
                )
            )
    for module in course.modules.values():
        for path, text, line in walk_strings(course.raw_modules[module.id]):
            for match in CODE_IN_TEXT.finditer(text):
                number, shown_old = match.group(1), match.group(3)
                if number not in current:
                    hint = next((new for new, old in old_of.items() if old == number), None)
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            (
                                f"{_field(path)}: 'Code {number}' is not a 2024 Code number in policy.yaml"
                                + (f"; write 'Code {hint} (2016: {number})'" if hint else "")
                            ),
                        )
                    )
                elif number in old_of and shown_old != old_of[number]:
                    problems.append(
                        ContentError(
                            module.path,
                            line,
                            (
                                f"{_field(path)}: write 'Code {number} (2016: {old_of[number]})': "
                                "the policy quotes the 2016 number"
                            ),
                        )
                    )
    return problems


# --- short openings ------------------------------------------------------------------------
OVERVIEW_MAX_WORDS = 60  # about one phone screen under the title and the time, before Start


def check_overview(course: Course) -> list[ContentError]:
    problems = []
    for module in course.modules.values():
        raw = course.raw_modules[module.id]
        words = len(module.overview.split())
        if not words:
            problems.append(
                ContentError(
                    module.path,
                    raw.line,
                    (
                        "the module has no `overview`: two or three short sentences a learner reads before Start "
                        "(longer text goes in `intro`, shown as 'More about this module')"
                    ),
                )
            )
        elif words > OVERVIEW_MAX_WORDS:
            problems.append(
                ContentError(
                    module.path,
                    raw.key_lines.get("overview"),
                    (
                        f"the overview has {words} words; keep it to {OVERVIEW_MAX_WORDS} so it fits one phone screen "
                        "(move the rest to `intro`)"
                    ),
                )
            )
    return problems


ALL_RULES = (
    check_unique_ids,
    check_sections,
    check_choices,
    check_branching,
    check_anonymity,
    check_plain_english,
    check_coverage,
    check_completion_modules,
    check_prerequisites,
    check_citation_labels,
    check_overview,
)


def check_course(course: Course) -> list[ContentError]:
    from course.content.assessment_rules import ASSESSMENT_RULES
    from course.content.cast_rules import check_cast  # imported here: both import this module's helpers
    from course.content.help import check_help

    problems = []
    for rule in ALL_RULES + (check_cast, check_help) + ASSESSMENT_RULES:
        problems += rule(course)
    return problems
