import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ISSUER, Counted, client, dead_url, revoke, tenant
from keygate import AsyncServiceClientTokenProvider, KeygateError, ServiceClientTokenProvider, Verifier


def test_a_secret_key_gets_one_token_for_fifty_threads_then_from_the_cache():
    made = client(tenant())
    counted = Counted()
    tokens = ServiceClientTokenProvider(made["key"], issuer=ISSUER, http_client=counted.sync())
    with ThreadPoolExecutor(50) as pool:
        all_tokens = list(pool.map(lambda _: tokens.get_token(), range(50)))
    assert len(set(all_tokens)) == 1
    assert counted.paths["/oauth/token"] == 1
    assert counted.paths["/v1/verify"] == 1, "the key's client was looked up once"
    assert tokens.get_token() == all_tokens[0]
    assert counted.paths["/oauth/token"] == 1

    identity = Verifier(ISSUER).verify_token(all_tokens[0])
    assert identity.client_id == made["id"]
    tokens.invalidate()
    tokens.get_token()
    assert counted.paths["/oauth/token"] == 2


def test_async_callers_share_one_request():
    made = client(tenant())
    counted = Counted()

    async def run():
        tokens = AsyncServiceClientTokenProvider(made["key"], issuer=ISSUER, client_id=made["id"], http_client=counted.asynchronous())
        return await asyncio.gather(*(tokens.get_token() for _ in range(100)))

    all_tokens = asyncio.run(run())
    assert len(set(all_tokens)) == 1
    assert counted.paths["/oauth/token"] == 1
    assert counted.paths["/v1/verify"] == 0, "the client id was given"


def test_a_token_is_renewed_early_and_the_old_one_serves_while_renewal_fails(monkeypatch):
    made = client(tenant(ttl={"client_credentials": 60}))
    tokens = ServiceClientTokenProvider(made["key"], issuer=ISSUER, renew_before=3600, max_attempts=1)
    first = tokens.get_access_token()
    assert first.expires_in == 60
    now = time.time()
    # Renewal is due after half the token's life (renew_before is capped at it), 30 s.
    monkeypatch.setattr(time, "time", lambda: now + 31)
    second = tokens.get_access_token()
    assert second.access_token != first.access_token
    tokens._token_endpoint = dead_url() + "/oauth/token"  # from now on keygate cannot be reached
    monkeypatch.setattr(time, "time", lambda: now + 31 + 31)
    assert tokens.get_access_token() == second, "the old token serves"
    monkeypatch.setattr(time, "time", lambda: now + 31 + 61)
    with pytest.raises(KeygateError):
        tokens.get_access_token()


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_private_keys_sign_their_own_assertion_and_name_their_keygate(alg):
    made = client(tenant(), kind="private_key", alg=alg)
    assert made["key"].startswith("kg_pk_")
    tokens = ServiceClientTokenProvider(made["key"])
    assert tokens.issuer == ISSUER
    assert Verifier(ISSUER).verify_token(tokens.get_token()).client_id == made["id"]


def test_errors_are_typed_carry_the_oauth_code_and_never_the_key():
    with pytest.raises(KeygateError) as bad:
        ServiceClientTokenProvider("not a key")
    assert bad.value.kind == "invalid_key"
    made = client(tenant())
    with pytest.raises(KeygateError, match="issuer"):
        ServiceClientTokenProvider(made["key"])

    revoke(made)
    with pytest.raises(KeygateError) as revoked:
        ServiceClientTokenProvider(made["key"], issuer=ISSUER, client_id=made["id"]).get_token()
    assert (revoked.value.kind, revoked.value.code, revoked.value.status) == ("refused", "invalid_client", 401)
    assert made["key"] not in str(revoked.value)
    with pytest.raises(KeygateError) as unknown:
        ServiceClientTokenProvider(made["key"], issuer=ISSUER).get_token()
    assert unknown.value.kind == "invalid_credentials"

    scoped = client(tenant(), scopes=["documents:read"])
    with pytest.raises(KeygateError) as scope:
        ServiceClientTokenProvider(scoped["key"], issuer=ISSUER, scope="documents:delete").get_token()
    assert (scope.value.code, scope.value.status) == ("invalid_scope", 400)

    with pytest.raises(KeygateError, match="cannot be reached") as down:
        ServiceClientTokenProvider(scoped["key"], issuer=dead_url(), max_attempts=2).get_token()
    assert down.value.kind == "unavailable"
