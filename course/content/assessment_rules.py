"""The rules that keep the assessment honest: no content-blind pass, a bank that can be drawn.

The scoring rule every choice is held to (docs/CONTENT.md says the same):

    1   = what the policy and the SSSC expect;
    0.5 = defensible but late, incomplete or over-cautious (its feedback says what it lacks);
    0   = breaks the policy, the Code or the law, posts about a person, hides a breach or a
          mistake, or leaves someone at risk.

What is measured (course.content.balance) and ruled on here, per module:
- length balance: the best choice is the longest in at most a third of scenarios, and the median
  ratio of its words to the mean of the others is at most 1.25;
- cue balance: of the scenarios whose best choice names a cue (policy.yaml `cues`), at least half
  name one of those cues in a wrong or partly right choice too;
- test-wise strategies: none reaches the module's pass mark;
- critical items: a `critical: true` scenario has a choice scoring 0 (else nothing can fail it);
- a bank (`draw:`): at least twice as many items as it draws, each item's section, kind and points
  known to the policy, and enough items of every section and kind the blueprint asks for that a
  retake can draw a different set.
"""

from __future__ import annotations

from course.content import balance
from course.content.loader import ContentError
from course.content.model import Course, Module

SCORING_RULE = (
    "1 = what the policy and the SSSC expect; 0.5 = defensible but late, incomplete or over-cautious "
    "(its feedback says what it lacks); 0 = breaks the policy, the Code or the law, posts about a person, "
    "hides a breach or a mistake, or leaves someone at risk."
)


def _scenario_line(course: Course, module: Module, scenario_id: str) -> int | None:
    for raw in course.raw_modules[module.id]["scenarios"]:
        if raw["id"] == scenario_id:
            return raw.line
    return None


def _module_line(course: Course, module: Module) -> int | None:
    return course.raw_modules[module.id].key_lines.get("scenarios")


def _listed(course: Course, module: Module, ids: list[str], limit: int = 8) -> str:
    shown = [f"'{sid}' (line {_scenario_line(course, module, sid)})" for sid in ids[:limit]]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def check_length_balance(course: Course) -> list[ContentError]:
    problems = []
    for module in course.modules.values():
        measured = balance.module_length(module)
        if not measured.scenarios:
            continue
        longest = [r.scenario_id for r in measured.scenarios if r.best_is_longest]
        if measured.longest_share > balance.MAX_LONGEST_SHARE:
            problems.append(
                ContentError(
                    module.path,
                    _module_line(course, module),
                    f"module '{module.id}': the best choice is the longest in {len(longest)} of "
                    f"{len(measured.scenarios)} scenarios (at most a third may be): {_listed(course, module, longest)}. "
                    "Make the wrong choices as specific and tempting as the right one; do not pad.",
                )
            )
        if measured.median_ratio > balance.MAX_MEDIAN_RATIO:
            wordy = [r.scenario_id for r in sorted(measured.scenarios, key=lambda r: -r.ratio) if r.ratio > 1.25]
            problems.append(
                ContentError(
                    module.path,
                    _module_line(course, module),
                    f"module '{module.id}': the best choice has {measured.median_ratio:.2f} times the words of the "
                    f"others (median; at most {balance.MAX_MEDIAN_RATIO}). Wordiest: {_listed(course, module, wordy)}.",
                )
            )
    return problems


def check_cue_balance(course: Course) -> list[ContentError]:
    cues = course.policy.cues
    if not cues:
        return []
    problems = []
    for module in course.modules.values():
        share, rows = balance.module_cue_share(module, cues)
        if share is not None and share < balance.MIN_CUE_SHARE:
            alone = [r.scenario_id for r in rows if r.best_cues and not r.shared]
            problems.append(
                ContentError(
                    module.path,
                    _module_line(course, module),
                    f"module '{module.id}': only {share:.0%} of the scenarios whose best choice names a cue word "
                    f"({', '.join(course.policy.cues)}) name it in a wrong or partly right choice too (at least "
                    f"{balance.MIN_CUE_SHARE:.0%} must). The cue gives the answer away in: {_listed(course, module, alone)}.",
                )
            )
    return problems


