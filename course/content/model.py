"""Course content as objects: load the YAML, check its shape, build Module/Scenario/Choice.

Shape errors (missing fields, wrong types) come from JSON Schema (`course/content/schema/*.json`)
and are reported with the file and line; meaning errors (unknown citation, a name not
on the pseudonym list) are the job of `course.content.rules`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from course.content.loader import ContentError, LineDict, line_of, load_yaml
from course.settings import content_dir

if TYPE_CHECKING:  # jsonschema is imported where content is checked, not where it is loaded
    import jsonschema


@dataclass(frozen=True)
class Point:
    id: str
    section: str
    kind: str
    quote: str
    plain: str
    source: str = ""
    number: str = ""
    number_2016: str = ""
    listed: bool = True  # one of the Code statements the policy itself lists (False: added from REFERENCES)

    @property
    def label(self) -> str:
        """How a citation reads to a learner: 'SSSC Code 1.5 (2016: 1.4)', 'SSSC Code 2.3', 'SSSC Code Part 5'.

        The policy quotes the 2016 Code; learners see the 2024 number, with the 2016 one beside
        it wherever it differs, so a reader holding either edition finds the statement.
        """
        if self.kind == "code":
            if self.number[:1].isdigit():
                old = f" (2016: {self.number_2016})" if self.number_2016 and self.number_2016 != self.number else ""
                return f"SSSC Code {self.number}{old}"
            if self.number.lower() == "principle":
                return "SSSC Code, principle"
            return f"SSSC Code {self.number}".strip()
        if self.kind in ("standard", "law", "guidance"):
            return f"{self.source}".strip()
        return "Policy"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class Policy:
    title: str
    version: str
    updated: str
    review_months: int
    definition: str
    sections: dict[str, Section]
    points: dict[str, Point]
    completion: dict
    min_scenarios_per_point: int
    path: Path
    raw: dict = field(repr=False, compare=False, hash=False)
    # what each attempt of an item-bank module draws: {"sections": {id: n}, "kinds": {kind: n}, "retake_overlap": x}
    blueprint: dict = field(default_factory=dict, compare=False, hash=False)
    cues: tuple[str, ...] = ()  # words that mark a good answer; wrong choices must use them too

    def section_title(self, point_id: str) -> str:
        point = self.points[point_id]
        return self.sections[point.section].title


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    score: float
    feedback: str
    cites: tuple[str, ...]
    next: str | None = None


@dataclass(frozen=True)
class Post:
    kind: str
    text: str
    author: str = ""
    audience: str = ""
    time: str = ""
    image: str = ""
    rating: int | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    module_id: str
    title: str
    setting: str
    channel: str
    narrative: str
    question: str
    choices: tuple[Choice, ...]
    role: str = ""
    post: Post | None = None
    branch: bool = False
    trainer_notes: tuple[str, ...] = ()
    critical: bool = False  # a 0 here fails the module whatever the mean
    points: tuple[str, ...] = ()  # the policy points the item tests (default: the best choice's citations)
    kind: str = ""  # one of the blueprint's kinds (grey-area, ...), or ""
    section: str = ""  # the policy section it belongs to (default: its module's)

    @property
    def tested_points(self) -> tuple[str, ...]:
        """What the item tests: its `points`, else what its best choice cites."""
        if self.points:
            return self.points
        best = max(self.choices, key=lambda c: c.score)
        return best.cites

    def choice(self, choice_id: str) -> Choice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        raise KeyError(f"scenario '{self.id}' has no choice '{choice_id}'")

    @property
    def best_score(self) -> float:
        return max(c.score for c in self.choices)

    @property
    def graded(self) -> bool:
        """Branch-only consequence scenarios are not graded: not every learner sees them."""
        return not self.branch


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    order: int
    section: str
    minutes: int
    feedback: str
    pass_mark: float
    intro: tuple[str, ...]  # "more about this module": shown on request, after the short overview
    questions: tuple[str, ...]
    objectives: tuple[str, ...]
    key_points: tuple[str, ...]
    reflection: str
    scenarios: tuple[Scenario, ...]
    path: Path
    overview: str = ""  # what fits one phone screen before Start
    draw: int | None = None  # an item bank: each attempt shows this many graded scenarios (policy.yaml's blueprint)

    def scenario(self, scenario_id: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        raise KeyError(f"module '{self.id}' has no scenario '{scenario_id}'")

    @property
    def graded_scenarios(self) -> tuple[Scenario, ...]:
        return tuple(s for s in self.scenarios if s.graded)

    @property
    def max_score(self) -> float:
        """Points an attempt can earn: one per graded scenario shown (a bank shows `draw` of them)."""
        return float(self.draw or len(self.graded_scenarios))

    @property
    def is_bank(self) -> bool:
        return self.draw is not None


@dataclass(frozen=True)
class Pseudonyms:
    names: frozenset[str]
    allowed_words: frozenset[str]
    forbidden_words: tuple[str, ...]
    path: Path
    public_bodies: tuple[str, ...] = ()  # real public bodies content may name (the SSSC, the Care Inspectorate...)


@dataclass(frozen=True)
class Person:
    """One named person in the cast (`cast.yaml`): a name is one person across the course."""

    name: str
    age: tuple[int, int]
    who: str
    where: tuple[str, ...]
    died: bool = False
    line: int = 0


@dataclass(frozen=True)
class Cast:
    people: dict[str, Person]
    path: Path
    duplicates: tuple[tuple[str, int], ...] = ()  # (name, line) of every repeated entry


@dataclass(frozen=True)
class Course:
    policy: Policy
    pseudonyms: Pseudonyms
    modules: dict[str, Module]  # in course order
    raw_modules: dict[str, LineDict] = field(repr=False, compare=False, hash=False)
    cast: Cast | None = None

    def module(self, module_id: str) -> Module:
        try:
            return self.modules[module_id]
        except KeyError:
            known = ", ".join(self.modules) or "none"
            raise KeyError(f"unknown module '{module_id}' (modules: {known})") from None

    def scenario(self, scenario_id: str) -> Scenario:
        for module in self.modules.values():
            for scenario in module.scenarios:
                if scenario.id == scenario_id:
                    return scenario
        raise KeyError(f"unknown scenario '{scenario_id}'")

    def scenarios(self) -> list[Scenario]:
        return [s for m in self.modules.values() for s in m.scenarios]


# --- loading ---------------------------------------------------------------------


@cache
def _schema(name: str) -> dict:
    return json.loads((Path(__file__).resolve().parent / "schema" / f"{name}.schema.json").read_text())


def check_shape(data, schema_name: str, path: Path) -> list[ContentError]:
    """Every JSON Schema violation in `data`, as ContentErrors with lines."""
    # imported here, not at the top: jsonschema costs ~2 s and ~20 MB to import, and the
    # learner app's kernels only read content that `course serve` has already checked
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        problems.append(ContentError(path, line_of(data, list(error.absolute_path)) or 1, f"{where}: {_say(error)}"))
    return problems


def _say(error: jsonschema.ValidationError) -> str:
    """jsonschema's messages, reworded where a trainer would not follow them."""
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "oneOf" and isinstance(error.instance, dict) and "feedback" in error.instance:
        return "a choice needs exactly one of `score` (0, 0.5 or 1) or `correct: true/false`"
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"{error.instance!r} is not one of: {allowed}"
    if error.validator == "pattern":
        return f"{error.instance!r} has the wrong form (expected {error.validator_value})"
    return error.message


