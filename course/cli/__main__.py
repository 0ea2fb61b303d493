"""`python -m course.cli`: how `course serve` starts its marker with the same interpreter."""

from course.cli import main

main()
