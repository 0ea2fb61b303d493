"""Glue between JupyterHub and the course (deploy/jupyterhub_config.py uses these).

- shared.py: the folders every single-user server shares (nbgrader's course root, exchange,
  content snapshot), made ready once when the hub starts;
- spawn.py: what a user's server gets (home folder, the app notebooks, the environment);
- start.py: a user's server: jupyterhub-singleuser with Voila, set up as `course serve` sets it up;
- service.py: shared mode (COURSE_HUB_MODE=shared): no server per learner, one course server
  for everyone as the hub service /services/course/, signed in by the hub's OAuth.

Nothing here is imported by learners' kernels.
"""
