// Access keys as keygate hands them out: a secret key (`kg_sk_…`) or a private key (`kg_pk_…`, base64url of
// `{client_id, issuer, jwk}` whose private JWK has `kid` = the access key id and `alg`).

import { base64url, importJWK, SignJWT, type JWK } from "jose";
import { KeygateError } from "./errors.js";

export const SECRET_PREFIX = "kg_sk_";
export const PRIVATE_PREFIX = "kg_pk_";

/** How long a client assertion is valid: keygate accepts at most five minutes. */
const ASSERTION_SECONDS = 60;

export type AccessKey = SecretAccessKey | PrivateAccessKey;

/** A secret key: the `client_secret` with HTTP Basic, or an API key on its own. */
export interface SecretAccessKey {
  kind: "secret";
  secret: string;
}

/** A private key that signs `private_key_jwt` client assertions (RFC 7523). */
export interface PrivateAccessKey {
  kind: "private";
  clientId: string;
  issuer: string;
  keyId: string;
  alg: string;
  /** The key, imported once; signs an assertion for an audience. */
  assertion(audience: string): Promise<string>;
}

/** Reads a `kg_sk_…` or `kg_pk_…` string (surrounding whitespace ignored); the key itself is never in an error. */
export function parseAccessKey(input: string): AccessKey {
  const key = (input ?? "").trim();
  if (key.startsWith(SECRET_PREFIX)) {
    if (!/^[A-Za-z0-9_]+$/.test(key.slice(SECRET_PREFIX.length))) {
      throw new KeygateError("invalid_key", "malformed secret key");
    }
    return { kind: "secret", secret: key };
  }
  if (key.startsWith(PRIVATE_PREFIX)) return parsePrivate(key.slice(PRIVATE_PREFIX.length));
  throw new KeygateError("invalid_key", "not a keygate access key (expected kg_sk_… or kg_pk_…)");
}

function parsePrivate(encoded: string): PrivateAccessKey {
  let bundle: { client_id?: unknown; issuer?: unknown; jwk?: JWK };
  try {
    bundle = JSON.parse(new TextDecoder().decode(base64url.decode(encoded)));
  } catch {
    throw new KeygateError("invalid_key", "malformed private key: not base64url JSON");
  }
  const jwk = bundle.jwk;
  if (typeof bundle.client_id !== "string" || typeof bundle.issuer !== "string" || !jwk?.kid || !jwk.alg || !jwk.d) {
    throw new KeygateError("invalid_key", "malformed private key: it needs client_id, issuer and a private JWK");
  }
  const { client_id: clientId, issuer } = bundle;
  const { kid: keyId, alg } = jwk;
  let signingKey: ReturnType<typeof importJWK> | undefined;
  return {
    kind: "private",
    clientId,
    issuer,
    keyId,
    alg,
    async assertion(audience: string) {
      signingKey ??= importJWK(jwk, alg);
      let key: Awaited<typeof signingKey>;
      try {
        key = await signingKey;
      } catch (error) {
        signingKey = undefined;
        throw new KeygateError("invalid_key", `cannot sign with this key: ${(error as Error).message}`);
      }
      // RFC 7523 §3: iss = sub = the client, aud = the token endpoint, a single-use jti.
      return new SignJWT({ jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))) })
        .setProtectedHeader({ alg, kid: keyId })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ASSERTION_SECONDS}s`)
        .sign(key);
    },
  };
}
