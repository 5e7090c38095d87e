"""Django: plain functions over `request.headers`, and a view decorator.

    verifier = Verifier(settings.KEYGATE_ISSUER, realm="documents")

    @require_identity(verifier)
    def read(request, id):
        authorizer.require(request.identity, f"/documents/{id}", "documents:read")
        ...
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse  # type: ignore[import-untyped]

from ._errors import KeygateError
from ._identity import Identity
from ._verifier import Verifier


def identity_of(request: HttpRequest, verifier: Verifier) -> Identity:
    """The identity behind the request's `Authorization`, or a KeygateError saying why not."""
    return verifier.verify_request(request.headers)


def rejection_response(verifier: Verifier, error: KeygateError) -> HttpResponse:
    """What to answer for a KeygateError: 401 with the challenge, 429, 503, or 403 for an authorizer's refusal."""
    if error.code == "forbidden":
        return JsonResponse({"error": "forbidden", "message": error.description}, status=403)
    rejection = verifier.rejection(error)
    response = JsonResponse(rejection.body, status=rejection.status)
    for name, value in rejection.headers.items():
        response[name] = value
    return response


def require_identity(verifier: Verifier) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: the caller on `request.identity`; keygate's refusals (and `Authorizer.require`'s) become
    the right answer."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                setattr(request, "identity", identity_of(request, verifier))
                return view(request, *args, **kwargs)
            except KeygateError as error:
                return rejection_response(verifier, error)

        return wrapped

    return decorate
