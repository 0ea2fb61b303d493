"""The shared course server on a hub (`COURSE_HUB_MODE=shared`): `python -m course.hub.service`.

In the default per-user mode every learner gets a single-user server (course.hub.start): about
176 MB each before their kernel. In shared mode the hub spawns no server for learners. It runs
this one as a managed service at `/services/course/`: the course's own Voila server
(course.server.voila, as `course serve` runs it: preheated kernel pools, the page secret, the
widget-only kernel websocket, the kernel caps) whose requests the hub signs in with OAuth.

- Who is asking: `CourseHubIdentityProvider` (JupyterHub's own identity provider for Jupyter
  servers, with the course's paths) checks the hub's OAuth cookie on every request. A browser
  with none is sent to the hub's login, and then back. A user without the
  `access:services!service=course` scope gets 403.
- Who the page is for: the page handler writes the signed-in hub user into its own request
  header (course.records.identity.HUB_USER_HEADER, over whatever the browser sent). Voila
  hands it to that page's kernel, and course.records.identity.hub_user() reads it there.
- The hub's API token for this service is taken out of the environment once the sign-in check
  holds it: the learners' kernels, started by this server, never see it.

deploy/jupyterhub_config.py (its shared-mode section) registers the service and its environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.singleuser.extension import JupyterHubIdentityProvider, JupyterHubOAuthCallbackHandler

from course import settings

SERVICE_NAME = "course"  # the hub's URL for it: /services/course/
PROVIDER = "course.hub.service.CourseHubIdentityProvider"
# what the hub hands a managed service, and this server needs
NEEDED = ("JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL")


class CourseHubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's OAuth sign-in for a Jupyter server, fitted to the course's Voila server."""

    def __init__(self, **kwargs):
        # Voila passes the token it would check; the hub's provider has no token of its own to set
        kwargs.pop("token", None)
        super().__init__(**kwargs)
        self.hub_auth.api_token  # noqa: B018 - read now, from the environment, before it is removed
        os.environ.pop("JUPYTERHUB_API_TOKEN", None)  # no learner's kernel inherits the service's token

    def get_handlers(self):
        """Only the OAuth callback, at the address the hub sends the browser back to (under the
        service's prefix: Voila does not prefix a provider's routes). Logging out is the hub's."""
        callback = urlparse(self.hub_auth.oauth_redirect_uri).path
        return [(callback, JupyterHubOAuthCallbackHandler, {"hub_auth": self.hub_auth})]


def voila_settings(service_url: str, prefix: str, pool_size: int) -> dict:
    """`course serve`'s launch configuration, on the service's port, under its prefix, signed in by the hub."""
    from course.server.supervisor import ServeOptions
    from course.server.supervisor import voila_settings as serve_settings

    where = urlparse(service_url)
    options = ServeOptions(
        ip=where.hostname or "127.0.0.1",
        port=where.port or 80,
        preheat=pool_size > 0,
        pool_size=pool_size,
        join_pool_size=min(pool_size, 1),
        grading=False,  # the hub runs the marker (its course-grader service)
    )
    config = serve_settings(options)
    config["Voila"].update(base_url=prefix, identity_provider_class=PROVIDER)
    return config


def service_env(base: dict) -> dict:
    """The Voila server's environment: `course serve`'s, with no per-user identity in it."""
    from course.server.supervisor import server_env

    env = server_env(base)
    env.pop("JUPYTERHUB_USER", None)  # the shared server belongs to no one user (identity.hub_user)
    return env


def main(argv: list[str] | None = None) -> None:
    from course.server.launch_config import write_config
    from course.server.supervisor import app_dir

    missing = [name for name in NEEDED if not os.environ.get(name)]
    if settings.hub_mode() != "shared" or missing:
        raise SystemExit(
            "course.hub.service runs as the hub's 'course' service with COURSE_HUB_MODE=shared "
            f"(missing: {', '.join(missing) or 'COURSE_HUB_MODE=shared'}; see docs/DEPLOY.md)"
        )
    from course.private import make_private

    make_private(settings.data_dir())  # umask 077 for the server and its kernels: learners' records
    config = voila_settings(
        os.environ["JUPYTERHUB_SERVICE_URL"], os.environ["JUPYTERHUB_SERVICE_PREFIX"], settings.hub_pool_size()
    )
    path = write_config(config, settings.data_dir() / "server-config")
    args = [sys.executable, "-m", "course.server.voila", str(app_dir()), f"--Voila.config_file_paths={path.parent}"]
    os.chdir(Path(settings.data_dir()))
    os.execve(args[0], [*args, *(sys.argv[1:] if argv is None else argv)], service_env(dict(os.environ)))  # noqa: S606 - become the server, no shell


if __name__ == "__main__":
    main()
