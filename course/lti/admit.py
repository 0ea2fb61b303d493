"""A checked launch (course.lti.launch.Launch) let into the course: one set of rules for the course
server (course/server/lti.py) and JupyterHub (course/hub/lti.py).

- `admit`: the learner made or updated (identity "lti"), mapped to the staff list when there is
  one (the registration's `user_claim`), an Instructor granted trainer, and the launch recorded
  (course.records.lti.record_launch: whom the LMS knows them as, the AGS line item when the LMS
  lets the tool publish scores to it, the role), so the marker's outbox can send the mark back;
- `module_to_open`: the module the resource link names, if this course has it (else the home).
"""

from __future__ import annotations

import re

from course.lti.ags import SCORE_SCOPE
from course.lti.launch import Launch, LaunchError
from course.records import lti as lti_records

MODULE_ID = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
NOT_ON_LIST = (
    "This course could not find you on its staff list. Ask your manager to check that you are on it, "
    "then open the course from your learning system again."
)
NOT_ON_LIST_REASON = "not on the staff list (the registration's user_claim)"


def module_to_open(launched: Launch) -> str | None:
    """The launch's module when it is one of this course's; None (the course home) otherwise."""
    module_id = launched.module_id
    if not (module_id and MODULE_ID.match(module_id)):
        return None
    from course.content.model import load_course

    return module_id if module_id in load_course().modules else None


def admit(store, launched: Launch) -> tuple[str, str | None]:
    """(learner id, module to open): the learner made or updated, their role, the launch recorded."""
    from course.records import identity, roster, trainers

    learner_id, name, number = launched.user_id, "", None
    staff_claim = launched.platform.user_claim.startswith("custom.")
    if roster.in_use(store):
        person = roster.person(store, learner_id) if staff_claim else roster.person_by_learner(store, learner_id)
        if person is None:
            raise LaunchError(NOT_ON_LIST, NOT_ON_LIST_REASON)
        learner_id, name, number = person["learner_id"], person["name"], person["staff_number"]
    else:
        try:
            name = identity.person_name(launched.name, required=False)
        except identity.DetailsError:
            name = ""  # the LMS's display name breaks the course's rules: the learner has none here
        number = learner_id if staff_claim else None
    store.ensure_learner(learner_id, name=name, staff_number=number, identity=identity.LTI)
    if launched.role == "trainer":
        trainers.grant(store, learner_id)
    module_id = module_to_open(launched)
    # the line item only when the LMS lets the tool publish scores to it
    lineitem = launched.lineitem if SCORE_SCOPE in launched.ags_scopes else None
    lti_records.record_launch(
        store,
        learner_id,
        module_id or "",
        issuer=launched.platform.issuer,
        client_id=launched.platform.client_id,
        subject=launched.subject,
        lineitem=lineitem,
        role=launched.role,
    )
    return learner_id, module_id
