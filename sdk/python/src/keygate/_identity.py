"""Who a verified caller is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

VERIFIED_BY = ("access_token", "secret_key", "basic", "trusted_identity")


@dataclass(frozen=True)
class ExternalIdentity:
    """The workload identity behind a trusted-identity credential: the external JWT's issuer and subject."""

    issuer: str
    subject: str


@dataclass(frozen=True)
class Identity:
    """The identity behind a verified credential."""

    subject: str
    """The user of a user's token, else the client."""
    client_id: str
    tenant_id: Optional[str]
    """The client's tenant; None for global clients."""
    scopes: Tuple[str, ...]
    """The token's scopes, or all the client's scopes for a key."""
    key_id: Optional[str]
    """The access key used (secret keys and Basic)."""
    expires_at: Optional[int]
    """When an access token (or a trusted issuer's JWT) expires, in seconds since the epoch."""
    external: Optional[ExternalIdentity]
    verified_by: str
    """How the credential was checked: access_token, secret_key, basic or trusted_identity."""

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def identity_of(claims: Mapping[str, Any], verified_by: str) -> Identity:
    """An identity from a keygate token's claims or a `POST /v1/verify` answer (the same names)."""
    ext = claims.get("ext")
    return Identity(
        subject=claims["sub"],
        client_id=claims["client_id"],
        tenant_id=claims.get("tid"),
        scopes=tuple((claims.get("scope") or "").split()),
        key_id=claims.get("key_id"),
        expires_at=claims.get("exp"),
        external=ExternalIdentity(ext["iss"], ext["sub"]) if isinstance(ext, Mapping) else None,
        verified_by=claims.get("verified_by") or verified_by,
    )
