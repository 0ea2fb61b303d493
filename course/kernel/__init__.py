"""What runs inside a page's kernel: the one launcher (launch.py: prepare while the kernel waits
in Voila's pool, run when the request comes), the runtime every page needs (runtime.py:
content snapshot, log, callback guard, store poller) and the page's query string without
importing Voila (query.py). The pages themselves are course.app (learner) and course.live
(group sessions).
"""
