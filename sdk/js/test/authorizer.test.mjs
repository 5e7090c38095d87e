import assert from "node:assert/strict";
import { test } from "node:test";
import { Authorizer, ServiceClientTokenProvider, Verifier } from "@keygate/sdk";
import { client, grant, countingFetch, issuer, tenant } from "./keygate.mjs";

test("authorize() and resources() ask keygate as the resource server's client", async () => {
  const tenantId = await tenant();
  const editor = await client(tenantId);
  await grant(tenantId, editor.id, "Editor", ["documents:*"]);
  const server = await client(tenantId, { scopes: ["keygate:authorize"] });
  const authorizer = new Authorizer(new ServiceClientTokenProvider(server.key, { issuer }));
  const token = await new ServiceClientTokenProvider(editor.key, { issuer }).getToken();
  const identity = await new Verifier(issuer).verifyToken(token);

  assert.equal(await authorizer.authorize(identity, "/documents/42", "documents:write"), true);
  assert.equal(await authorizer.authorize(identity, "/invoices/42", "documents:write"), false);
  assert.equal(await authorizer.authorize({ subject: editor.id, tenantId }, "/documents/1", "documents:read"), true);
  assert.deepEqual(await authorizer.resources(identity, "documents:read"), ["/documents/*"]);
  await assert.rejects(authorizer.require(identity, "/invoices/1", "documents:read"), (error) => {
    return error.code === "forbidden" && error.status === 403;
  });

  // A client without keygate:authorize may not ask.
  const nosy = new Authorizer(new ServiceClientTokenProvider(editor.key, { issuer }));
  await assert.rejects(nosy.authorize(identity, "/documents/1", "documents:read"), (error) => error.status === 403);

  // Decisions are cached only when asked to be.
  const counter = countingFetch();
  const cached = new Authorizer(new ServiceClientTokenProvider(server.key, { issuer }), {
    decisionCacheMs: 60_000,
    fetch: counter.fetch,
  });
  for (let i = 0; i < 5; i++) assert.equal(await cached.authorize(identity, "/documents/7", "documents:read"), true);
  assert.equal(counter.count("/v1/authorize"), 1);
});