def check_testwise(course: Course) -> list[ContentError]:
    problems = []
    for module in course.modules.values():
        for strategy, share in balance.testwise(module, course.policy.cues).items():
            if share >= module.pass_mark:
                problems.append(
                    ContentError(
                        module.path,
                        _module_line(course, module),
                        f"module '{module.id}': a learner who never reads the scenarios passes by picking "
                        f"'{strategy}' ({share:.0%}, pass mark {module.pass_mark:.0%}); see `course validate --testwise`",
                    )
                )
    return problems


def check_critical(course: Course) -> list[ContentError]:
    problems = []
    for module in course.modules.values():
        for scenario in module.scenarios:
            if not scenario.critical:
                continue
            line = _scenario_line(course, module, scenario.id)
            if scenario.branch:
                problems.append(
                    ContentError(
                        module.path, line, f"'{scenario.id}' is a follow-up (not graded) so cannot be critical"
                    )
                )
            elif not any(c.score == 0 for c in scenario.choices):
                problems.append(
                    ContentError(module.path, line, f"critical scenario '{scenario.id}' has no choice scoring 0")
                )
    return problems


def check_bank(course: Course) -> list[ContentError]:
    """Item fields the policy must know, and a bank big and varied enough to draw to the blueprint."""
    policy = course.policy
    blueprint = policy.blueprint
    kinds = set(blueprint.get("kinds", {}))
    problems = []
    for module in course.modules.values():
        for scenario in module.scenarios:
            line = _scenario_line(course, module, scenario.id)
            if scenario.section not in policy.sections:
                problems.append(
                    ContentError(
                        module.path, line, f"'{scenario.id}': section '{scenario.section}' is not in policy.yaml"
                    )
                )
            if scenario.kind and scenario.kind not in kinds:
                known = ", ".join(sorted(kinds)) or "none: add `blueprint: kinds:` to policy.yaml"
                problems.append(
                    ContentError(
                        module.path, line, f"'{scenario.id}': kind '{scenario.kind}' is not a blueprint kind ({known})"
                    )
                )
            for point in scenario.points:
                if point not in policy.points:
                    problems.append(
                        ContentError(module.path, line, f"'{scenario.id}': tests unknown policy point '{point}'")
                    )
        if not module.is_bank:
            continue
        where = course.raw_modules[module.id].key_lines.get("draw")
        items = module.graded_scenarios
        draw = module.draw or 0
        if len(items) < 2 * draw:
            problems.append(
                ContentError(
                    module.path,
                    where,
                    f"module '{module.id}' draws {draw} items from a bank of {len(items)}: a bank needs at least "
                    f"twice as many ({2 * draw}) so a retake can draw a different set",
                )
            )
        untagged = [s.id for s in items if not s.points]
        if untagged:
            problems.append(
                ContentError(
                    module.path,
                    where,
                    f"module '{module.id}' is a bank: every item needs `points:` (the policy points it tests); "
                    f"missing in {_listed(course, module, untagged)}",
                )
            )
        needs = [
            ("section", k, n, [s for s in items if s.section == k]) for k, n in blueprint.get("sections", {}).items()
        ]
        needs += [("kind", k, n, [s for s in items if s.kind == k]) for k, n in blueprint.get("kinds", {}).items()]
        for what, key, wanted, have in needs:
            if what == "section" and key not in policy.sections:
                problems.append(
                    ContentError(policy.path, None, f"blueprint: section '{key}' is not one of the policy's sections")
                )
            elif len(have) < 2 * wanted:
                problems.append(
                    ContentError(
                        module.path,
                        where,
                        f"module '{module.id}': the blueprint asks for {wanted} item(s) of {what} '{key}' per attempt; "
                        f"the bank has {len(have)} (at least {2 * wanted} so a retake can differ)",
                    )
                )
        minimum = sum(blueprint.get("sections", {}).values())
        if minimum > draw:
            problems.append(
                ContentError(
                    policy.path,
                    None,
                    f"blueprint: its sections ask for {minimum} items but module '{module.id}' draws {draw}",
                )
            )
    return problems


ASSESSMENT_RULES = (check_length_balance, check_cue_balance, check_testwise, check_critical, check_bank)
