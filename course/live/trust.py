"""Who may run a trainer-led session: the one check the trainer page makes in its kernel.

A trainer is a signed-in learner a manager made a trainer (`course roster grant-trainer`,
course.records.trainers), or, on a JupyterHub, a member of the hub group COURSE_TRAINER_GROUP
(read with the manager dashboard's own hub-group code, course.manager.auth.hub_groups). The
sign-in token is checked on every call (a signed-out or expired token stops counting at once),
so the page asks again before each action that needs the credential, not only when it opens.
"""

from __future__ import annotations

from collections.abc import Callable

from course import settings
from course.records import identity, signin_tokens, trainers
from course.records.store import Store

ONLY_TRAINERS = (
    "Only trainers can start a session",
    "Starting a group session needs a trainer's sign-in. Sign in on the course home with your "
    "trainer account and open this page from there, or ask your manager to make you a trainer.",
)


def hub_trainer(user: str) -> bool:
    group = settings.trainer_group()
    if not group:
        return False
    from course.manager.auth import hub_groups  # the dashboard's own reading of hub groups

    groups = hub_groups()
    return groups is not None and group in groups


def trainer_for(store: Store, token: str | None) -> str | None:
    """The trainer's learner id (or hub user) for this page, or None when they may not run sessions."""
    hub = identity.hub_user()
    if hub:
        if hub_trainer(hub):
            return hub
        return hub if trainers.is_trainer(store, hub) else None
    learner = signin_tokens.learner_for(store, token)
    return learner if learner and trainers.is_trainer(store, learner) else None


def credential(store: Store, token: str | None) -> Callable[[], str | None]:
    """A check the trainer page calls before each action: the trainer now, or None."""
    return lambda: trainer_for(store, token)
