"""Social media, confidentiality and boundaries: an interactive course for social care staff.

Layers, from the bottom up (each module one job):
content (YAML -> objects) -> rules/validate -> store/responses (records) ->
widgets (what a learner sees) -> notebooks/grading/reports -> cli (thin commands).
"""

__version__ = "0.1.0"
