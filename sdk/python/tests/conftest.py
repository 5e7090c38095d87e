"""The keygate the tests run against (KEYGATE_URL, started by tests/api/sdk_python.rs on a random port with its own
database) and a few management calls, made with the SDK's own token provider for the admin key."""

from __future__ import annotations

import itertools
import os
import socket
from collections import Counter
from typing import Any, Dict, Optional

import httpx
import pytest

from keygate import ServiceClientTokenProvider

ISSUER = os.environ.get("KEYGATE_URL", "")
ADMIN_KEY = os.environ.get("KEYGATE_ADMIN_KEY", "")
if not ISSUER or not ADMIN_KEY:
    raise pytest.UsageError("set KEYGATE_URL and KEYGATE_ADMIN_KEY (a global admin's kg_sk_ key)")

_admin = ServiceClientTokenProvider(ADMIN_KEY, issuer=ISSUER)
_tenants = itertools.count(1)


def api(method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
    """A management API call as the global admin; the answer's JSON (or None for 204)."""
    response = httpx.request(
        method, f"{ISSUER}{path}", json=body, headers={"authorization": f"Bearer {_admin.get_token()}"}
    )
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def tenant(**extra: Any) -> str:
    """A fresh tenant, so that no test sees another's data."""
    slug = f"py-{os.getpid()}-{next(_tenants)}"
    return api("POST", "/v1/tenants", {"name": slug, "slug": slug, **extra})["id"]


def client(tenant_id: str, *, scopes: Optional[list] = None, kind: str = "secret", alg: Optional[str] = None) -> Dict[str, str]:
    """A service client of `tenant_id` and one access key of `kind` (`secret`, or `private_key` with `alg`)."""
    spec = {"name": "sdk test client", "tenant_id": tenant_id, **({"scopes": scopes} if scopes else {})}
    made = api("POST", "/v1/clients", spec)
    key = api("POST", f"/v1/clients/{made['id']}/keys", {"kind": kind, **({"alg": alg} if alg else {})})
    return {"id": made["id"], "key": key["key"], "key_id": key["id"]}


def grant(tenant_id: str, subject_id: str, role: str, permissions: list) -> None:
    """A role of `tenant_id` with `permissions`, and an access record giving it to `subject_id` on `/documents/*`."""
    api("POST", "/v1/roles", {"tenant_id": tenant_id, "name": role, "permissions": permissions})
    api("POST", "/v1/records", {"tenant_id": tenant_id, "name": f"{role} on documents", "subjects": [subject_id],
                                "statements": [{"roles": [role], "resources": ["/documents/*"]}]})


def revoke(made: Dict[str, str]) -> None:
    api("DELETE", f"/v1/clients/{made['id']}/keys/{made['key_id']}")


class Counted:
    """httpx clients that count the requests to each path, for the caching tests."""

    def __init__(self) -> None:
        self.paths: Counter = Counter()

    def _count(self, request: httpx.Request) -> None:
        self.paths[request.url.path] += 1

    async def _count_async(self, request: httpx.Request) -> None:
        self._count(request)

    def sync(self) -> httpx.Client:
        return httpx.Client(event_hooks={"request": [self._count]})

    def asynchronous(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(event_hooks={"request": [self._count_async]})


def dead_url() -> str:
    """A URL where nothing listens: a port taken from the system and given back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
