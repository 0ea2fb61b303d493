"""xAPI (Experience API 1.0.3) statements for each completion, for an LMS or learning record store.

One `completed` statement for the course and one `passed` (or `attended`, for a trainer-led
session) for each module, per completion in the certificate register. Statement ids are
UUIDs derived from the certificate id, so sending the same completion twice sends the same
statements (an LRS keeps one). The statements of one completion share a `registration`.

Who: an `account` whose `name` is the staff number and whose `homePage` is your
organisation's staff system (`--homepage` or `COURSE_XAPI_HOMEPAGE`); names are left out
unless asked for. Activity ids start with `COURSE_XAPI_BASE` (set it to an address your
organisation controls; the default is a placeholder under the reserved `.invalid` domain).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from course import settings
from course.manager.certificates import measured

DEFAULT_BASE = "https://social-media-course.invalid/xapi/"
DEFAULT_HOMEPAGE = "https://staff.invalid/"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "attended": "http://adlnet.gov/expapi/verbs/attended",
}
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
COURSE_TITLE = "Social media, confidentiality and boundaries"
NAMESPACE = uuid.UUID("6f1c9a52-3d0b-5c1e-9a43-0e6b2f7d8c11")


def base_iri() -> str:
    base = settings.xapi_base() or DEFAULT_BASE
    return base if base.endswith("/") else base + "/"


def _timestamp(day: str) -> str:
    return date.fromisoformat(day).isoformat() + "T00:00:00Z"


def _score(score, max_score) -> dict | None:
    if not max_score:
        return None
    return {"scaled": round(score / max_score, 4), "raw": score, "min": 0, "max": max_score}


def statements_for(record: dict, course, *, homepage: str | None = None, with_names: bool = False) -> list[dict]:
    """The statements of one completion (a certificate register record)."""
    base = base_iri()
    homepage = homepage or settings.xapi_homepage() or DEFAULT_HOMEPAGE
    actor = {"objectType": "Agent", "account": {"homePage": homepage, "name": record["staff_number"]}}
    if with_names:
        actor["name"] = record["name"]
    registration = str(uuid.uuid5(NAMESPACE, record["certificate_id"]))
    course_activity = {
        "objectType": "Activity",
        "id": base + "course",
        "definition": {
            "type": COURSE_TYPE,
            "name": {"en-GB": COURSE_TITLE},
            "description": {
                "en-GB": f"Training on the {course.policy.title}: sharing "
                "information, maintaining boundaries, protecting yourself."
            },
        },
    }
    extensions = {
        base + "extensions/policy-version": record["policy_version"],
        base + "extensions/certificate-id": record["certificate_id"],
        # time spent from the records (course.learning_time); an older certificate states the estimate
        base + ("extensions/learning-minutes" if measured(record) else "extensions/estimated-minutes"): record[
            "minutes"
        ],
    }
    out = []
    for m in record["modules"]:
        verb = "attended" if m.get("attended") else "passed"
        statement: dict[str, Any] = {
            "id": str(uuid.uuid5(NAMESPACE, f"{record['certificate_id']}/{m['id']}")),
            "actor": actor,
            "verb": {"id": VERBS[verb], "display": {"en-GB": verb}},
            "object": {
                "objectType": "Activity",
                "id": base + "module/" + m["id"],
                "definition": {"type": MODULE_TYPE, "name": {"en-GB": m["title"]}},
            },
            "result": {"success": True, "completion": True},
            "context": {
                "registration": registration,
                "language": "en-GB",
                "contextActivities": {"parent": [{"objectType": "Activity", "id": base + "course"}]},
                "extensions": {base + "extensions/policy-version": record["policy_version"]},
            },
            "timestamp": _timestamp(m["passed_on"]),
        }
        score = _score(m.get("score"), m.get("max_score"))
        if score:
            statement["result"]["score"] = score
        out.append(statement)
    completed: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{record['certificate_id']}/completed")),
        "actor": actor,
        "verb": {"id": VERBS["completed"], "display": {"en-GB": "completed"}},
        "object": course_activity,
        "result": {"success": True, "completion": True},
        "context": {"registration": registration, "language": "en-GB", "extensions": extensions},
        "timestamp": _timestamp(record["completed_on"]),
    }
    score = _score(record.get("score"), record.get("max_score"))
    if score:
        completed["result"]["score"] = score
    out.append(completed)
    return out


def learner_statements(store, course, learner_id: str, **kwargs) -> list[dict]:
    """The statements of the completion the progress rule (course.progress) gives this learner
    (current, or the earlier one they are due to renew), from its certificate in the register;
    none before a completion, or while it is not yet in the register."""
    from course.manager import certificates
    from course.progress import learner_evaluation

    row = learner_evaluation(store, course, learner_id).person(learner_id)
    if row is None or row["completed_on"] != row["completed_on"]:  # NaT: no completion
        return []
    record = certificates.of_completion(store, learner_id, row["completed_on"].date().isoformat())
    return statements_for(record, course, **kwargs) if record else []


def statements(records: list[dict], course, **kwargs) -> list[dict]:
    return [s for record in records for s in statements_for(record, course, **kwargs)]


def to_json(items: list[dict]) -> str:
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
