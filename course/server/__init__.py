"""The web server side: what runs in the server process, never in a page's kernel.

voila.py is the course's Voila server (routes, headers, error pages, query strings out of the
log); kernel_guard.py lets a page's kernel websocket carry widget messages only;
launch_config.py is the one Voila configuration shared by `course serve`, the manager
dashboard and the hub; supervisor.py is `course serve` (content check, release, Voila and the
marker side by side); dashboard.py starts the manager dashboard.
"""
