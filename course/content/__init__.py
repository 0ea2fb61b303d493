"""The course content as data: YAML in course/data/ becomes checked objects, and notebooks.

loader (YAML with the line of every node) -> model (shape checked by JSON Schema in schema/,
then Course/Module/Scenario/Choice objects) -> rules, cast_rules, help, images (what makes
content right beyond its shape; every error names file and line) -> validate (`course
validate`) -> build (each module's nbgrader source notebook) and curriculum (docs/CURRICULUM.md).
Nothing here touches the records store or nbgrader.
"""
