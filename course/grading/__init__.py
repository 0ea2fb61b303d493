"""nbgrader is the grade of record; this package is the glue.

Layers: cells (what each notebook's test cells call) · coursedir (the nbgrader course root
and its API) · submissions (nbgrader's submitted layout, checks) · autograde (grade what is
new or changed) · queue/worker (grade a learner's Finish at once) · gradebook (pandas).
Only `cells` is imported by learner notebooks; the rest stays out of learner kernels.
"""

from course.grading.cells import scenario_points, slot_points

__all__ = ["scenario_points", "slot_points"]
