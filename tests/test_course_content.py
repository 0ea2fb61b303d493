"""The shipped course meets the curriculum's promises (issue: the whole course)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from course.content.curriculum import curriculum_markdown
from course.content.images import check_images
from course.content.rules import citation_counts
from course.content.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "care home",
    "care at home",
    "children's residential care",
    "day service",
    "housing support",
    "community social work",
}
CHANNELS = {"public post", "private message", "friend request", "group chat", "photo", "comment", "review"}


def test_modules_in_order(course):
    assert [m.id for m in course.modules.values()] == ["why", "sharing", "boundaries", "protect", "safety", "final"]
    assert [m.title for m in course.modules.values()] == [
        "Why it matters",
        "Sharing information",
        "Maintaining boundaries",
        "Protect yourself",
        "Keeping people safe online",
        "Final assessment",
    ]


def test_enough_scenarios_in_varied_settings_and_channels(course):
    graded = [s for s in course.scenarios() if s.graded]
    assert len(graded) >= 56  # issue 16 added 20 graded scenarios
    assert {s.setting for s in graded} >= SETTINGS
    assert {s.channel for s in graded} >= CHANNELS


def test_every_module_has_a_branch_and_a_grey_area(course):
    for module in course.modules.values():
        assert any(s.branch for s in module.scenarios), module.id
        assert any(c.score == 0.5 for s in module.graded_scenarios for c in s.choices), module.id


def test_every_module_branches_from_a_partly_right_choice(course):
    """Issue 16: in every module a partly-right (0.5) choice also leads to a consequence scenario."""
    for module in course.modules.values():
        branches = {s.id for s in module.scenarios if s.branch}
        assert any(c.score == 0.5 and c.next in branches for s in module.graded_scenarios for c in s.choices), module.id
    assert sum(1 for s in course.scenarios() if s.branch) == 13


def test_every_module_opens_and_closes_properly(course):
    for module in course.modules.values():
        assert module.questions and module.objectives and module.minutes > 0
        assert module.key_points and "differently" in module.reflection.lower()


def test_final_assessment_rules(course):
    final = course.module("final")
    assert len(final.graded_scenarios) >= 10
    assert final.pass_mark == 0.8 and final.feedback == "end"
    sections = {course.policy.points[c].section for s in final.graded_scenarios for ch in s.choices for c in ch.cites}
    assert {"sharing", "boundaries", "protect"} <= sections
    earlier = {s.id for m in course.modules.values() if m.id != "final" for s in m.scenarios}
    assert not earlier & {s.id for s in final.scenarios}


def test_every_point_cited_twice(course):
    assert course.policy.min_scenarios_per_point == 2
    thin = {pid: sids for pid, sids in citation_counts(course).items() if len(sids) < 2}
    assert thin == {}


def test_policy_points_cover_every_code_bullet_and_instruction(course):
    listed = [p for p in course.policy.points.values() if p.kind == "code" and p.listed]
    assert len(listed) == 9  # the nine Code statements the policy lists
    added = {p.id: p.number for p in course.policy.points.values() if p.kind == "code" and not p.listed}
    assert added == {"code-boundaries": "2.8", "code-conflict": "2.6", "code-challenge": "3.1"}
    per_section = {
        s: sum(1 for p in course.policy.points.values() if p.section == s) for s in ("sharing", "boundaries", "protect")
    }
    assert per_section == {"sharing": 3, "boundaries": 4, "protect": 6}


def test_module_zero_explains_code_numbering_once(course):
    why = course.module("why")
    text = " ".join(why.intro)
    assert "2024" in text and "1.5" in text
    others = " ".join(
        s.narrative + " ".join(c.feedback for c in s.choices)
        for m in course.modules.values()
        if m.id != "why"
        for s in m.scenarios
    )
    assert "2016" not in others


def test_curriculum_doc_is_current(course):
    assert (ROOT / "docs" / "CURRICULUM.md").read_text() == curriculum_markdown(course)


def test_curriculum_check_command():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "course"), "curriculum", "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_image_has_alt_text(tmp_path):
    assert check_images(ROOT / "assets") == []
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "new.png").write_bytes(b"\x89PNG")
    (tmp_path / "images.yaml").write_text("images:\n  gone.svg: A picture\n")
    messages = [p.message for p in check_images(tmp_path)]
    assert any("no alt text" in m for m in messages) and any("no such file" in m for m in messages)
    assert validate(assets=tmp_path).problems


def test_svg_images_carry_their_alt_text():
    import yaml

    alts = yaml.safe_load((ROOT / "assets" / "images.yaml").read_text())["images"]
    for name, alt in alts.items():
        assert f'<title id="t">{alt}</title>' in (ROOT / "assets" / "images" / name).read_text()
