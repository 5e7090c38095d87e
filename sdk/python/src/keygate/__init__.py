"""keygate for Python.

- `ServiceClientTokenProvider` / `AsyncServiceClientTokenProvider`: an access token from an access key (`kg_sk_…`
  or `kg_pk_…`), cached and renewed before it expires, one request however many callers ask at once.
- `Verifier` / `AsyncVerifier`: checks what callers send — keygate JWTs offline against the JWKS, secret keys and
  Basic credentials through keygate's `/v1/verify` — and says who they are (`Identity`).
- `Authorizer` / `AsyncAuthorizer`: asks keygate whether an identity holds a permission on a resource.
- `keygate.fastapi.KeygateAuth` (FastAPI/Starlette) and `keygate.django` (plain functions, a view decorator).
"""

from ._access_key import PRIVATE_PREFIX, SECRET_PREFIX, PrivateAccessKey, SecretAccessKey, parse_access_key
from ._authorizer import AsyncAuthorizer, Authorizer
from ._errors import KeygateError
from ._identity import ExternalIdentity, Identity
from ._token_provider import AccessToken, AsyncServiceClientTokenProvider, ServiceClientTokenProvider
from ._verifier import AsyncVerifier, Rejection, Verifier

__all__ = [
    "AccessToken",
    "AsyncAuthorizer",
    "AsyncServiceClientTokenProvider",
    "AsyncVerifier",
    "Authorizer",
    "ExternalIdentity",
    "Identity",
    "KeygateError",
    "PRIVATE_PREFIX",
    "PrivateAccessKey",
    "Rejection",
    "SECRET_PREFIX",
    "SecretAccessKey",
    "ServiceClientTokenProvider",
    "Verifier",
    "parse_access_key",
]
