"""Access tokens for a service client: fetched with its access key, cached, renewed before they expire."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Generic, List, Optional, Sequence, TypeVar, Union

import httpx

from ._access_key import PrivateAccessKey, SecretAccessKey, parse_access_key
from ._errors import KeygateError
from ._http import Request, Retry, checked_metadata, json_or_refused, metadata_request, normalize_issuer

# client_assertion_type of RFC 7523 §2.2.
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class AccessToken:
    """An access token and what keygate said about it."""

    access_token: str = field(repr=False)
    scope: str
    expires_in: int
    expires_at: float
    """When it stops being valid (time.time()), counted from before the request."""
    renew_at: float = field(repr=False)


Http = TypeVar("Http", httpx.Client, httpx.AsyncClient)


class _Provider(Generic[Http]):
    """What the sync and async providers share: the key, the options, the cache and every decision.

    Options: `issuer` (a private key names its keygate; a secret key needs this), `client_id` (of a secret key;
    else keygate is asked once), `scope`, `resource` (RFC 8707), `renew_before` (seconds before expiry, at most half
    the token's life), `max_attempts` for transient failures, and your own httpx client."""

    def __init__(
        self,
        access_key: str,
        *,
        issuer: Optional[str] = None,
        client_id: Optional[str] = None,
        scope: Optional[str] = None,
        resource: Union[str, Sequence[str], None] = None,
        renew_before: float = 60,
        max_attempts: int = 4,
        http_client: Optional[Http] = None,
    ) -> None:
        self._key = parse_access_key(access_key)
        found = issuer or (self._key.issuer if isinstance(self._key, PrivateAccessKey) else None)
        if not found:
            raise KeygateError("invalid_key", "a secret key does not name its keygate: set the issuer")
        self.issuer = normalize_issuer(found)
        self._client_id = self._key.client_id if isinstance(self._key, PrivateAccessKey) else client_id
        self._scope = scope
        self._resources: List[str] = [resource] if isinstance(resource, str) else list(resource or [])
        self._renew_before = renew_before
        self._retry = Retry(max_attempts, 0.1)
        self._token_endpoint: Optional[str] = None
        self._current: Optional[AccessToken] = None
        self._http: Http = http_client or self._new_client()
        self._renewing = threading.Lock()

    def _new_client(self) -> Http:
        raise NotImplementedError

    def invalidate(self) -> None:
        """Drops the cached token, so that the next call fetches a new one (after the API refused it, say)."""
        self._current = None

    def _fresh(self) -> Optional[AccessToken]:
        current = self._current
        return current if current is not None and time.time() < current.renew_at else None

    def _still_valid(self) -> Optional[AccessToken]:
        current = self._current
        return current if current is not None and time.time() < current.expires_at else None

    def _whose_request(self) -> Request:
        secret = self._key.secret if isinstance(self._key, SecretAccessKey) else ""
        return "POST", f"{self.issuer}/v1/verify", {"headers": {"authorization": f"Bearer {secret}"}}

    def _whose(self, response: httpx.Response) -> str:
        if response.status_code == 401:
            raise KeygateError("invalid_credentials", "keygate does not know this key")
        return str(json_or_refused(response)["client_id"])

    def _token_request(self, endpoint: str, client_id: str) -> Request:
        form: Dict[str, Any] = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        if self._resources:
            form["resource"] = self._resources
        if isinstance(self._key, SecretAccessKey):
            return "POST", endpoint, {"data": form, "auth": httpx.BasicAuth(client_id, self._key.secret)}
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = self._key.assertion(endpoint)
        return "POST", endpoint, {"data": form}

    def _token(self, response: httpx.Response, started: float) -> AccessToken:
        answer = json_or_refused(response)
        lifetime = int(answer["expires_in"])
        expires_at = started + lifetime
        token = AccessToken(
            access_token=answer["access_token"],
            scope=answer.get("scope", ""),
            expires_in=lifetime,
            expires_at=expires_at,
            renew_at=expires_at - min(self._renew_before, lifetime / 2),
        )
        self._current = token
        return token


class ServiceClientTokenProvider(_Provider[httpx.Client]):
    """Gets access tokens with an access key and keeps one ready (thread-safe).

    A token is reused until `renew_before` seconds ahead of its expiry (at most half its life); when many threads
    ask at once, one request goes out. If renewal fails while the old token is still valid, the old one serves::

        tokens = ServiceClientTokenProvider(os.environ["KEYGATE_ACCESS_KEY"])
        httpx.get("https://api.example.com/documents/1", headers={"authorization": f"Bearer {tokens.get_token()}"})
    """

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=15)

    def get_token(self) -> str:
        """A valid bearer token, from the cache or freshly fetched."""
        return self.get_access_token().access_token

    def get_access_token(self) -> AccessToken:
        fresh = self._fresh()
        if fresh:
            return fresh
        with self._renewing:
            # Another thread may have renewed while this one waited.
            fresh = self._fresh()
            if fresh:
                return fresh
            try:
                return self._fetch()
            except KeygateError:
                still_valid = self._still_valid()
                if still_valid:
                    return still_valid
                raise

    def _fetch(self) -> AccessToken:
        if self._token_endpoint is None:
            found = checked_metadata(self.issuer, self._retry.send(self._http, lambda: metadata_request(self.issuer)))
            self._token_endpoint = str(found["token_endpoint"])
        if self._client_id is None:
            self._client_id = self._whose(self._retry.send(self._http, self._whose_request))
        endpoint, client_id = self._token_endpoint, self._client_id
        started = time.time()
        response = self._retry.send(self._http, lambda: self._token_request(endpoint, client_id))
        return self._token(response, started)


class AsyncServiceClientTokenProvider(_Provider[httpx.AsyncClient]):
    """The same for asyncio: ``await tokens.get_token()``; concurrent tasks share one request."""

    _renewing_tasks: Optional[asyncio.Lock] = None

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=15)

    async def get_token(self) -> str:
        return (await self.get_access_token()).access_token

    async def get_access_token(self) -> AccessToken:
        fresh = self._fresh()
        if fresh:
            return fresh
        if self._renewing_tasks is None:
            self._renewing_tasks = asyncio.Lock()
        async with self._renewing_tasks:
            fresh = self._fresh()
            if fresh:
                return fresh
            try:
                return await self._fetch()
            except KeygateError:
                still_valid = self._still_valid()
                if still_valid:
                    return still_valid
                raise

    async def _fetch(self) -> AccessToken:
        if self._token_endpoint is None:
            response = await self._retry.send_async(self._http, lambda: metadata_request(self.issuer))
            self._token_endpoint = str(checked_metadata(self.issuer, response)["token_endpoint"])
        if self._client_id is None:
            self._client_id = self._whose(await self._retry.send_async(self._http, self._whose_request))
        endpoint, client_id = self._token_endpoint, self._client_id
        started = time.time()
        response = await self._retry.send_async(self._http, lambda: self._token_request(endpoint, client_id))
        return self._token(response, started)
