"""The learner app in Voila: a course home and one module app that serves every module.

Each app notebook (`notebooks/app/home.ipynb`, `notebooks/app/module.ipynb`) has two cells:

    app = prepare("module")   # runs while a preheated kernel waits in Voila's pool
    app.run()                 # waits for the page's address, then shows the learner's page

Everything slow (imports, content, opening the records store) happens in `prepare`, before
a learner asks for the page; `run` only reads the address, checks the session token and
builds the page. Neither ever raises: a problem is logged and shown as a friendly message.
This module imports nothing heavy itself, so importing it cannot fail a notebook.
"""

from __future__ import annotations


def prepare(kind: str):
    from course.kernel.launch import Launcher

    return Launcher(kind)
