"""Verification for resource servers: keygate JWTs offline against the JWKS, and secret keys or Basic credentials
through ``POST /v1/verify`` with a short cache."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Generic, Mapping, Optional, Sequence, Tuple

import httpx
import jwt

from ._access_key import SECRET_PREFIX
from ._errors import KeygateError
from ._http import Request, Retry, checked_metadata, json_or_refused, metadata_request, normalize_issuer
from ._identity import Identity, identity_of
from ._token_provider import Http

# The asymmetric algorithms a verifier may be told to accept.
ALLOWED = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
# Used when the JWKS answer names no max-age; keys are refetched at least daily, whatever the server says.
DEFAULT_MAX_AGE = 300.0
LONGEST_MAX_AGE = 86_400.0
CREDENTIAL_CACHE_ENTRIES = 10_000
MISSING = "send Authorization: Bearer <access token or kg_sk_ key>, or Basic client credentials"


@dataclass(frozen=True)
class Rejection:
    """What to answer a request whose credentials were refused, in any framework."""

    status: int
    headers: Dict[str, str]
    body: Dict[str, str]


@dataclass
class _KeySet:
    keys: Dict[str, Tuple[Any, str]] = field(default_factory=dict)  # kid → (key, alg)
    fresh_until: float = 0.0


class _Verifier(Generic[Http]):
    """What the sync and async verifiers share: the options, the caches and every check.

    Options: `audience` (accept only tokens whose `aud` has it), `algorithms` (RS256, ES256, EdDSA; never `none` or
    HMAC), `leeway` (seconds, on `exp` and `nbf`), `jwks_cooldown` (the shortest time between two JWKS fetches),
    `credential_cache` (seconds keygate's answer about a key is reused; 0: ask every time — a revoked key passes this
    process at most so long), `trusted_identities` (send other issuers' JWTs to keygate), `realm` (of the
    challenges), and your own httpx client."""

    def __init__(
        self,
        issuer: str,
        *,
        audience: Optional[str] = None,
        algorithms: Sequence[str] = ("RS256", "ES256", "EdDSA"),
        leeway: float = 30,
        jwks_cooldown: float = 10,
        credential_cache: float = 5,
        trusted_identities: bool = False,
        realm: str = "api",
        http_client: Optional[Http] = None,
    ) -> None:
        self.issuer = normalize_issuer(issuer)
        self.realm = realm
        self._audience = audience
        self._algorithms = [alg for alg in algorithms if alg in ALLOWED]
        self._leeway = leeway
        self._cooldown = jwks_cooldown
        self._credential_ttl = credential_cache
        self._trusted_identities = trusted_identities
        # A request waits on these: one quick retry, no more.
        self._retry = Retry(2, 0.05)
        self._jwks_uri: Optional[str] = None
        self._keys: Optional[_KeySet] = None
        self._last_fetch = float("-inf")
        self._credentials: Dict[str, Tuple[float, Identity]] = {}
        self._http: Http = http_client or self._new_client()
        self._fetching = threading.Lock()

    def _new_client(self) -> Http:
        raise NotImplementedError

    # --- the credential in a request

    @staticmethod
    def _authorization(headers: Mapping[str, Any]) -> str:
        """`Authorization` of Django's or Starlette's headers, a dict in any case, or Django's `request.META`."""
        for name in ("authorization", "Authorization", "HTTP_AUTHORIZATION"):
            value = headers.get(name)
            if value:
                return str(value)
        for name, value in headers.items():
            if str(name).lower() == "authorization":
                return str(value)
        return ""

    @staticmethod
    def _split(authorization: str) -> Tuple[str, str]:
        scheme, _, credential = authorization.strip().partition(" ")
        if not credential.strip():
            raise KeygateError("missing_credentials", MISSING)
        return scheme.lower(), credential.strip()

    @staticmethod
    def _basic(client_id: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def _is_foreign(self, token: str) -> bool:
        if not self._trusted_identities:
            return False
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return False
        return issuer is not None and issuer != self.issuer

    # --- JWTs

    def _header(self, token: str) -> Dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise KeygateError("invalid_token", "not a JWT") from None
        # RFC 9068 §4: the type of an access token is at+jwt, compared case-insensitively.
        typ = str(header.get("typ", "")).lower()
        if typ not in ("at+jwt", "application/at+jwt"):
            raise KeygateError("invalid_token", "not an access token (typ)")
        if header.get("alg") not in self._algorithms:
            raise KeygateError("invalid_token", "algorithm not allowed")
        if not header.get("kid"):
            raise KeygateError("invalid_token", "no kid")
        return header

    def _known_key(self, kid: str) -> Optional[Tuple[Any, str]]:
        keys = self._keys
        if keys is not None and time.time() < keys.fresh_until:
            return keys.keys.get(kid)
        return None

    def _may_fetch(self) -> bool:
        return time.monotonic() - self._last_fetch >= self._cooldown

    def _key_or_refusal(self, kid: str) -> Tuple[Any, str]:
        if self._keys is None:
            raise KeygateError("unavailable", "the JWKS could not be fetched")
        found = self._keys.keys.get(kid)
        if found is None:
            raise KeygateError("invalid_token", "unknown signing key")
        return found

    def _key_set(self, response: httpx.Response, started: float) -> _KeySet:
        max_age = _max_age(response.headers.get("cache-control"))
        body = json_or_refused(response)
        keys: Dict[str, Tuple[Any, str]] = {}
        for jwk in body.get("keys", []) if isinstance(body, dict) else []:
            alg, kid = jwk.get("alg"), jwk.get("kid")
            if not kid or alg not in self._algorithms:
                continue
            try:
                keys[kid] = (jwt.PyJWK(jwk, algorithm=alg).key, alg)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue  # a key this installation cannot use verifies nothing here
        lifetime = min(max(DEFAULT_MAX_AGE if max_age is None else max_age, self._cooldown), max(LONGEST_MAX_AGE, self._cooldown))
        return _KeySet(keys, started + lifetime)

    def _decode(self, token: str, header: Mapping[str, Any], key: Tuple[Any, str]) -> Identity:
        verifying_key, alg = key
        # A key verifies only with its own algorithm (RFC 8725 §3.1).
        if alg != header.get("alg"):
            raise KeygateError("invalid_token", "the algorithm is not the key's")
        try:
            claims = jwt.decode(
                token,
                verifying_key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise KeygateError("invalid_token", "the token has expired") from None
        except jwt.PyJWTError as error:
            raise KeygateError("invalid_token", str(error)) from None
        if claims.get("cnf"):
            raise KeygateError("invalid_token", "the token is bound to a DPoP key: it needs its proof, not Bearer")
        return identity_of(claims, "access_token")

    # --- keygate's answers about keys

    def _cache_key(self, authorization: str) -> Optional[str]:
        if self._credential_ttl <= 0:
            return None
        return hashlib.sha256(authorization.encode()).hexdigest()

    def _cached(self, cache_key: Optional[str]) -> Optional[Identity]:
        if cache_key is None:
            return None
        entry = self._credentials.get(cache_key)
        return entry[1] if entry is not None and time.monotonic() < entry[0] else None

    def _remember(self, cache_key: Optional[str], identity: Identity) -> None:
        if cache_key is None:
            return
        if len(self._credentials) >= CREDENTIAL_CACHE_ENTRIES:
            self._credentials.clear()
        self._credentials[cache_key] = (time.monotonic() + self._credential_ttl, identity)

    def _verify_request(self, authorization: str) -> Request:
        return "POST", f"{self.issuer}/v1/verify", {"headers": {"authorization": authorization}}

    @staticmethod
    def _verify_answer(response: httpx.Response) -> Identity:
        if response.status_code == 401:
            raise KeygateError("invalid_credentials", "keygate refused the credentials")
        return identity_of(json_or_refused(response), "secret_key")

    # --- answers

    def challenge(self, error: Optional[BaseException] = None) -> str:
        """The `WWW-Authenticate` challenge for a refused request (RFC 6750 §3, RFC 7617)."""
        realm = f'realm="{self.realm}"'
        if isinstance(error, KeygateError) and error.kind == "invalid_token":
            description = error.description.replace('"', "'").replace("\\", "'")
            return f'Bearer {realm}, error="invalid_token", error_description="{description}"'
        if isinstance(error, KeygateError) and error.kind == "invalid_credentials":
            return f'Bearer {realm}, error="invalid_token", Basic {realm}'
        return f"Bearer {realm}, Basic {realm}"

    def rejection(self, error: KeygateError) -> Rejection:
        """What to answer when verification failed: 401 with the challenge, 429, or 503."""
        if error.kind == "throttled":
            return Rejection(429, {"retry-after": f"{error.retry_after or 1:g}"}, {"error": "rate_limited", "message": error.description})
        if error.kind in ("unavailable", "refused"):
            return Rejection(503, {}, {"error": "unavailable", "message": "keygate cannot be reached"})
        return Rejection(401, {"www-authenticate": self.challenge(error)}, {"error": "unauthorized", "message": error.description})


class Verifier(_Verifier[httpx.Client]):
    """Verifies what callers of a resource server send: ``Bearer <keygate JWT>``, ``Bearer kg_sk_…``, or Basic.

    JWTs are checked here, with no round trip once the JWKS is cached: a published key whose `alg` is allowed and
    is the key's own, `typ` `at+jwt` (RFC 9068), `iss`, `aud` when an audience is set, `exp` and `nbf` with leeway;
    a DPoP-bound token is refused as Bearer. The JWKS is kept for its `Cache-Control: max-age` and refetched for an
    unknown `kid`, at most once per `jwks_cooldown` seconds. Secret keys and Basic credentials go to keygate and
    the answer is kept `credential_cache` seconds (keyed by a SHA-256, never the secret). Thread-safe."""

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=15)

    def verify_request(self, headers: Mapping[str, Any]) -> Identity:
        """Verifies a request's `Authorization` (Starlette's or Django's `request.headers`, or `request.META`)."""
        return self.verify_authorization(self._authorization(headers))

    def verify_authorization(self, authorization: str) -> Identity:
        scheme, credential = self._split(authorization)
        if scheme == "bearer":
            if credential.startswith(SECRET_PREFIX):
                return self.verify_secret_key(credential)
            return self.verify_token(credential)
        if scheme == "basic":
            return self._ask_keygate(f"Basic {credential}")
        if scheme == "dpop":
            raise KeygateError("invalid_token", "DPoP-bound tokens need a verifier that checks their proofs")
        raise KeygateError("missing_credentials", MISSING)

    def verify_secret_key(self, key: str) -> Identity:
        return self._ask_keygate(f"Bearer {key.strip()}")

    def verify_basic(self, client_id: str, secret: str) -> Identity:
        return self._ask_keygate(self._basic(client_id, secret))

    def verify_token(self, token: str) -> Identity:
        if self._is_foreign(token):
            return self._ask_keygate(f"Bearer {token}")
        header = self._header(token)
        return self._decode(token, header, self._key(header["kid"]))

    def _key(self, kid: str) -> Tuple[Any, str]:
        known = self._known_key(kid)
        if known is not None:
            return known
        with self._fetching:
            known = self._known_key(kid)
            if known is None and self._may_fetch():
                self._last_fetch = time.monotonic()
                try:
                    if self._jwks_uri is None:
                        metadata = self._retry.send(self._http, lambda: metadata_request(self.issuer))
                        self._jwks_uri = str(checked_metadata(self.issuer, metadata)["jwks_uri"])
                    started, uri = time.time(), self._jwks_uri
                    self._keys = self._key_set(self._retry.send(self._http, lambda: ("GET", uri, {})), started)
                except KeygateError:
                    if self._keys is None:
                        raise
            return known or self._key_or_refusal(kid)

    def _ask_keygate(self, authorization: str) -> Identity:
        cache_key = self._cache_key(authorization)
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        identity = self._verify_answer(self._retry.send(self._http, lambda: self._verify_request(authorization)))
        self._remember(cache_key, identity)
        return identity


class AsyncVerifier(_Verifier[httpx.AsyncClient]):
    """The same for asyncio (FastAPI, Starlette): every method is awaited."""

    _fetching_tasks: Optional[asyncio.Lock] = None

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=15)

    async def verify_request(self, headers: Mapping[str, Any]) -> Identity:
        return await self.verify_authorization(self._authorization(headers))

    async def verify_authorization(self, authorization: str) -> Identity:
        scheme, credential = self._split(authorization)
        if scheme == "bearer":
            if credential.startswith(SECRET_PREFIX):
                return await self.verify_secret_key(credential)
            return await self.verify_token(credential)
        if scheme == "basic":
            return await self._ask_keygate(f"Basic {credential}")
        if scheme == "dpop":
            raise KeygateError("invalid_token", "DPoP-bound tokens need a verifier that checks their proofs")
        raise KeygateError("missing_credentials", MISSING)

    async def verify_secret_key(self, key: str) -> Identity:
        return await self._ask_keygate(f"Bearer {key.strip()}")

    async def verify_basic(self, client_id: str, secret: str) -> Identity:
        return await self._ask_keygate(self._basic(client_id, secret))

    async def verify_token(self, token: str) -> Identity:
        if self._is_foreign(token):
            return await self._ask_keygate(f"Bearer {token}")
        header = self._header(token)
        return self._decode(token, header, await self._key(header["kid"]))

    async def _key(self, kid: str) -> Tuple[Any, str]:
        known = self._known_key(kid)
        if known is not None:
            return known
        if self._fetching_tasks is None:
            self._fetching_tasks = asyncio.Lock()
        async with self._fetching_tasks:
            known = self._known_key(kid)
            if known is None and self._may_fetch():
                self._last_fetch = time.monotonic()
                try:
                    if self._jwks_uri is None:
                        metadata = await self._retry.send_async(self._http, lambda: metadata_request(self.issuer))
                        self._jwks_uri = str(checked_metadata(self.issuer, metadata)["jwks_uri"])
                    started, uri = time.time(), self._jwks_uri
                    response = await self._retry.send_async(self._http, lambda: ("GET", uri, {}))
                    self._keys = self._key_set(response, started)
                except KeygateError:
                    if self._keys is None:
                        raise
            return known or self._key_or_refusal(kid)

    async def _ask_keygate(self, authorization: str) -> Identity:
        cache_key = self._cache_key(authorization)
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        response = await self._retry.send_async(self._http, lambda: self._verify_request(authorization))
        identity = self._verify_answer(response)
        self._remember(cache_key, identity)
        return identity


def _max_age(cache_control: Optional[str]) -> Optional[float]:
    """`max-age` of `Cache-Control`, in seconds; `no-cache` and `no-store` count as zero."""
    for directive in (cache_control or "").lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name == "max-age" and value.strip().isdigit():
            return float(value.strip())
        if name in ("no-cache", "no-store") and not value:
            return 0.0
    return None
