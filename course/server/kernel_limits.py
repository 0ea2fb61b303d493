"""A cap on page kernels: per server (COURSE_MAX_KERNELS) and per client address
(COURSE_MAX_KERNELS_PER_CLIENT), so an anonymous visitor reloading a page cannot start
kernels until the machine runs out of memory.

`KernelLimits` counts the pages each address holds: a page counts from the moment its GET
arrives (so twelve parallel requests cannot all slip under the cap) until its kernel is gone
(closed, culled or shut down). Preheated kernels waiting in Voila's pool are not pages and do
not count. Beyond either cap the page handler answers 503 with Retry-After and starts no kernel.
One instance per server process, used from tornado's single thread only (no lock needed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

RETRY_AFTER_SECONDS = 60  # one address holding its share of pages: it has pages open already
SERVER_FULL_RETRY_SECONDS = 15  # the whole server at its cap: pages close all the time in a busy room
RETRY_SPREAD_SECONDS = 10  # plus up to this, at random, so a refused room does not come back at once


class KernelLimits:
    def __init__(self, max_total: int, max_per_client: int):
        self.max_total, self.max_per_client = max_total, max_per_client
        self._kernels: dict[str, set[str]] = defaultdict(set)  # address -> its pages' kernel ids
        self._pending: dict[str, int] = defaultdict(int)  # address -> pages being rendered now

    def prune(self, alive: Iterable[str]) -> None:
        """Forget kernels that are gone."""
        alive = set(alive)
        for address in list(self._kernels):
            self._kernels[address] &= alive
            if not self._kernels[address]:
                del self._kernels[address]

    def held(self, address: str | None = None) -> int:
        if address is None:
            return sum(len(k) for k in self._kernels.values()) + sum(self._pending.values())
        return len(self._kernels.get(address, ())) + self._pending.get(address, 0)

    def admit(self, address: str, alive: Callable[[], Iterable[str]]) -> bool:
        """True (and the page counts as pending) when one more page fits under both caps."""
        self.prune(alive())
        if self.held() >= self.max_total or self.held(address) >= self.max_per_client:
            return False
        self._pending[address] += 1
        return True

    def rendered(self, address: str, kernel_id: str | None) -> None:
        """The admitted page has its kernel (None: the render failed and holds none)."""
        self._pending[address] -= 1
        if self._pending[address] <= 0:
            del self._pending[address]
        if kernel_id:
            self._kernels[address].add(kernel_id)

    def owner(self, kernel_id: str) -> str | None:
        return next((a for a, ids in self._kernels.items() if kernel_id in ids), None)

    def retry_after(self, address: str) -> int:
        """Seconds a refused page should wait before trying again: long when this address holds its
        own cap, short (spread at random) when the server as a whole is full."""
        import random

        if self.held(address) >= self.max_per_client:
            return RETRY_AFTER_SECONDS
        return SERVER_FULL_RETRY_SECONDS + random.randint(0, RETRY_SPREAD_SECONDS)  # a spread, not a secret
