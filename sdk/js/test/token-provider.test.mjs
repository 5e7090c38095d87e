import assert from "node:assert/strict";
import { test } from "node:test";
import { KeygateError, ServiceClientTokenProvider, Verifier } from "@keygate/sdk";
import { client, countingFetch, deadUrl, issuer, revoke, tenant } from "./keygate.mjs";

test("a secret key gets a token once for a hundred concurrent callers, then from the cache", async () => {
  const made = await client(await tenant());
  const counter = countingFetch();
  const tokens = new ServiceClientTokenProvider(made.key, { issuer, fetch: counter.fetch });
  const all = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()));
  assert.equal(new Set(all).size, 1, "every caller got the same token");
  assert.equal(counter.count("/oauth/token"), 1, "one token request");
  assert.equal(counter.count("/v1/verify"), 1, "the key's client was looked up once");
  assert.equal(await tokens.getToken(), all[0], "then the cache answers");
  assert.equal(counter.count("/oauth/token"), 1);

  const identity = await new Verifier(issuer).verifyToken(all[0]);
  assert.equal(identity.clientId, made.id);
  assert.equal(identity.verifiedBy, "access_token");

  tokens.invalidate();
  const renewed = await tokens.getAccessToken();
  assert.equal(counter.count("/oauth/token"), 2, "invalidate() makes the next call fetch");
  assert.ok(renewed.expiresIn > 0 && renewed.expiresAt > Date.now());
});

test("a token is renewed before it expires, and the old one serves while renewal fails", async () => {
  const made = await client(await tenant({ ttl: { client_credentials: 60 } }));
  let failing = false;
  const counter = countingFetch();
  const tokens = new ServiceClientTokenProvider(made.key, {
    issuer,
    // Renew at once: 60 s before the end of a 60 s token is capped at half its life, 30 s…
    renewBeforeSeconds: 3600,
    maxAttempts: 1,
    fetch: (input, init) => (failing ? Promise.reject(new TypeError("fetch failed")) : counter.fetch(input, init)),
  });
  const first = await tokens.getAccessToken();
  assert.equal(first.expiresIn, 60, "the tenant's TTL");
  // …so with a clock 31 s ahead the token is due for renewal but still valid.
  const now = Date.now;
  Date.now = () => now() + 31_000;
  try {
    const second = await tokens.getAccessToken();
    assert.notEqual(second.accessToken, first.accessToken, "renewed early");
    failing = true;
    Date.now = () => now() + 31_000 + 31_000;
    assert.equal((await tokens.getAccessToken()).accessToken, second.accessToken, "the old token serves");
    Date.now = () => now() + 31_000 + 61_000;
    await assert.rejects(tokens.getAccessToken(), (error) => error.kind === "unavailable", "expired: the error shows");
  } finally {
    Date.now = now;
  }
});

test("private keys of each algorithm sign their own client assertion and name their keygate", async () => {
  const tenantId = await tenant();
  for (const alg of ["EdDSA", "ES256", "RS256"]) {
    const made = await client(tenantId, { kind: "private_key", alg });
    assert.match(made.key, /^kg_pk_/);
    const tokens = new ServiceClientTokenProvider(made.key);
    assert.equal(tokens.issuer, issuer);
    const identity = await new Verifier(issuer).verifyToken(await tokens.getToken());
    assert.equal(identity.clientId, made.id, alg);
  }
});

test("errors are typed, carry the OAuth error code, and never the key", async () => {
  assert.throws(
    () => new ServiceClientTokenProvider("not a key"),
    (error) => error instanceof KeygateError && error.kind === "invalid_key",
  );
  const made = await client(await tenant());
  assert.throws(
    () => new ServiceClientTokenProvider(made.key),
    (error) => error.kind === "invalid_key" && /issuer/.test(error.message),
    "a secret key needs its keygate named",
  );

  // Revoked: keygate refuses the client's credentials at the token endpoint (RFC 6749 §5.2).
  await revoke(made);
  const revoked = new ServiceClientTokenProvider(made.key, { issuer, clientId: made.id });
  await assert.rejects(revoked.getToken(), (error) => {
    assert.equal(error.kind, "refused");
    assert.equal(error.code, "invalid_client");
    assert.equal(error.status, 401);
    assert.ok(!error.message.includes(made.key), "the key is not in the error");
    return true;
  });
  // Without a client id the key's owner is asked of /v1/verify, which does not know a revoked key.
  await assert.rejects(
    new ServiceClientTokenProvider(made.key, { issuer }).getToken(),
    (error) => error.kind === "invalid_credentials",
  );

  const scoped = await client(await tenant(), { scopes: ["documents:read"] });
  await assert.rejects(
    new ServiceClientTokenProvider(scoped.key, { issuer, scope: "documents:delete" }).getToken(),
    (error) => error.code === "invalid_scope" && error.status === 400,
  );

  // Down: retried with backoff, then unavailable.
  const down = new ServiceClientTokenProvider(made.key, { issuer: await deadUrl(), maxAttempts: 2 });
  await assert.rejects(down.getToken(), (error) => error.kind === "unavailable" && /cannot be reached/.test(error.message));
});
