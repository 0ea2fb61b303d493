"""`course validate`: load all content, apply every rule, summarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course.content.images import check_images
from course.content.loader import ContentError
from course.content.model import Course, load_course_collecting
from course.content.rules import check_course
from course.settings import assets_dir


@dataclass
class Report:
    course: Course | None
    problems: list[ContentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def testwise(self) -> dict[str, dict]:
        """Per module: its pass mark and the share each content-blind strategy earns (course.content.balance)."""
        from course.content import balance

        if not self.course:
            return {}
        cues = self.course.policy.cues
        return {
            m.id: {
                "pass_mark": m.pass_mark,
                "strategies": balance.testwise(m, cues),
                "best_is_longest": balance.module_length(m).longest_share,
                "median_length_ratio": balance.module_length(m).median_ratio,
            }
            for m in self.course.modules.values()
            if m.graded_scenarios
        }

    def as_dict(self, testwise: bool = False) -> dict:
        modules: list[dict] = []
        if self.course:
            for m in self.course.modules.values():
                modules.append(
                    {
                        "id": m.id,
                        "title": m.title,
                        "file": str(m.path),
                        "scenarios": len(m.graded_scenarios),
                        "branch_scenarios": len(m.scenarios) - len(m.graded_scenarios),
                        "minutes": m.minutes,
                        "feedback": m.feedback,
                        "pass_mark": m.pass_mark,
                    }
                )
        summary: dict = {
            "ok": self.ok,
            "policy_version": self.course.policy.version if self.course else None,
            "modules": modules,
            "scenarios": sum(int(m["scenarios"]) for m in modules),
            "problems": [{"file": p.path, "line": p.line, "message": p.message} for p in self.problems],
        }
        if testwise:
            summary["testwise"] = self.testwise()
        return summary


def validate(root: Path | None = None, assets: Path | None = None) -> Report:
    course, problems = load_course_collecting(root)
    if course is not None:
        problems += check_course(course)
    problems += check_images(Path(assets) if assets else assets_dir())
    return Report(course, problems)
