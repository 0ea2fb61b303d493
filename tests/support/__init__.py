"""What the tests and the benchmarks share: real servers on 127.0.0.1 (`servers`: course serve,
the dashboard, Chromium, axe), a private PostgreSQL (`postgres`), JupyterHub (`hub`), and an
nbgrader course root with answered modules (`grading_helpers`)."""
