"""The one error type of the SDK."""

from __future__ import annotations

from typing import Literal, Optional

ErrorKind = Literal[
    "invalid_key",  # the access key string is not a keygate access key, or the SDK was set up wrongly
    "missing_credentials",  # the request carried no credential this SDK understands
    "invalid_token",  # a JWT access token failed verification
    "invalid_credentials",  # keygate did not accept a secret key or Basic credentials
    "refused",  # keygate answered an OAuth or API error that retrying will not change; `code` is its `error`
    "throttled",  # keygate limits this caller; `retry_after` says for how long
    "unavailable",  # keygate could not be reached, or answered a server error, after retries
]


class KeygateError(Exception):
    """What went wrong. ``code`` is keygate's OAuth or API error code (``invalid_client``, ``invalid_scope``,
    ``forbidden``, …) when ``kind`` is ``refused``, and the kind itself otherwise. A key is never in an error."""

    def __init__(
        self,
        kind: ErrorKind,
        description: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.kind = kind
        self.code = code or kind
        self.status = status
        self.description = description
        self.retry_after = retry_after
        if kind == "refused":
            message = f"keygate refused ({status}): {self.code}: {description}"
        else:
            message = f"{kind}: {description}"
        super().__init__(message)
