"""Talking to keygate: the issuer's metadata (RFC 8414), errors as keygate gives them, retries of transient
failures. Sync and async share every decision; only the sending differs."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urlsplit

import httpx

from ._errors import KeygateError

# The longest Retry-After worth waiting for inside one call.
MAX_RETRY_AFTER = 5.0

Request = Tuple[str, str, Dict[str, Any]]  # method, URL, keyword arguments of httpx's request()


def normalize_issuer(issuer: str) -> str:
    """The issuer without a trailing slash, as keygate writes it in `iss`."""
    return issuer.strip().rstrip("/")


class Retry:
    """Sends a request again after a connection failure, a 5xx or a short 429, with exponential backoff and
    jitter. The request is built once per attempt, so each attempt may carry a fresh client assertion."""

    def __init__(self, attempts: int, first_backoff: float) -> None:
        self.attempts = max(1, attempts)
        self.first_backoff = first_backoff

    def send(self, client: httpx.Client, build: Callable[[], Request]) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            method, url, kwargs = build()
            try:
                response: Optional[httpx.Response] = client.request(method, url, **kwargs)
                error: Optional[Exception] = None
            except httpx.TransportError as failure:
                response, error = None, failure
            wait = self._wait(attempt, url, response, error)
            if wait is None:
                assert response is not None
                return response
            time.sleep(wait)

    async def send_async(self, client: httpx.AsyncClient, build: Callable[[], Request]) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            method, url, kwargs = build()
            try:
                response: Optional[httpx.Response] = await client.request(method, url, **kwargs)
                error: Optional[Exception] = None
            except httpx.TransportError as failure:
                response, error = None, failure
            wait = self._wait(attempt, url, response, error)
            if wait is None:
                assert response is not None
                return response
            await asyncio.sleep(wait)

    def _wait(
        self, attempt: int, url: str, response: Optional[httpx.Response], error: Optional[Exception]
    ) -> Optional[float]:
        """None: the response is the answer; a number: wait so long and try again; or the error to raise."""
        last = attempt >= self.attempts
        if response is None:
            if last:
                origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
                raise KeygateError("unavailable", f"{origin} cannot be reached: {type(error).__name__}: {error}")
            return self._backoff(attempt)
        if response.status_code == 429:
            after = _retry_after(response)
            if last or after > MAX_RETRY_AFTER:
                raise KeygateError("throttled", f"retry after {after:g} s", status=429, retry_after=after)
            return after
        if response.status_code >= 500:
            if last:
                raise KeygateError(
                    "unavailable",
                    f"{urlsplit(url).path} answered {response.status_code}",
                    status=response.status_code,
                )
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        # first_backoff × 2^(attempt − 1), times a random factor in [0.5, 1.5) so that clients spread out.
        return float(self.first_backoff * 2 ** (attempt - 1) * (0.5 + random.random()))


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(int(response.headers.get("retry-after", ""))))
    except ValueError:
        return 1.0


def metadata_request(issuer: str) -> Request:
    return "GET", f"{issuer}/.well-known/oauth-authorization-server", {}


def checked_metadata(issuer: str, response: httpx.Response) -> Dict[str, Any]:
    """The metadata, once it names the same issuer (RFC 8414 §3.3)."""
    found: Dict[str, Any] = json_or_refused(response)
    if normalize_issuer(str(found.get("issuer", ""))) != issuer:
        raise KeygateError("invalid_key", f"{response.url} names the issuer {found.get('issuer')!r}, not {issuer!r}")
    return found


def json_or_refused(response: httpx.Response) -> Any:
    """The body of a successful answer, or the error keygate gave (OAuth `error_description` or `/v1` `message`)."""
    if response.is_success:
        try:
            return response.json()
        except ValueError as error:
            raise KeygateError("unavailable", f"keygate answered unreadable JSON: {error}") from None
    raise refused(response)


def refused(response: httpx.Response) -> KeygateError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    description = body.get("error_description") or body.get("message") or ""
    code = body.get("error") or f"http_{response.status_code}"
    return KeygateError("refused", str(description), code=str(code), status=response.status_code)
