"""Rate limits of a forge's API, primary and secondary, against one run's waiting budget.

Primary limits: a number of requests (or GraphQL points) per window, announced in every answer
(`x-ratelimit-remaining` / `x-ratelimit-reset` on GitHub and Gitea, `ratelimit-remaining` /
`ratelimit-reset` on GitLab; GraphQL's `rateLimit { remaining resetAt }`). When none are left, the next
request waits for the reset. Secondary limits: a 403 or 429 with `Retry-After` (or a 403 that says
"rate limit" without one: GitHub asks for at least a minute). Every wait comes out of the forge's
`max_wait_s` for the run; a wait that would pass it is not made, and what was left unasked is
"not asked (rate limit)", which the check run fetches like any page instead. Never broken.

Time comes from an injected clock, so tests drive resets and Retry-After without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

SECONDARY_DEFAULT_WAIT_S = 60.0  # GitHub: "wait at least one minute" when no Retry-After is given


class Clock(Protocol):
    def time(self) -> float: ...  # seconds since the epoch

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def retry_after_s(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date."""
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Gate:
    """One forge's rate-limit state during a run: when the next request may go, and what waiting cost."""

    clock: Clock
    max_wait_s: float
    waited_s: float = 0.0
    resume_at: float | None = None  # no request before this moment (epoch seconds)
    why: str = ""  # which limit set resume_at, for the "not asked" reason
    requests: int = 0  # requests sent
    not_modified: int = 0  # of them answered 304
    points: int = 0  # GraphQL cost reported by the API

    def block(self, until: float, why: str) -> None:
        if self.resume_at is None or until > self.resume_at:
            self.resume_at, self.why = until, why

    async def admit(self) -> str | None:
        """Wait for the limit if the budget allows; the reason not to ask otherwise."""
        if self.resume_at is None:
            return None
        wait = self.resume_at - self.clock.time()
        if wait > 0:
            if self.waited_s + wait > self.max_wait_s:
                return (
                    f"rate limit: {self.why}; waiting {wait:.0f} s more would pass this run's "
                    f"budget of {self.max_wait_s:.0f} s"
                )
            await self.clock.sleep(wait)
            self.waited_s += wait
        self.resume_at = None
        return None

    def observe_primary(self, remaining: float | None, reset_at: float | None) -> None:
        """A primary limit as announced: nothing left means no request before the reset."""
        if remaining is not None and remaining <= 0:
            until = reset_at if reset_at is not None else self.clock.time() + SECONDARY_DEFAULT_WAIT_S
            self.block(until, f"primary limit used up until {stamp(until)}")

    def observe(self, response: httpx.Response) -> bool:
        """Note the limits an answer announces; True if the request was refused by one (retry it)."""
        headers = response.headers
        remaining = _number(headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining"))
        reset_at = _number(headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset"))
        self.observe_primary(remaining, reset_at)
        if response.status_code not in (403, 429):
            return False
        now = self.clock.time()
        wait = retry_after_s(headers.get("retry-after"), now)
        if wait is not None:
            self.block(now + wait, f"secondary limit (HTTP {response.status_code}, Retry-After {wait:.0f} s)")
            return True
        if remaining is not None and remaining <= 0:
            return True  # the primary limit: blocked until its reset above
        if response.status_code == 429 or "rate limit" in response.text[:2000].lower():
            self.block(
                now + SECONDARY_DEFAULT_WAIT_S,
                f"secondary limit (HTTP {response.status_code} without Retry-After)",
            )
            return True
        return False
