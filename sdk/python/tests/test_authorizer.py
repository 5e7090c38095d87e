import pytest

from conftest import ISSUER, Counted, client, grant, tenant
from keygate import Authorizer, KeygateError, ServiceClientTokenProvider, Verifier


def test_authorize_and_resources_ask_keygate_as_the_resource_servers_client():
    tenant_id = tenant()
    editor = client(tenant_id)
    grant(tenant_id, editor["id"], "Editor", ["documents:*"])
    server = client(tenant_id, scopes=["keygate:authorize"])
    authorizer = Authorizer(ServiceClientTokenProvider(server["key"], issuer=ISSUER))
    identity = Verifier(ISSUER).verify_token(ServiceClientTokenProvider(editor["key"], issuer=ISSUER).get_token())

    assert authorizer.authorize(identity, "/documents/42", "documents:write") is True
    assert authorizer.authorize(identity, "/invoices/42", "documents:write") is False
    assert authorizer.authorize(editor["id"], "/documents/1", "documents:read", tenant_id=tenant_id) is True
    assert authorizer.resources(identity, "documents:read") == ["/documents/*"]
    with pytest.raises(KeygateError) as forbidden:
        authorizer.require(identity, "/invoices/1", "documents:read")
    assert (forbidden.value.code, forbidden.value.status) == ("forbidden", 403)

    nosy = Authorizer(ServiceClientTokenProvider(editor["key"], issuer=ISSUER))
    with pytest.raises(KeygateError) as refused:
        nosy.authorize(identity, "/documents/1", "documents:read")
    assert refused.value.status == 403

    counted = Counted()
    cached = Authorizer(ServiceClientTokenProvider(server["key"], issuer=ISSUER), decision_cache=60, http_client=counted.sync())
    for _ in range(5):
        assert cached.authorize(identity, "/documents/7", "documents:read")
    assert counted.paths["/v1/authorize"] == 1
