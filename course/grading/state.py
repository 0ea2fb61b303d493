"""What has been graded: the grading log lives in the records store (course.records.grading_log)."""

from course.records.grading_log import GradingRecord, graded, last_graded, record  # noqa: F401 - this module's API
