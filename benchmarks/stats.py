"""What every benchmark reports: medians beside p95, and measures taken in turns.

Taking turns (`interleaved`) is what makes a ratio fair on a shared machine: when all repeats of
one measure run before the next, a change in load (another process, a warm disk cache) becomes a
change in the ratio. Each round runs every measure once, in an order that rotates, so no measure
is always first or always last.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def p95(values: Iterable[float]) -> float:
    """The 95th percentile, nearest rank (with few samples, close to the largest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rotation(names: list[str], round_number: int) -> list[str]:
    """The order of the measures in one round: each round starts one further along."""
    shift = round_number % len(names) if names else 0
    return names[shift:] + names[:shift]


def interleaved(
    measures: dict[str, Callable[[], float]],
    rounds: int,
    announce: Callable[[str, int], None] = lambda _name, _round: None,
) -> dict[str, list[float]]:
    """Run each measure once per round, the order rotating; returns every sample by measure."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for number in range(rounds):
        for name in rotation(list(measures), number):
            announce(name, number)
            samples[name].append(measures[name]())
    return samples
