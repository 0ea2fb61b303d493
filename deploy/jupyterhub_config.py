"""JupyterHub for the course: every learner gets their own server running the Voila app.

    jupyterhub -f deploy/jupyterhub_config.py

Learners log in to the hub, get a single-user server (`python -m course.hub.start`:
jupyterhub-singleuser with Voila as a server extension) and land on the course home
(`/user/<name>/voila/render/home.ipynb`); the hub user is the learner (JUPYTERHUB_USER),
so there is no separate sign-in. Finish queues the finished attempt for marking; the
marker builds nbgrader's submission from the records store in the shared course root. Members of the hub groups `managers` and `trainers` (course roles
`course-manager` and `course-trainer`) also get the manager dashboard
(`/user/<name>/voila/render/manager/dashboard.ipynb`), nbgrader's formgrader, a terminal
for `course grade` / `course report`, and the gradebook's URL; learners get none of these,
and the dashboard refuses anyone outside those groups. A managed service, `course-grader`,
grades each Finish as it arrives (`course grade --watch`).

Everything site-specific comes from the environment (docs/DEPLOY.md has the list):

    COURSE_DB_URL, NBGRADER_DB_URL   PostgreSQL URLs (required; SQLite only for a demo)
    COURSE_HUB_STATE                 the hub's own folder (its SQLite database, cookie secret, homes)
    COURSE_HUB_SHARED                the folder every server shares (default STATE/shared)
    COURSE_HUB_IP, COURSE_HUB_PORT   where the hub is reached (default 127.0.0.1:8000)
    COURSE_HUB_AUTHENTICATOR         "dummy" only for tests and demos; "lti13" for launches from an
                                     LMS (LTI 1.3, course/hub/lti.py; docs/LTI.md); otherwise a real
                                     one (e.g. "generic-oauth", "azuread"; configured in a site file)
    COURSE_LTI_PLATFORMS             with "lti13": the LMS registration file (the course server's too)
    COURSE_HUB_MANAGERS, COURSE_HUB_TRAINERS, COURSE_HUB_ADMINS   comma-separated hub user names
    COURSE_HUB_MODULES               modules to release at start (default: all)
    COURSE_HUB_GRADER                "0" to leave grading to managers (`course grade`)
    COURSE_HUB_SITE_CONFIG           an extra config file loaded last (authenticator settings...)
    COURSE_HUB_MODE                  "shared": no server per learner, one course service (below)
    COURSE_HUB_SERVICE_PORT          shared mode: the course service's port on 127.0.0.1 (default 8870)
    COURSE_HUB_POOL_SIZE             shared mode: ready kernels per page type (default 2)

On Kubernetes (Zero to JupyterHub) this file is not used as is: deploy/k8s/values.yaml
sets the same things through the chart.
"""

import os
import shutil
import sys
from pathlib import Path

from course import settings as course_settings
from course.hub import shared as course_shared
from course.hub import spawn as course_spawn

c = get_config()  # noqa: F821 - provided by JupyterHub

env = os.environ
STATE = Path(env.get("COURSE_HUB_STATE", "/srv/course-hub")).resolve()
SHARED = Path(env.get("COURSE_HUB_SHARED", STATE / "shared")).resolve()
HOMES = STATE / "homes"
IP = env.get("COURSE_HUB_IP", "127.0.0.1")
PORT = int(env.get("COURSE_HUB_PORT", "8000"))
DB_URL = env.get("COURSE_DB_URL", "")
GRADEBOOK_URL = env.get("NBGRADER_DB_URL", "")
STAFF_GROUPS = ["managers", "trainers"]
BIN = Path(sys.executable).parent
GRADER = env.get("COURSE_HUB_GRADER", "1") != "0"
LTI_PLATFORMS = env.get("COURSE_LTI_PLATFORMS", "")


def names(variable):
    return [n.strip() for n in env.get(variable, "").split(",") if n.strip()]


if not (DB_URL and GRADEBOOK_URL):
    raise SystemExit("COURSE_DB_URL and NBGRADER_DB_URL must be set (PostgreSQL URLs; see docs/DEPLOY.md)")