def _load_checked(path: Path, schema_name: str):
    data = load_yaml(path)
    problems = check_shape(data, schema_name, path)
    if problems:
        raise ContentErrors(problems)
    return data


class ContentErrors(Exception):
    """Several content problems at once (a trainer fixes them in one pass)."""

    def __init__(self, problems: list[ContentError]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_policy(path: Path) -> Policy:
    data = _load_checked(path, "policy")
    sections = {s["id"]: Section(s["id"], s["title"], s.get("summary", "")) for s in data["sections"]}
    points = {}
    for p in data["points"]:
        if p["id"] in points:
            raise ContentErrors([ContentError(path, p.line, f"point id '{p['id']}' is used twice")])
        if p["section"] not in sections:
            raise ContentErrors(
                [ContentError(path, p.line, f"point '{p['id']}' names unknown section '{p['section']}'")]
            )
        points[p["id"]] = Point(
            id=p["id"],
            section=p["section"],
            kind=p["kind"],
            quote=p["quote"],
            plain=p["plain"],
            source=p.get("source", ""),
            number=str(p.get("number", "")),
            number_2016=str(p.get("number_2016", "")),
            listed=bool(p.get("listed", True)),
        )
    return Policy(
        title=data["title"],
        version=str(data["version"]),
        updated=str(data["updated"]),
        review_months=data["review_months"],
        definition=data.get("definition", ""),
        sections=sections,
        points=points,
        completion=dict(data["completion"]),
        min_scenarios_per_point=data.get("coverage", {}).get("min_scenarios_per_point", 0),
        path=path,
        raw=data,
        blueprint=dict(data.get("blueprint", {})),
        cues=tuple(data.get("cues", [])),
    )


def load_cast(path: Path) -> Cast:
    """The cast; a repeated name is kept (first entry wins) and reported by the rules."""
    data = _load_checked(path, "cast")
    people, duplicates = {}, []
    for p in data["people"]:
        if p["name"] in people:
            duplicates.append((p["name"], p.line))
            continue
        low, high = (int(n) for n in p["age"].split("-"))
        if low > high:
            raise ContentErrors(
                [ContentError(path, p.key_lines.get("age"), f"{p['name']}: age band '{p['age']}' runs backwards")]
            )
        people[p["name"]] = Person(
            p["name"], (low, high), p["who"], tuple(p["where"]), bool(p.get("died", False)), p.line
        )
    return Cast(people, path, tuple(duplicates))


def load_pseudonyms(path: Path, cast: Cast | None = None) -> Pseudonyms:
    """Words allowed and refused; the names are the cast's (no second list to keep in step)."""
    data = _load_checked(path, "pseudonyms")
    return Pseudonyms(
        names=frozenset(cast.people) if cast else frozenset(),
        allowed_words=frozenset(data.get("allowed_words", [])),
        forbidden_words=tuple(data.get("forbidden_words", [])),
        path=path,
        public_bodies=tuple(data.get("public_bodies", [])),
    )


def build_module(data: dict, path: Path, default_pass_mark: float) -> Module:
    """Turn a shape-checked module mapping into a Module."""
    scenarios = []
    for s in data["scenarios"]:
        choices = tuple(
            Choice(
                id=c["id"],
                text=c["text"],
                score=float(c["score"]) if "score" in c else (1.0 if c["correct"] else 0.0),
                feedback=c["feedback"],
                cites=tuple(c["cites"]),
                next=c.get("next"),
            )
            for c in s["choices"]
        )
        post = Post(**s["post"]) if s.get("post") else None
        scenarios.append(
            Scenario(
                id=s["id"],
                module_id=data["id"],
                title=s["title"],
                setting=s["setting"],
                channel=s["channel"],
                narrative=s["narrative"].strip(),
                question=s["question"],
                choices=choices,
                role=s.get("role", ""),
                post=post,
                branch=bool(s.get("branch", False)),
                trainer_notes=tuple(s.get("trainer_notes", [])),
                critical=bool(s.get("critical", False)),
                points=tuple(s.get("points", [])),
                kind=s.get("kind", ""),
                section=s.get("section", data["section"]),
            )
        )
    return Module(
        id=data["id"],
        title=data["title"],
        order=data["order"],
        section=data["section"],
        minutes=data["minutes"],
        feedback=data["feedback"],
        pass_mark=float(data.get("pass_mark", default_pass_mark)),
        intro=tuple(data.get("intro", [])),
        questions=tuple(data["questions"]),
        objectives=tuple(data["objectives"]),
        key_points=tuple(data["key_points"]),
        reflection=data["reflection"],
        scenarios=tuple(scenarios),
        path=path,
        overview=" ".join(data.get("overview", "").split()),
        draw=data.get("draw"),
    )


def load_course_collecting(root: Path | None = None) -> tuple[Course | None, list[ContentError]]:
    """Load everything, gathering every shape problem instead of stopping at the first."""
    root = Path(root) if root else content_dir()
    problems: list[ContentError] = []
    policy = pseudonyms = cast = None
    try:
        cast = load_cast(root / "cast.yaml")
    except ContentErrors as exc:
        problems += exc.problems
    except ContentError as exc:
        problems.append(exc)
    try:
        policy = load_policy(root / "policy.yaml")
    except ContentErrors as exc:
        problems += exc.problems
    except ContentError as exc:
        problems.append(exc)
    try:
        pseudonyms = load_pseudonyms(root / "pseudonyms.yaml", cast)
    except ContentErrors as exc:
        problems += exc.problems
    except ContentError as exc:
        problems.append(exc)

    pass_mark = policy.completion.get("pass_mark", 0.8) if policy else 0.8
    modules, raw = [], {}
    module_files = sorted((root / "modules").glob("*.yaml"))
    if not module_files:
        problems.append(ContentError(root / "modules", None, "no module files (*.yaml) found"))
    for path in module_files:
        try:
            data = _load_checked(path, "module")
        except ContentErrors as exc:
            problems += exc.problems
            continue
        except ContentError as exc:
            problems.append(exc)
            continue
        if data["id"] != path.stem:
            problems.append(
                ContentError(
                    path, data.key_lines.get("id"), f"module id '{data['id']}' must match the file name '{path.stem}'"
                )
            )
            continue
        modules.append(build_module(data, path, pass_mark))
        raw[data["id"]] = data
    if policy is None or pseudonyms is None:
        return None, problems
    modules.sort(key=lambda m: (m.order, m.id))
    return Course(policy, pseudonyms, {m.id: m for m in modules}, raw, cast), problems


@lru_cache(maxsize=4)
def _load_cached(root: str) -> Course:
    course, problems = load_course_collecting(Path(root))
    if problems:
        raise ContentErrors(problems)
    # None only when policy or pseudonyms failed to load, and that always adds a problem
    assert course is not None
    return course


def load_course(root: Path | None = None) -> Course:
    """The whole course, or ContentErrors listing every shape problem. Cached per folder."""
    return _load_cached(str(Path(root) if root else content_dir()))
