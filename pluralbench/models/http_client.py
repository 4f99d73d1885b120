"""JSON over HTTP for model servers: bounded async concurrency, retries with backoff, a timeout.

A batch of requests is sent concurrently (at most `concurrency` in flight); a 429 or 5xx answer, a
timeout or a dropped connection is retried with exponential backoff (honouring Retry-After), up to
`max_retries` times; any other error status fails at once with the server's message. Once one request
has failed for good, requests not yet sent are not sent, and the answers already received travel with
the error (errors.with_answers): a failure costs only the requests it stopped, never the finished ones.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Sequence

from pluralbench.errors import UserError, with_answers


class ServerError(UserError):
    """A request that failed for good: a non-retryable status, or retries exhausted."""


class _NotSent(Exception):
    """A request left unsent because another of its batch had already failed for good."""


@dataclass(frozen=True)
class HTTPSettings:
    base_url: str
    headers: dict = field(default_factory=dict)
    concurrency: int = 8
    timeout_s: float = 120.0
    max_retries: int = 5
    backoff_s: float = 0.5  # first wait; doubles per retry
    backoff_max_s: float = 30.0


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    retried_statuses: dict = field(default_factory=dict)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(headers) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class JSONClient:
    def __init__(self, settings: HTTPSettings):
        self.settings = settings
        self.stats = RequestStats()

    def get(self, path: str) -> dict:
        return self._answers([("GET", path, None)])[0]

    def post_many(self, path: str, payloads: Sequence[dict]) -> list[dict]:
        """POST every payload to path concurrently; answers in the order of the payloads. If any fails,
        raises the first failure carrying the answers that did arrive (errors.with_answers)."""
        if not payloads:
            return []
        return self._answers([("POST", path, p) for p in payloads])

    def _answers(self, calls) -> list[dict]:
        results = asyncio.run(self._gather(calls))
        failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, _NotSent)]
        if not failures:
            return results
        if not isinstance(failures[0], UserError):
            raise failures[0]
        answered = {i: r for i, r in enumerate(results) if not isinstance(r, BaseException)}
        raise with_answers(failures[0], answered)

    async def _gather(self, calls):
        import httpx2

        s = self.settings
        limits = httpx2.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency)
        semaphore = asyncio.Semaphore(s.concurrency)
        failed = asyncio.Event()  # set by the first request that fails for good: the unsent ones stay unsent
        async with httpx2.AsyncClient(base_url=s.base_url, headers=s.headers, timeout=httpx2.Timeout(s.timeout_s),
                                      limits=limits) as client:
            tasks = [self._call_once_failed(failed, client, semaphore, *call) for call in calls]
            return await asyncio.gather(*tasks, return_exceptions=True)

    async def _call_once_failed(self, failed: asyncio.Event, client, semaphore, method: str, path: str, payload):
        try:
            return await self._call(client, semaphore, method, path, payload, failed)
        except Exception:
            failed.set()
            raise

    async def _call(self, client, semaphore, method: str, path: str, payload, failed: asyncio.Event):
        import httpx2

        s = self.settings
        url = f"{s.base_url.rstrip('/')}/{path.lstrip('/')}"
        for attempt in range(s.max_retries + 1):
            wait = None
            async with semaphore:
                if failed.is_set():
                    raise _NotSent()
                self.stats.requests += 1
                try:
                    resp = await client.request(method, path.lstrip("/"), json=payload)
                except httpx2.TimeoutException:
                    problem = f"no answer within {s.timeout_s:g}s"
                except httpx2.TransportError as exc:
                    problem = f"connection failed ({type(exc).__name__}: {exc})"
                else:
                    if resp.status_code < 300:
                        try:
                            return resp.json()
                        except ValueError:
                            raise ServerError(f"{method} {url}: the server's answer is not JSON: {resp.text[:200]!r}") \
                                from None
                    problem = f"HTTP {resp.status_code}: {_excerpt(resp.text)}"
                    if not _retryable(resp.status_code):
                        raise ServerError(f"{method} {url} failed with {problem}")
                    self.stats.retried_statuses[str(resp.status_code)] = \
                        self.stats.retried_statuses.get(str(resp.status_code), 0) + 1
                    wait = _retry_after(resp.headers)
            if attempt == s.max_retries:
                raise ServerError(f"{method} {url} failed after {s.max_retries + 1} attempts; last: {problem}")
            self.stats.retries += 1
            backoff = min(s.backoff_max_s, s.backoff_s * 2 ** attempt) * random.uniform(0.5, 1.0)
            await asyncio.sleep(min(s.backoff_max_s, wait) if wait is not None else backoff)
        raise AssertionError("unreachable")


def _excerpt(text: str, limit: int = 300) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit] + "..."
