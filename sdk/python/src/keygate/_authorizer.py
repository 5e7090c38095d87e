"""Authorization checks for resource servers: may this identity use a permission on a resource
(``POST /v1/authorize``), and on which resources may it (``POST /v1/authorize/resources``)."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Generic, List, Optional, Tuple, TypeVar, Union

import httpx

from ._errors import KeygateError
from ._http import Retry, json_or_refused
from ._identity import Identity
from ._token_provider import AsyncServiceClientTokenProvider, Http, ServiceClientTokenProvider

Subject = Union[Identity, str]
"""Whom a check is about: an identity from the verifier, or a subject id (with `tenant_id=`)."""


Tokens = TypeVar("Tokens", ServiceClientTokenProvider, AsyncServiceClientTokenProvider)


class _Authorizer(Generic[Tokens, Http]):
    """What the sync and async authorizers share. `tokens` holds the resource server's own key (its client needs
    the scope `keygate:authorize`, or an admin scope); `decision_cache` (seconds, default 0) reuses answers."""

    def __init__(self, tokens: Tokens, *, decision_cache: float = 0, http_client: Optional[Http] = None) -> None:
        self._tokens: Tokens = tokens
        self._http: Http = http_client or self._new_client()
        self._ttl = decision_cache
        self._decisions: Dict[str, Tuple[float, bool]] = {}
        self._retry = Retry(2, 0.05)

    def _new_client(self) -> Http:
        raise NotImplementedError

    @staticmethod
    def _who(subject: Subject, tenant_id: Optional[str]) -> Dict[str, Any]:
        if isinstance(subject, Identity):
            return {"subject": subject.subject, "tenant_id": subject.tenant_id}
        return {"subject": subject, "tenant_id": tenant_id}

    def _cached(self, body: Dict[str, Any]) -> Tuple[Optional[str], Optional[bool]]:
        if self._ttl <= 0:
            return None, None
        key = json.dumps(body, sort_keys=True)
        entry = self._decisions.get(key)
        return key, (entry[1] if entry is not None and time.monotonic() < entry[0] else None)

    def _remember(self, key: Optional[str], allowed: bool) -> None:
        if key is not None:
            if len(self._decisions) >= 10_000:
                self._decisions.clear()
            self._decisions[key] = (time.monotonic() + self._ttl, allowed)

    @staticmethod
    def _forbidden(resource: str, permission: str) -> KeygateError:
        return KeygateError("refused", f"{permission} on {resource} is not allowed", code="forbidden", status=403)


class Authorizer(_Authorizer[ServiceClientTokenProvider, httpx.Client]):
    """Asks keygate whether a subject holds a permission on a resource, as the resource server's own client (whose
    access key `tokens` holds; it needs the scope `keygate:authorize`, or an admin scope). Decisions are cached only
    when `decision_cache` (seconds) is set."""

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=15)

    def authorize(self, subject: Subject, resource: str, permission: str, *, tenant_id: Optional[str] = None) -> bool:
        """Whether `subject` may use `permission` (`documents:read`) on `resource` (`/documents/42`)."""
        body = {**self._who(subject, tenant_id), "resource": resource, "permission": permission}
        key, cached = self._cached(body)
        if cached is not None:
            return cached
        allowed = bool(self._post("/v1/authorize", body)["allowed"])
        self._remember(key, allowed)
        return allowed

    def require(self, subject: Subject, resource: str, permission: str, *, tenant_id: Optional[str] = None) -> None:
        """Like `authorize`, but a refusal raises a KeygateError with code `forbidden` (status 403)."""
        if not self.authorize(subject, resource, permission, tenant_id=tenant_id):
            raise self._forbidden(resource, permission)

    def resources(self, subject: Subject, permission: str, *, tenant_id: Optional[str] = None) -> List[str]:
        """The resource patterns (`/documents/*`) on which `subject` may use `permission`."""
        body = {**self._who(subject, tenant_id), "permission": permission}
        return list(self._post("/v1/authorize/resources", body)["resources"])

    def _post(self, path: str, body: Dict[str, Any]) -> Any:
        # A refused token is renewed once (it may have been revoked).
        for attempt in range(2):
            token = self._tokens.get_token()
            response = self._retry.send(
                self._http,
                lambda: ("POST", f"{self._tokens.issuer}{path}", {"json": body, "headers": {"authorization": f"Bearer {token}"}}),
            )
            if response.status_code == 401 and attempt == 0:
                self._tokens.invalidate()
                continue
            return json_or_refused(response)


class AsyncAuthorizer(_Authorizer[AsyncServiceClientTokenProvider, httpx.AsyncClient]):
    """The same for asyncio."""

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=15)

    async def authorize(
        self, subject: Subject, resource: str, permission: str, *, tenant_id: Optional[str] = None
    ) -> bool:
        body = {**self._who(subject, tenant_id), "resource": resource, "permission": permission}
        key, cached = self._cached(body)
        if cached is not None:
            return cached
        allowed = bool((await self._post("/v1/authorize", body))["allowed"])
        self._remember(key, allowed)
        return allowed

    async def require(
        self, subject: Subject, resource: str, permission: str, *, tenant_id: Optional[str] = None
    ) -> None:
        if not await self.authorize(subject, resource, permission, tenant_id=tenant_id):
            raise self._forbidden(resource, permission)

    async def resources(self, subject: Subject, permission: str, *, tenant_id: Optional[str] = None) -> List[str]:
        body = {**self._who(subject, tenant_id), "permission": permission}
        return list((await self._post("/v1/authorize/resources", body))["resources"])

    async def _post(self, path: str, body: Dict[str, Any]) -> Any:
        for attempt in range(2):
            token = await self._tokens.get_token()
            response = await self._retry.send_async(
                self._http,
                lambda: ("POST", f"{self._tokens.issuer}{path}", {"json": body, "headers": {"authorization": f"Bearer {token}"}}),
            )
            if response.status_code == 401 and attempt == 0:
                self._tokens.invalidate()
                continue
            return json_or_refused(response)
