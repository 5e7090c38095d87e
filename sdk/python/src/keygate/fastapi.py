"""FastAPI and Starlette: the caller's identity as a dependency, and keygate's errors answered as keygate would.

    verifier = AsyncVerifier(issuer, realm="documents")
    caller = KeygateAuth(verifier)
    app = FastAPI()
    caller.install(app)

    @app.get("/documents/{id}")
    async def read(id: str, identity: Identity = Depends(caller)): ...
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ._errors import KeygateError
from ._identity import Identity
from ._verifier import AsyncVerifier


class KeygateAuth:
    """A dependency that verifies a request's credentials and gives its `Identity`; with `install(app)` a refusal is
    401 with the `WWW-Authenticate` challenge, 429 with `Retry-After`, 503 when keygate cannot be reached, and an
    authorizer's refusal (`require`) 403 — each as `{"error", "message"}`."""

    def __init__(self, verifier: AsyncVerifier) -> None:
        self.verifier = verifier

    async def __call__(self, request: Request) -> Identity:
        return await self.verifier.verify_request(request.headers)

    def install(self, app: Any) -> None:
        app.add_exception_handler(KeygateError, self._answer)

    async def _answer(self, request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, KeygateError)
        if error.code == "forbidden":
            return JSONResponse({"error": "forbidden", "message": error.description}, status_code=403)
        rejection = self.verifier.rejection(error)
        return JSONResponse(rejection.body, status_code=rejection.status, headers=rejection.headers)
