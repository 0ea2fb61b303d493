"""The benchmarks' shared statistics (benchmarks/stats.py): fair turns and an honest p95.

| test | proves |
| --- | --- |
| rounds take turns | every measure runs once per round and none is always first (a load change cannot land on one measure) |
| p95 | nearest rank: 95 of 0..99, the only value of one, nan of none |
"""

from __future__ import annotations

import math

from benchmarks.stats import interleaved, p95, rotation


def test_rounds_take_turns():
    order: list[str] = []
    samples = interleaved({name: (lambda name=name: order.append(name) or len(order)) for name in "abc"}, 3)
    assert [order[i * 3 : i * 3 + 3] for i in range(3)] == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert {name: len(values) for name, values in samples.items()} == {"a": 3, "b": 3, "c": 3}
    assert rotation(["cold", "warm"], 1) == ["warm", "cold"]


def test_p95():
    assert p95(range(100)) == 94
    assert p95([7.0]) == 7.0
    assert math.isnan(p95([]))
