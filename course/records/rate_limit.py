"""Failed-attempt limits with exponential backoff, shared by every page, kernel and server.

What guesses a secret (a learner's sign-in, the manager's dashboard password, a certificate id
on the verification page) first *claims* a try for each of its keys (a source address, an
account). A claim is one conditional UPDATE in the records store: it succeeds only when the
key's next try is allowed now, and in the same statement counts the try and pushes the next
allowed time out. SQLite serialises writers and PostgreSQL re-checks the WHERE clause on the
row it locked, so twelve pages claiming at once get exactly the tries one page would get.

The rule (`Limit`): the first `free` tries in a row go through at once; after that each one
waits 2, 4, 8 ... seconds after the last, at most `cap` (15 minutes). A key with no try for
`forget_after` starts again from zero. A right secret clears its account key (`clear`) and
gives its source key back the one try it claimed (`refund`), so an attacker's own good
sign-ins buy no extra guesses.

Keys are stored as sha256 hashes: the table holds no address and no staff number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, literal, update

from course.records.store import Store, _insert, aware, now
from course.records.tables import attempt_limits


@dataclass(frozen=True)
class Limit:
    free: int = 3  # tries in a row with no wait
    cap: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(minutes=15)

    def wait_after(self, failures: int) -> timedelta:
        """How long after the `failures`-th try in a row the next one is allowed."""
        if failures < self.free:
            return timedelta(0)
        return min(timedelta(seconds=2 ** (failures - self.free + 1)), self.cap)


LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
ACCOUNT = Limit(free=3)
# many staff may share one address (a care home's router): a source gets more tries than an account
SOURCE = Limit(free=20)


def key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    allowed: bool
    retry_after: float = 0.0  # seconds until a try is allowed, when refused


def claim(store: Store, keys: list[tuple[str, Limit]], at: datetime | None = None) -> Claim:
    """Claim one try for every key, in order; the first refusal stops (later keys are not counted).

    Each key's claim is atomic on its own: a conditional UPDATE that both checks and counts."""
    moment = at or now()
    for hashed, limit in keys:
        outcome = _claim_one(store, hashed, limit, moment)
        if not outcome.allowed:
            return outcome
    return Claim(True)


def _claim_one(store: Store, hashed: str, limit: Limit, moment: datetime) -> Claim:
    table = attempt_limits
    # "long ago", not `moment`: another process's clock may be a little behind ours, and a free
    # try must not be refused because a colleague's claim wrote a later time
    fresh = _insert(store.engine, table).values(key=hashed, failures=0, next_allowed_at=LONG_AGO, last_at=moment)
    forget = (
        update(table)
        .where(table.c.key == hashed, table.c.last_at < moment - limit.forget_after)
        .values(failures=0, next_allowed_at=LONG_AGO)
    )
    count = table.c.failures + 1
    # the wait after this try, computed by the database from the row it has locked (see Limit.wait_after)
    waits = [(count == n, literal(moment + limit.wait_after(n))) for n in range(limit.free, limit.free + 12)]
    next_at = case(
        (count < limit.free, table.c.next_allowed_at),  # a free try: no wait, nothing moved
        *waits,
        else_=literal(moment + limit.cap),
    )
    take = (
        update(table)
        .where(table.c.key == hashed, table.c.next_allowed_at <= moment)
        .values(failures=count, next_allowed_at=next_at, last_at=moment)
    )
    results = store._write_all([fresh.on_conflict_do_nothing(index_elements=["key"]), forget, take])
    if results[2].rowcount:
        return Claim(True)
    rows = store._read(
        attempt_limits.select()
        .with_only_columns(attempt_limits.c.next_allowed_at)
        .where(attempt_limits.c.key == hashed)
    )
    wait = (aware(rows[0][0]) - moment).total_seconds() if rows else 1.0
    return Claim(False, max(1.0, wait))


def refund(store: Store, hashed: str, limit: Limit) -> None:
    """A right secret from this source: its try is given back, so thirty colleagues signing in
    from one office in a row never wait, while a guess still counts."""
    table = attempt_limits
    store._write(
        update(table)
        .where(table.c.key == hashed, table.c.failures > 0)
        .values(
            failures=table.c.failures - 1,
            next_allowed_at=case((table.c.failures - 1 < limit.free, literal(LONG_AGO)), else_=table.c.next_allowed_at),
        )
    )


def clear(store: Store, hashed: str) -> None:
    """A right secret: this account starts again from zero."""
    store._write(delete(attempt_limits).where(attempt_limits.c.key == hashed))


def failures(store: Store, hashed: str) -> int:
    """Tries counted so far for a key (0 when none)."""
    rows = store._read(
        attempt_limits.select()
        .with_only_columns(func.coalesce(func.max(attempt_limits.c.failures), 0))
        .where(attempt_limits.c.key == hashed)
    )
    return int(rows[0][0])


def purge_old(store: Store, before: datetime | None = None) -> int:
    """Delete counters untouched for a day (run at server start); returns how many."""
    cutoff = (before or now()) - timedelta(days=1)
    return store._write(delete(attempt_limits).where(attempt_limits.c.last_at < cutoff)).rowcount or 0
