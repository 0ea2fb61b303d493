"""nbgrader course root for the social media course.

The module notebooks in ../notebooks are the source assignments (one folder per module);
everything nbgrader generates here (release/, submitted/, autograded/, feedback/ and the
gradebook) is git-ignored.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "social-media-course")
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = os.path.join("..", "notebooks")
# A server database (PostgreSQL) is needed for several graders at once; with SQLite a
# waiting writer waits up to 60 s for the lock instead of failing at once.
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db") + "?timeout=60"
)

# The exchange (release, fetch, submit, collect) for learners using JupyterLab on this
# machine; on a hub it is a shared volume (NBGRADER_EXCHANGE).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(c.CourseDirectory.root, "exchange"))
os.makedirs(c.Exchange.root, exist_ok=True)

# The learner's answers travel beside the notebook. Autograde copies the source folder's
# files over a submission's; responses.json must never be among them.
# Every module, one per module file of the course's content (course.settings.content_dir: the
# package's, or COURSE_CONTENT_DIR), so a module added in YAML is covered without editing this
# list (a hand-kept list once missed one).
from course.settings import content_dir  # noqa: E402 - after get_config, as nbgrader loads this file

MODULES = sorted(p.stem for p in (content_dir() / "modules").glob("*.yaml"))
c.Autograde.exclude_overwriting = {module: ["responses.json"] for module in MODULES}

# Widgets take a moment to import; a scenario cell never needs long.
c.ExecutePreprocessor.timeout = 120
