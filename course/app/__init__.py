"""The learner app in Voila: a course home, one module app that serves every module, the
certificate page and the help page ("Where to get help", open to anyone).

Each page notebook (`notebooks/app/home.ipynb`, `module.ipynb`, `certificate.ipynb`, `help.ipynb`) has two
cells, `app = prepare("module")` and `app.run()`, from course.kernel.launch: the one launcher
the group-session pages (course.live) use too. Everything slow (imports, content, opening
the records store) happens in `prepare`, before a learner asks for the page; `run` only reads
the address, checks the session token and builds the page.
"""
