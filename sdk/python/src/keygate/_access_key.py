"""Access keys as keygate hands them out: a secret key (``kg_sk_…``) or a private key (``kg_pk_…``, base64url of
``{client_id, issuer, jwk}`` whose private JWK has ``kid`` = the access key id and ``alg``)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Union

import jwt

from ._errors import KeygateError

SECRET_PREFIX = "kg_sk_"
PRIVATE_PREFIX = "kg_pk_"
# How long a client assertion is valid: keygate accepts at most five minutes.
ASSERTION_SECONDS = 60


@dataclass(frozen=True)
class SecretAccessKey:
    """A secret key: the client_secret with HTTP Basic, or an API key on its own."""

    secret: str = field(repr=False)


@dataclass(frozen=True)
class PrivateAccessKey:
    """A private key that signs ``private_key_jwt`` client assertions (RFC 7523)."""

    client_id: str
    issuer: str
    key_id: str
    alg: str
    _signing_key: Any = field(repr=False)

    def assertion(self, audience: str) -> str:
        """A fresh one-minute assertion for `audience` (RFC 7523 §3: iss = sub = the client, a single-use jti)."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode(claims, self._signing_key, algorithm=self.alg, headers={"kid": self.key_id})


AccessKey = Union[SecretAccessKey, PrivateAccessKey]


def parse_access_key(text: str) -> AccessKey:
    """Reads a ``kg_sk_…`` or ``kg_pk_…`` string (surrounding whitespace ignored)."""
    key = (text or "").strip()
    if key.startswith(SECRET_PREFIX):
        if not re.fullmatch(r"[A-Za-z0-9_]+", key[len(SECRET_PREFIX) :]):
            raise KeygateError("invalid_key", "malformed secret key")
        return SecretAccessKey(key)
    if key.startswith(PRIVATE_PREFIX):
        return _parse_private(key[len(PRIVATE_PREFIX) :])
    raise KeygateError("invalid_key", "not a keygate access key (expected kg_sk_… or kg_pk_…)")


def _parse_private(encoded: str) -> PrivateAccessKey:
    try:
        bundle = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        raise KeygateError("invalid_key", "malformed private key: not base64url JSON") from None
    jwk = bundle.get("jwk") if isinstance(bundle, dict) else None
    if (
        not isinstance(jwk, dict)
        or not all(isinstance(bundle.get(name), str) for name in ("client_id", "issuer"))
        or not all(jwk.get(name) for name in ("kid", "alg", "d"))
    ):
        raise KeygateError("invalid_key", "malformed private key: it needs client_id, issuer and a private JWK")
    try:
        signing_key = jwt.PyJWK(jwk, algorithm=jwk["alg"]).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise KeygateError("invalid_key", f"malformed private key: {error}") from None
    return PrivateAccessKey(bundle["client_id"], bundle["issuer"], jwk["kid"], jwk["alg"], signing_key)
