"""Course content as objects: load the YAML, check its shape, build Module/Scenario/Choice.

Shape errors (missing fields, wrong types) come from JSON Schema (`course/content/schema/*.json`)
and are reported with the file and line; meaning errors (unknown citation, a name not
on the pseudonym list) are the job of `course.content.rules`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from course.settings import content_dir
from course.content.loader import ContentError, line_of, load_yaml


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

    @property
    def label(self) -> str:
        """How a citation reads to a learner: 'Policy: Sharing information' or 'SSSC Code 2.3'."""
        if self.kind == "code":
            return "SSSC Code" + (f" {self.number}" if self.number and self.number[0].isdigit() else f" ({self.number})")
        if self.kind == "standard":
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
    intro: tuple[str, ...]
    questions: tuple[str, ...]
    objectives: tuple[str, ...]
    key_points: tuple[str, ...]
    reflection: str
    scenarios: tuple[Scenario, ...]
    path: Path

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
        return float(len(self.graded_scenarios))


@dataclass(frozen=True)
class Pseudonyms:
    names: frozenset[str]
    allowed_words: frozenset[str]
    forbidden_words: tuple[str, ...]
    path: Path


@dataclass(frozen=True)
class Course:
    policy: Policy
    pseudonyms: Pseudonyms
    modules: dict[str, Module]  # in course order
    raw_modules: dict[str, dict] = field(repr=False, compare=False, hash=False)

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

@lru_cache(maxsize=None)
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
            raise ContentErrors([ContentError(path, p.line, f"point '{p['id']}' names unknown section '{p['section']}'")])
        points[p["id"]] = Point(
            id=p["id"], section=p["section"], kind=p["kind"], quote=p["quote"], plain=p["plain"],
            source=p.get("source", ""), number=str(p.get("number", "")), number_2016=str(p.get("number_2016", "")),
        )
    return Policy(
        title=data["title"], version=str(data["version"]), updated=str(data["updated"]),
        review_months=data["review_months"], definition=data.get("definition", ""),
        sections=sections, points=points, completion=dict(data["completion"]),
        min_scenarios_per_point=data.get("coverage", {}).get("min_scenarios_per_point", 0),
        path=path, raw=data,
    )


def load_pseudonyms(path: Path) -> Pseudonyms:
    data = _load_checked(path, "pseudonyms")
    return Pseudonyms(
        names=frozenset(data["names"]),
        allowed_words=frozenset(data.get("allowed_words", [])),
        forbidden_words=tuple(data.get("forbidden_words", [])),
        path=path,
    )


def build_module(data: dict, path: Path, default_pass_mark: float) -> Module:
    """Turn a shape-checked module mapping into a Module."""
    scenarios = []
    for s in data["scenarios"]:
        choices = tuple(
            Choice(
                id=c["id"], text=c["text"],
                score=float(c["score"]) if "score" in c else (1.0 if c["correct"] else 0.0),
                feedback=c["feedback"], cites=tuple(c["cites"]), next=c.get("next"),
            )
            for c in s["choices"]
        )
        post = Post(**s["post"]) if s.get("post") else None
        scenarios.append(Scenario(
            id=s["id"], module_id=data["id"], title=s["title"], setting=s["setting"], channel=s["channel"],
            narrative=s["narrative"].strip(), question=s["question"], choices=choices, role=s.get("role", ""),
            post=post, branch=bool(s.get("branch", False)), trainer_notes=tuple(s.get("trainer_notes", [])),
        ))
    return Module(
        id=data["id"], title=data["title"], order=data["order"], section=data["section"],
        minutes=data["minutes"], feedback=data["feedback"],
        pass_mark=float(data.get("pass_mark", default_pass_mark)),
        intro=tuple(data.get("intro", [])), questions=tuple(data["questions"]),
        objectives=tuple(data["objectives"]), key_points=tuple(data["key_points"]),
        reflection=data["reflection"], scenarios=tuple(scenarios), path=path,
    )


def load_course_collecting(root: Path | None = None) -> tuple[Course | None, list[ContentError]]:
    """Load everything, gathering every shape problem instead of stopping at the first."""
    root = Path(root) if root else content_dir()
    problems: list[ContentError] = []
    policy = pseudonyms = None
    try:
        policy = load_policy(root / "policy.yaml")
    except ContentErrors as exc:
        problems += exc.problems
    except ContentError as exc:
        problems.append(exc)
    try:
        pseudonyms = load_pseudonyms(root / "pseudonyms.yaml")
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
            problems.append(ContentError(path, data.key_lines.get("id"), f"module id '{data['id']}' must match the file name '{path.stem}'"))
            continue
        modules.append(build_module(data, path, pass_mark))
        raw[data["id"]] = data
    if policy is None or pseudonyms is None:
        return None, problems
    modules.sort(key=lambda m: (m.order, m.id))
    return Course(policy, pseudonyms, {m.id: m for m in modules}, raw), problems


@lru_cache(maxsize=4)
def _load_cached(root: str) -> Course:
    course, problems = load_course_collecting(Path(root))
    if problems:
        raise ContentErrors(problems)
    return course


def load_course(root: Path | None = None) -> Course:
    """The whole course, or ContentErrors listing every shape problem. Cached per folder."""
    return _load_cached(str(Path(root) if root else content_dir()))
