"""What each user's single-user server gets: a home folder with the app, and its environment.

Learners get the two app notebooks (Voila renders `home.ipynb` as the server's default
page) and only what the app needs: the records store's URL and the shared course root to
submit into. Staff (the hub groups in `staff_groups`, managers and trainers) also get the
manager dashboard notebook, the nbgrader gradebook's URL and an nbgrader config pointing
at the shared course root, so `course grade`, `course report` and nbgrader's formgrader
work in their server. A learner's server never holds the gradebook's URL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from course.app.notebooks import write_app_notebooks
from course.hub.shared import layout
from course.settings import assets_dir, notebooks_dir

HOME_PAGE = "/voila/render/home.ipynb"
DASHBOARD = "manager/dashboard.ipynb"


def staff_group(groups: list[str], staff_groups: list[str]) -> str | None:
    """The first staff group the user is in (the dashboard lets members of this group in)."""
    return next((g for g in staff_groups if g in groups), None)


def prepare_home(home: Path, shared: Path, staff: bool) -> Path:
    """Make (or refresh) a user's home: app notebooks, staff extras."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    write_app_notebooks(home)  # rewritten only when changed
    dashboard = home / DASHBOARD
    if staff:
        dashboard.parent.mkdir(exist_ok=True)
        shutil.copy2(Path(notebooks_dir()) / DASHBOARD, dashboard)
        # formgrader wants the course root inside the server's root folder: link it into the home
        for name in ("grading", "notebooks"):
            link = home / name
            if not link.is_symlink():
                link.symlink_to(layout(shared)[name], target_is_directory=True)
        # formgrader and nbgrader's commands read nbgrader_config.py from the working folder
        (home / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(home / 'grading' / 'nbgrader_config.py')!r})  # noqa: F821 - the shared course root\n"
        )
    else:
        dashboard.unlink(missing_ok=True)  # someone who left the staff groups loses the copy too
        # a group session is run by a trainer; learners join it (join.ipynb), never run one
        (home / "trainer.ipynb").unlink(missing_ok=True)
    return home


def environment(
    home: Path | None,
    shared: Path,
    db_url: str,
    gradebook_url: str,
    staff_group_name: str | None,
    groups: list[str],
    lti_platforms: str = "",
) -> dict[str, str]:
    where = layout(shared)
    env = {
        "COURSE_HUB_SHARED": str(shared),
        "COURSE_DB_URL": db_url,
        "COURSE_GRADING_DIR": str(where["grading"]),
        "COURSE_APP_SNAPSHOT": str(where["snapshot"]),
        "NBGRADER_EXCHANGE": str(where["exchange"]),
        **({"COURSE_DATA_DIR": str(Path(home) / "var"), "IPYTHONDIR": str(Path(home) / ".ipython")} if home else {}),
        "JUPYTER_PATH": str(assets_dir()),  # the course's Voila template
        "JUPYTERHUB_GROUPS": ",".join(groups),  # course.manager.auth reads it
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "MPLBACKEND": "Agg",
    }
    if staff_group_name:
        env.update(
            {
                "NBGRADER_DB_URL": gradebook_url,
                "COURSE_DATA_DIR": str(where["var"]),  # one certificate key for every manager
                "COURSE_MANAGER_GROUP": staff_group_name,
                # the LMS registrations, for the marker's outbox and `course lti status` (LTI 1.3 on the hub)
                **({"COURSE_LTI_PLATFORMS": lti_platforms} if lti_platforms else {}),
            }
        )
    return env
