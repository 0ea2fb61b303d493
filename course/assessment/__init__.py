"""Delivering an assessment: what each attempt shows (layout) and what it earned."""