for folder in (STATE, HOMES):
    folder.mkdir(parents=True, exist_ok=True)

# --- the hub itself: its own small database (SQLite is fine), bound where asked ------------
c.JupyterHub.db_url = env.get("COURSE_HUB_DB_URL", f"sqlite:///{STATE / 'jupyterhub.sqlite'}")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env.get("COURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('COURSE_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [
    env.get("COURSE_HUB_PROXY") or shutil.which("configurable-http-proxy") or "configurable-http-proxy"
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True  # a stopped hub stops its users' servers too (local processes)

# --- who may log in ----------------------------------------------------------------------------
authenticator = env.get("COURSE_HUB_AUTHENTICATOR", "")
if not authenticator:
    raise SystemExit(
        "set COURSE_HUB_AUTHENTICATOR: 'dummy' for a demo or test, or your organisation's (see docs/DEPLOY.md)"
    )
LTI = authenticator == "lti13"
if LTI:
    # the LMS signs people in and says who is staff: hub groups follow its roles on every launch
    from course.hub import lti as course_lti

    if not LTI_PLATFORMS:
        raise SystemExit(
            "COURSE_HUB_AUTHENTICATOR=lti13 needs COURSE_LTI_PLATFORMS, the LMS registration (docs/LTI.md)"
        )
    course_lti.configure(c, course_shared.layout(SHARED)["var"], *STAFF_GROUPS)
else:
    c.JupyterHub.authenticator_class = authenticator
if authenticator == "dummy":
    # any name, no password: anyone could log in as a manager. Only ever on this machine.
    if IP not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the dummy authenticator is for tests and demos on 127.0.0.1 only")
    c.DummyAuthenticator.allow_all = True
c.Authenticator.admin_users = set(names("COURSE_HUB_ADMINS"))

# --- managers and trainers: hub groups, each with a role ---------------------------------------
if not LTI:  # with LTI the launches set the groups (a hub refuses both at once)
    c.JupyterHub.load_groups = {
        "managers": {"users": names("COURSE_HUB_MANAGERS")},
        "trainers": {"users": names("COURSE_HUB_TRAINERS")},
    }
c.JupyterHub.load_roles = [
    # staff see who is on the hub (names, groups, activity); learners see only themselves
    {
        "name": "course-manager",
        "description": "Grades, reports and the manager dashboard",
        "groups": ["managers"],
        "scopes": ["read:users:name", "read:users:activity", "read:groups", "list:users"],
    },
    {
        "name": "course-trainer",
        "description": "Group sessions, reports and the manager dashboard",
        "groups": ["trainers"],
        "scopes": ["read:users:name", "read:groups", "list:users"],
    },
]

# --- the learners' servers ---------------------------------------------------------------------
c.JupyterHub.spawner_class = env.get("COURSE_HUB_SPAWNER", "simple")
if c.JupyterHub.spawner_class == "simple":
    # every user runs as this system user, each in their own home: one machine, tests and
    # demos. A real site uses KubeSpawner (deploy/k8s/) or SystemdSpawner.
    c.SimpleLocalProcessSpawner.home_dir_template = str(HOMES / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "course.hub.start"]
c.Spawner.default_url = course_spawn.HOME_PAGE
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = int(env.get("COURSE_HUB_START_TIMEOUT", "120"))
c.Spawner.http_timeout = int(env.get("COURSE_HUB_START_TIMEOUT", "120"))
if env.get("COURSE_HUB_MEM_LIMIT"):
    c.Spawner.mem_limit = env["COURSE_HUB_MEM_LIMIT"]  # enforced by KubeSpawner and SystemdSpawner
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH", "NODE_PATH"]


def pre_spawn_hook(spawner):
    """Each server's environment: the store for everyone; the gradebook and dashboard for staff."""
    groups = sorted(g.name for g in spawner.user.groups)
    group = course_spawn.staff_group(groups, STAFF_GROUPS)
    home = Path(getattr(spawner, "home_dir", "") or HOMES / spawner.user.name)
    spawner.environment = {
        **spawner.environment,
        **course_spawn.environment(home, SHARED, DB_URL, GRADEBOOK_URL, group, groups, LTI_PLATFORMS),
        # with the grader running, Finish waits a few seconds and shows the mark
        "COURSE_GRADE_ON_FINISH": "1" if GRADER else "0",
    }


c.Spawner.pre_spawn_hook = pre_spawn_hook

# --- shared folders, tables and released modules, once, before anyone logs in ----------------
STAFF_ENV = course_spawn.environment(None, SHARED, DB_URL, GRADEBOOK_URL, "managers", ["managers"], LTI_PLATFORMS)
course_shared.prepare(SHARED, STAFF_ENV, modules=names("COURSE_HUB_MODULES") or None)

# --- grading each Finish as it arrives (a hub-managed process, restarted if it dies) ----------
if GRADER:
    c.JupyterHub.services = [
        {
            "name": "course-grader",
            # `course grade --watch`, through the Python API (the same loop, one interpreter)
            "command": [sys.executable, "-c", "from course.grading.worker import run; run()"],
            "environment": {**STAFF_ENV, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"},
            "cwd": str(SHARED),
            "display": False,
        }
    ]

# --- shared mode (COURSE_HUB_MODE=shared): one course server for all learners, no spawns -------
# The hub signs learners in and sends them to the course service at /services/course/ (the
# course's own Voila server, course.hub.service), which asks the hub who each request is (OAuth)
# and hands that to the page's kernel. Learners get no single-user server. Per-user mode stays
# the default. docs/DEPLOY.md: "Shared mode".
if course_settings.hub_mode() == "shared":
    from course.hub.service import SERVICE_NAME

    SERVICE_HOME = STATE / "course-service"  # the service's own data folder (its config, the app notebooks)
    SERVICE_HOME.mkdir(parents=True, exist_ok=True)
    c.JupyterHub.services = [
        *(c.JupyterHub.services if GRADER else []),
        {
            "name": SERVICE_NAME,
            "url": f"http://127.0.0.1:{int(env.get('COURSE_HUB_SERVICE_PORT', '8870'))}",
            "command": [sys.executable, "-m", "course.hub.service"],
            "environment": {
                **course_spawn.environment(SERVICE_HOME, SHARED, DB_URL, GRADEBOOK_URL, None, []),
                "COURSE_HUB_MODE": "shared",
                "COURSE_GRADE_ON_FINISH": "1" if GRADER else "0",
                "COURSE_HUB_POOL_SIZE": env.get("COURSE_HUB_POOL_SIZE", "2"),
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                **{k: env[k] for k in ("LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH") if k in env},
            },
            "cwd": str(SERVICE_HOME),
            "oauth_no_confirm": True,  # the course is the hub's own: no "authorize this service?" page
            "display": False,
        },
    ]
    # every hub user may open the course (the service checks this scope on each request)
    c.JupyterHub.extra_user_scopes = {f"access:services!service={SERVICE_NAME}"}
    c.JupyterHub.default_url = f"/services/{SERVICE_NAME}/"  # after login: the course home, no spawn

    def shared_pre_spawn_hook(spawner):
        """Staff keep their own servers (dashboard, formgrader, terminal); a learner's is refused."""
        if course_spawn.staff_group(sorted(g.name for g in spawner.user.groups), STAFF_GROUPS) is None:
            from tornado.web import HTTPError

            raise HTTPError(403, f"On this hub the course is at /services/{SERVICE_NAME}/: learners need no server.")
        pre_spawn_hook(spawner)

    c.Spawner.pre_spawn_hook = shared_pre_spawn_hook

# --- idle servers are stopped (culler) ---------------------------------------------------------
# Voila culls idle kernels inside each server (course.hub.start); stopping whole idle servers
# is jupyterhub-idle-culler's job: built into Zero to JupyterHub (cull: in values.yaml); on one
# machine install it and add it as a service (docs/DEPLOY.md).

site = env.get("COURSE_HUB_SITE_CONFIG")
if site:
    load_subconfig(site)  # noqa: F821 - provided by JupyterHub
