"""schemathesis hooks for keygate's OpenAPI tests (tests/api/openapi.rs).

`documented_refusals_only`: a request built from /openapi.json alone must be accepted. The document states every
rule about one field (lengths, patterns, enums, ranges); what it cannot state is listed below, each with the
error code it answers: rules across fields, references to objects that must exist, and the clock. Nothing else may
answer 400 or 422.

`filter_path_parameters`: the run must not delete or change the admin client whose token it uses, or every later
answer is a 401 that hides what it would have found.
"""
import os

import schemathesis

# (operation, error code): the rules a JSON Schema cannot express.
DOCUMENTED_REFUSALS = {
    # default_scopes must be among scopes; a public client has no client_credentials; owners exist in the tenant.
    ("POST /v1/clients", "invalid_client"),
    ("PATCH /v1/clients/{id}", "invalid_client"),
    ("POST /v1/clients", "invalid_owner"),
    ("PATCH /v1/clients/{id}", "invalid_owner"),
    ("POST /v1/clients", "invalid_tenant"),
    # a client made with its access: the roles it names must exist in the tenant.
    ("POST /v1/clients", "invalid_record"),
    # expires_at must be in the future; a public key must be a real key of a supported type and size.
    ("POST /v1/clients/{id}/keys", "invalid_expiry"),
    ("POST /v1/clients/{id}/keys", "invalid_public_key"),
    # the client named by the path is public: it has no keys.
    ("POST /v1/clients/{id}/keys", "public_client"),
    # the roles a record names must exist; its subjects and admins must exist in its tenant.
    ("POST /v1/records", "invalid_record"),
    ("PUT /v1/records/{id}", "invalid_record"),
    ("POST /v1/records", "invalid_subject"),
    ("PUT /v1/records/{id}", "invalid_subject"),
    ("POST /v1/records", "unknown_role"),
    ("PUT /v1/records/{id}", "unknown_role"),
    ("POST /v1/roles", "invalid_tenant"),
    ("POST /v1/records", "invalid_tenant"),
    # a role in use by a record cannot lose the permissions the record needs; self-service names a tenant role.
    ("POST /v1/self/clients", "unknown_role"),
    ("POST /v1/self/clients", "invalid_role"),
    # the subject's tenant is the one named (a contradiction is 422).
    ("POST /v1/authorize", "invalid_tenant"),
    ("POST /v1/authorize/resources", "invalid_tenant"),
    # a tenant's lifetimes are bounded by the server's configured max_access_token_ttl, not by the document.
    ("POST /v1/tenants", "invalid_tenant"),
    ("PATCH /v1/tenants/{id}", "invalid_tenant"),
    # a trust's rules name clients of its tenant; its URLs must be ones this server is configured to fetch.
    ("POST /v1/trusted-issuers", "invalid_trusted_issuer"),
    ("PUT /v1/trusted-issuers/{id}", "invalid_trusted_issuer"),
    # a registration policy allows only the grants a client may register, and no scope of keygate's own.
    ("POST /v1/tenants/{id}/registration-tokens", "invalid_registration_token"),
    ("PUT /v1/tenants/{id}/open-registration", "invalid_registration_token"),
}


# On every operation: PostgreSQL's text holds no NUL character, so no keygate string may (400, on both backends'
# behalf; the document's string fields cannot all carry a pattern for it).
NUL_REFUSAL = "text may not contain NUL characters"

# Refusals that share their code with rules the document does state, told apart by their message: a user's
# email_verified needs an email (sent with it, or already stored).
CROSS_FIELD_REFUSALS = {
    ("POST /v1/tenants/{id}/users", "email_verified needs an email"),
    ("PATCH /v1/tenants/{id}/users/{user_id}", "email_verified needs an email"),
}


@schemathesis.check
def documented_refusals_only(ctx, response, case):
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        body = response.json()
        code, message = body.get("error"), body.get("message")
    except Exception:
        code, message = None, None
    if (code, message) == ("invalid_request", NUL_REFUSAL):
        return None
    if (case.operation.label, message) in CROSS_FIELD_REFUSALS:
        return None
    if (case.operation.label, code) not in DOCUMENTED_REFUSALS:
        raise AssertionError(
            f"a request valid by /openapi.json was refused: {response.status_code} {response.text}"
        )
    return None


ADMIN = os.environ.get("KEYGATE_ADMIN_CLIENT_ID")


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    return ADMIN is None or not path_parameters or path_parameters.get("id") != ADMIN
