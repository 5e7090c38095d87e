import asyncio
import base64
import json

import pytest

from conftest import ISSUER, Counted, api, client, dead_url, revoke, tenant
from keygate import AsyncVerifier, KeygateError, ServiceClientTokenProvider, Verifier


def token_of(made, **options):
    return ServiceClientTokenProvider(made["key"], issuer=ISSUER, **options).get_token()


def with_header(token, **changes):
    header, rest = token.split(".", 1)
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps({**decoded, **changes}).encode()).rstrip(b"=").decode()
    return f"{encoded}.{rest}"


def refused_token(call):
    with pytest.raises(KeygateError) as error:
        call()
    assert error.value.kind == "invalid_token", error.value


def test_a_token_verifies_offline_with_one_jwks_fetch_and_its_claims_as_identity():
    tenant_id = tenant()
    made = client(tenant_id, scopes=["documents:read", "documents:write"])
    token = token_of(made, scope="documents:read")
    counted = Counted()
    verifier = Verifier(ISSUER, http_client=counted.sync())
    identity = verifier.verify_token(token)
    assert (identity.subject, identity.client_id, identity.tenant_id) == (made["id"], made["id"], tenant_id)
    assert identity.scopes == ("documents:read",) and identity.verified_by == "access_token"
    assert identity.has_scope("documents:read") and not identity.has_scope("documents:write")
    for _ in range(20):
        verifier.verify_request({"Authorization": f"Bearer {token}"})
    assert counted.paths["/.well-known/jwks.json"] == 1


def test_tokens_of_another_audience_algorithm_or_type_or_with_a_bad_signature_are_refused():
    made = client(tenant())
    token = token_of(made, resource="https://api.example.com")
    assert Verifier(ISSUER, audience="https://api.example.com").verify_token(token).client_id == made["id"]
    refused_token(lambda: Verifier(ISSUER, audience="https://other.example.com").verify_token(token))
    header, payload, signature = token.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    refused_token(lambda: Verifier(ISSUER).verify_token(f"{header}.{payload}.{flipped}"))
    refused_token(lambda: Verifier(ISSUER).verify_token("not-a-jwt"))
    refused_token(lambda: Verifier(ISSUER, algorithms=["EdDSA"]).verify_token(token))
    refused_token(lambda: Verifier(ISSUER).verify_token(with_header(token, typ="JWT")))


def test_a_rotated_signing_key_verifies_and_unknown_kids_wait_for_the_cooldown():
    made = client(tenant())
    before = token_of(made)
    counted = Counted()
    verifier = Verifier(ISSUER, jwks_cooldown=0, http_client=counted.sync())
    verifier.verify_token(before)
    api("POST", "/v1/signing-keys/rotate", {"alg": "EdDSA", "immediate": True})
    after = token_of(made)
    assert verifier.verify_token(after).client_id == made["id"]
    assert counted.paths["/.well-known/jwks.json"] == 2

    patient = Verifier(ISSUER, http_client=counted.sync())
    patient.verify_token(after)
    fetched = counted.paths["/.well-known/jwks.json"]
    for i in range(10):
        refused_token(lambda: patient.verify_token(with_header(after, kid=f"unknown-{i}")))
    assert counted.paths["/.well-known/jwks.json"] == fetched, "within the cooldown nothing is refetched"


def test_secret_keys_and_basic_go_to_keygate_and_a_revoked_key_is_refused():
    made = client(tenant(), scopes=["documents:read"])
    verifier = Verifier(ISSUER, credential_cache=0)
    by_key = verifier.verify_request({"authorization": f"Bearer {made['key']}"})
    assert (by_key.client_id, by_key.key_id, by_key.verified_by) == (made["id"], made["key_id"], "secret_key")
    by_basic = verifier.verify_basic(made["id"], made["key"])
    assert (by_basic.client_id, by_basic.verified_by) == (made["id"], "basic")
    # Django's request.META names the header HTTP_AUTHORIZATION.
    by_meta = verifier.verify_request({"HTTP_AUTHORIZATION": f"Bearer {made['key']}"})
    assert by_meta.client_id == made["id"]

    revoke(made)
    for call in (lambda: verifier.verify_secret_key(made["key"]), lambda: verifier.verify_basic(made["id"], made["key"])):
        with pytest.raises(KeygateError) as error:
            call()
        assert error.value.kind == "invalid_credentials"
    with pytest.raises(KeygateError) as none:
        verifier.verify_request({})
    assert none.value.kind == "missing_credentials"


def test_the_async_verifier_does_the_same():
    made = client(tenant())
    token = token_of(made)

    async def run():
        verifier = AsyncVerifier(ISSUER)
        identities = await asyncio.gather(*(verifier.verify_token(token) for _ in range(10)))
        by_key = await verifier.verify_authorization(f"Bearer {made['key']}")
        return identities, by_key

    identities, by_key = asyncio.run(run())
    assert {i.client_id for i in identities} == {made["id"]}
    assert by_key.verified_by == "secret_key"


def test_a_down_keygate_is_503_and_refusals_are_401_with_a_challenge():
    made = client(tenant())
    down = Verifier(dead_url(), realm="documents")
    with pytest.raises(KeygateError) as unavailable:
        down.verify_secret_key(made["key"])
    assert unavailable.value.kind == "unavailable"
    assert down.rejection(unavailable.value).status == 503
    with pytest.raises(KeygateError) as bad:
        down.verify_authorization("Bearer x.y.z")
    rejection = down.rejection(bad.value)
    assert rejection.status == 401
    assert rejection.headers["www-authenticate"].startswith('Bearer realm="documents", error="invalid_token"')
    with pytest.raises(KeygateError) as none:
        down.verify_request({})
    assert down.rejection(none.value).headers["www-authenticate"] == 'Bearer realm="documents", Basic realm="documents"'
