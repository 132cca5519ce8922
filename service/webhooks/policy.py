"""When to try a delivery again, when to give it up, when to disable an endpoint. Pure."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th retry waits first_delay * 2**(n-1), capped at
    max_delay, times a random factor in [0.5, 1] so that endpoints coming back are not hit by
    every queued retry at once. A delivery is retried until retry_for has passed since it was
    queued (so for at least that long); an endpoint none of whose attempts has succeeded for
    disable_after is disabled."""

    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(hours=2)
    retry_for: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(days=5)

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1, 2, ...)."""
        base: timedelta = min(self.first_delay * 2 ** min(attempts - 1, 40), self.max_delay)
        return base * (0.5 + rng.random() / 2)

    def gives_up(self, queued_at: datetime, now: datetime) -> bool:
        return now - queued_at >= self.retry_for

    def disables(self, failing_since: datetime, now: datetime) -> bool:
        return now - failing_since >= self.disable_after
