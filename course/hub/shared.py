"""The folders every user's server shares, made ready once when the hub starts.

    <shared>/grading/nbgrader_config.py   nbgrader's course root (a copy of the course's
                                          grading/nbgrader_config.py): release/, submitted/,
                                          autograded/, feedback/
    <shared>/notebooks -> the course's notebooks (the config's source directory is ../notebooks)
    <shared>/exchange/                    nbgrader's exchange (NBGRADER_EXCHANGE)
    <shared>/course-content.pickle        the checked content snapshot the app kernels load
    <shared>/var/                         the staff's data folder (certificate key, dashboard)

On Kubernetes <shared> is one ReadWriteMany volume mounted in every pod (deploy/k8s/).
The records store's and the gradebook's tables are created here too: a thousand kernels
creating them at once on PostgreSQL would race.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from course import settings
from course.grading.coursedir import CONFIG_FILE, grading_root
from course.settings import notebooks_dir


def layout(shared: Path) -> dict[str, Path]:
    shared = Path(shared)
    return {
        "grading": shared / "grading",
        "exchange": shared / "exchange",
        "var": shared / "var",
        "snapshot": shared / "course-content.pickle",
        "notebooks": shared / "notebooks",
    }


def prepare(
    shared: Path, env: dict[str, str], modules: list[str] | None = None, force: bool = False
) -> dict[str, Path]:
    """Make the shared folders, the content snapshot and the database tables; release the modules.

    `env` is what the staff's servers get (COURSE_DB_URL, NBGRADER_DB_URL...): the release runs
    with it, in a child process, so the hub's own environment is left alone.
    """
    where = layout(shared)
    for key in ("grading", "var"):
        where[key].mkdir(parents=True, exist_ok=True)
    where["exchange"].mkdir(parents=True, exist_ok=True)
    os.chmod(where["exchange"], 0o1777)  # noqa: S103 - nbgrader's exchange: every learner writes, like /tmp
    shutil.copy2(grading_root() / CONFIG_FILE, where["grading"] / CONFIG_FILE)
    if not where["notebooks"].exists():
        where["notebooks"].symlink_to(notebooks_dir(), target_is_directory=True)
    course = _check_content_and_snapshot(where["snapshot"])
    _upgrade_records(settings.records_db_url(env))
    wanted = modules or list(course.modules)
    missing = [m for m in wanted if force or not (where["grading"] / "release" / m / f"{m}.ipynb").exists()]
    if missing:
        # nbgrader's own API (generate_assignment, release_assignment), in a child process with
        # the staff's environment: nbgrader reads NBGRADER_DB_URL and the exchange from it
        script = (
            "import sys; from course.grading.release import release; "
            "bad = [r for r in release(modules=sys.argv[1:], to_exchange=True) if not r.generated or r.released is False]; "
            "print(*(f'{r.module}: {r.message}' for r in bad), sep='\\n'); sys.exit(1 if bad else 0)"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, *missing], env={**os.environ, **env}, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"releasing the modules failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return where


def _check_content_and_snapshot(path: Path):
    from course.content.model import load_course
    from course.kernel.runtime import write_snapshot

    course = load_course()  # raises on content errors: a hub with broken content must not start
    write_snapshot(course, path)
    return course


def _upgrade_records(db_url: str | None) -> None:
    """Bring the shared records store to this release's schema (what `course db upgrade` does)."""
    from course.records import migrate
    from course.records.store import default_url

    migrate.upgrade(db_url or default_url())


def main(argv: list[str] | None = None) -> None:
    """`python -m course.hub.shared DIR [MODULE...]`: the set-up step on its own (a Kubernetes Job)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m course.hub.shared SHARED_DIR [MODULE ...]")
    shared = Path(args[0])
    env = {
        **os.environ,
        "COURSE_GRADING_DIR": str(layout(shared)["grading"]),
        "NBGRADER_EXCHANGE": str(layout(shared)["exchange"]),
        "COURSE_DATA_DIR": str(layout(shared)["var"]),
    }
    where = prepare(shared, env, modules=args[1:] or None)
    print(f"ready: {where['grading']}")


if __name__ == "__main__":
    main()
