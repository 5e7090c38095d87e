import assert from "node:assert/strict";
import { test } from "node:test";
import { KeygateError, ServiceClientTokenProvider, Verifier } from "@keygate/sdk";
import { api, client, countingFetch, deadUrl, issuer, revoke, tenant } from "./keygate.mjs";

const tokenOf = (made, options = {}) => new ServiceClientTokenProvider(made.key, { issuer, ...options }).getToken();
const invalidToken = (error) => error instanceof KeygateError && error.kind === "invalid_token";

test("a token verifies offline once the JWKS is cached, with its claims as the identity", async () => {
  const tenantId = await tenant();
  const made = await client(tenantId, { scopes: ["documents:read", "documents:write"] });
  const token = await tokenOf(made, { scope: "documents:read" });
  const counter = countingFetch();
  const verifier = new Verifier(issuer, { fetch: counter.fetch });
  const identity = await verifier.verifyToken(token);
  assert.deepEqual(
    { ...identity, hasScope: undefined },
    {
      subject: made.id,
      clientId: made.id,
      tenantId,
      scopes: ["documents:read"],
      keyId: null,
      expiresAt: identity.expiresAt,
      external: null,
      verifiedBy: "access_token",
      hasScope: undefined,
    },
  );
  assert.ok(identity.hasScope("documents:read") && !identity.hasScope("documents:write"));
  for (let i = 0; i < 20; i++) await verifier.verifyRequest({ authorization: `Bearer ${token}` });
  assert.equal(counter.count("/.well-known/jwks.json"), 1, "the JWKS was fetched once");
});

test("tokens of another audience, issuer, type or with a bad signature are refused", async () => {
  const made = await client(await tenant());
  const token = await tokenOf(made, { resource: "https://api.example.com" });
  assert.equal((await new Verifier(issuer, { audience: "https://api.example.com" }).verifyToken(token)).clientId, made.id);
  await assert.rejects(new Verifier(issuer, { audience: "https://other.example.com" }).verifyToken(token), invalidToken);
  const [header, payload, signature] = token.split(".");
  const flipped = signature[0] === "A" ? "B" + signature.slice(1) : "A" + signature.slice(1);
  await assert.rejects(new Verifier(issuer).verifyToken(`${header}.${payload}.${flipped}`), invalidToken);
  await assert.rejects(new Verifier(issuer).verifyToken("not-a-jwt"), invalidToken);
  await assert.rejects(new Verifier(issuer, { algorithms: ["EdDSA"] }).verifyToken(token), invalidToken);
  // An ID token is signed by the same keys but is no access token (RFC 9068 §4: typ at+jwt).
  const idLike = `${btoa(JSON.stringify({ ...JSON.parse(atob(header)), typ: "JWT" })).replace(/=+$/, "")}.${payload}.${signature}`;
  await assert.rejects(new Verifier(issuer).verifyToken(idLike), invalidToken);
});

test("a rotated signing key verifies: an unknown kid refetches the JWKS, at most once per cooldown", async () => {
  const made = await client(await tenant());
  const before = await tokenOf(made);
  const counter = countingFetch();
  const verifier = new Verifier(issuer, { fetch: counter.fetch, jwksCooldownMs: 0 });
  await verifier.verifyToken(before);
  await api("POST", "/v1/signing-keys/rotate", { alg: "ES256", immediate: true });
  const after = await tokenOf(made);
  assert.notEqual(JSON.parse(atob(after.split(".")[0])).kid, JSON.parse(atob(before.split(".")[0])).kid);
  assert.equal((await verifier.verifyToken(after)).clientId, made.id, "the new kid verifies");
  assert.equal(counter.count("/.well-known/jwks.json"), 2);

  // With the default cooldown, tokens naming unknown kids cost one fetch however many arrive.
  const patient = new Verifier(issuer, { fetch: counter.fetch });
  await patient.verifyToken(after);
  const forged = (kid) => {
    const [header, ...rest] = after.split(".");
    return [btoa(JSON.stringify({ ...JSON.parse(atob(header)), kid })).replace(/=+$/, ""), ...rest].join(".");
  };
  const fetches = counter.count("/.well-known/jwks.json");
  for (let i = 0; i < 10; i++) await assert.rejects(patient.verifyToken(forged(`unknown-${i}`)), invalidToken);
  assert.equal(counter.count("/.well-known/jwks.json") - fetches, 0, "within the cooldown nothing is refetched");
});

test("secret keys and Basic go to /v1/verify; a revoked key is refused there", async () => {
  const made = await client(await tenant(), { scopes: ["documents:read"] });
  const verifier = new Verifier(issuer, { credentialCacheMs: 0 });
  const byKey = await verifier.verifyRequest(new Headers({ authorization: `Bearer ${made.key}` }));
  assert.equal(byKey.clientId, made.id);
  assert.equal(byKey.keyId, made.keyId);
  assert.equal(byKey.verifiedBy, "secret_key");
  assert.deepEqual(byKey.scopes, ["documents:read"]);
  const byBasic = await verifier.verifyBasic(made.id, made.key);
  assert.equal(byBasic.verifiedBy, "basic");
  assert.equal(byBasic.clientId, made.id);

  await revoke(made);
  await assert.rejects(verifier.verifySecretKey(made.key), (error) => error.kind === "invalid_credentials");
  await assert.rejects(verifier.verifyBasic(made.id, made.key), (error) => error.kind === "invalid_credentials");
  await assert.rejects(verifier.verifyRequest({}), (error) => error.kind === "missing_credentials");
});

test("keygate's answers about a key are cached briefly, by a hash", async () => {
  const made = await client(await tenant());
  const counter = countingFetch();
  const verifier = new Verifier(issuer, { fetch: counter.fetch });
  await Promise.all(Array.from({ length: 10 }, () => verifier.verifySecretKey(made.key)));
  assert.equal(counter.count("/v1/verify"), 1);
});

test("a down keygate is unavailable, and the rejection says 503; refusals say 401 with a challenge", async () => {
  const made = await client(await tenant());
  const down = new Verifier(await deadUrl(), { realm: "documents" });
  const error = await down.verifySecretKey(made.key).catch((e) => e);
  assert.equal(error.kind, "unavailable");
  assert.equal(down.rejection(error).status, 503);
  const refused = await down.verifyRequest({ authorization: "Bearer x.y.z" }).catch((e) => e);
  assert.equal(down.rejection(refused).status, 401);
  assert.match(down.rejection(refused).headers["www-authenticate"], /^Bearer realm="documents", error="invalid_token"/);
  const none = down.rejection(await down.verifyRequest({}).catch((e) => e));
  assert.equal(none.headers["www-authenticate"], 'Bearer realm="documents", Basic realm="documents"');
});
