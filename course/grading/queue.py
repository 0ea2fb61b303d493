"""The queue of Finish requests, between a learner's kernel and the marker: it lives in the
records store (course.records.finish_queue), with the race guarantees stated there."""

from course.records.finish_queue import (Request, claim, complete, enqueue, get, requeue_abandoned,  # noqa: F401
                                         wait_for, waiting)
