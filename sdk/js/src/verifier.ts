// Verification for resource servers: keygate JWTs offline against the JWKS, and secret keys or Basic credentials
// through `POST /v1/verify` with a short cache.

import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { SECRET_PREFIX } from "./accessKey.js";
import { KeygateError } from "./errors.js";
import { basic, Http, jsonOrRefused, metadata, normalizeIssuer, type HttpOptions } from "./http.js";
import { identityOf, type Identity, type IdentityClaims } from "./identity.js";
import { Jwks } from "./jwks.js";

export interface VerifierOptions extends HttpOptions {
  /** Accept only tokens whose `aud` contains this (default: any audience). */
  audience?: string;
  /** The JWS algorithms to accept (default RS256, ES256, EdDSA: keygate's; never `none` or HMAC). */
  algorithms?: string[];
  /** Clock skew allowed on `exp` and `nbf`, in seconds (default 30). */
  clockToleranceSeconds?: number;
  /** The shortest time between two JWKS fetches, however many unknown `kid`s arrive (default 10 000 ms). */
  jwksCooldownMs?: number;
  /**
   * How long keygate's answer about a secret key or Basic credentials is reused, in milliseconds (default 5 000;
   * 0: ask every time). A revoked key is refused by this process at most this long after keygate refuses it.
   */
  credentialCacheMs?: number;
  /** Also accept the JWTs of the issuers keygate trusts, checked by keygate (default false). */
  trustedIdentities?: boolean;
  /** The realm named in `WWW-Authenticate` challenges (default `api`). */
  realm?: string;
}

/** The headers of a request: the Fetch API's `Headers`, or Node's `IncomingHttpHeaders` (Express's `req.headers`). */
export type RequestHeaders = Headers | Record<string, string | string[] | undefined>;

/** What to answer a request whose credentials were refused, in any framework. */
export interface Rejection {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string };
}

/** The asymmetric algorithms a verifier may be told to accept. */
const ALLOWED = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"];
const CREDENTIAL_CACHE_ENTRIES = 10_000;

/**
 * Verifies what callers of a resource server send: `Bearer <keygate JWT>`, `Bearer kg_sk_…`, or Basic.
 *
 * JWTs are checked here, with no round trip once the JWKS is cached: signature by a published key whose `alg` is
 * allowed and is the key's own, `typ` `at+jwt` (RFC 9068), `iss`, `aud` when an audience is set, `exp` and `nbf`
 * with leeway. A DPoP-bound token (RFC 9449) is refused as a bearer token. Secret keys and Basic credentials are
 * sent to keygate and the answer kept for `credentialCacheMs` (keyed by a SHA-256 of the header, never the secret).
 */
export class Verifier {
  readonly issuer: string;
  readonly realm: string;
  readonly #options: VerifierOptions;
  readonly #http: Http;
  readonly #jwks: Jwks;
  readonly #algorithms: string[];
  readonly #credentials = new Map<string, { answer: Promise<Identity>; until: number }>();
  #jwksUri?: Promise<string>;

  constructor(issuer: string, options: VerifierOptions = {}) {
    this.issuer = normalizeIssuer(issuer);
    this.realm = options.realm ?? "api";
    this.#options = options;
    // A request waits on these: one quick retry, no more.
    this.#http = new Http(options, 2, 50);
    this.#algorithms = (options.algorithms ?? ["RS256", "ES256", "EdDSA"]).filter((alg) => ALLOWED.includes(alg));
    const jwksUri = () =>
      (this.#jwksUri ??= metadata(this.#http, this.issuer).then(
        (found) => found.jwks_uri,
        (error) => {
          this.#jwksUri = undefined;
          throw error;
        },
      ));
    this.#jwks = new Jwks(this.#http, jwksUri, this.#algorithms, options.jwksCooldownMs ?? 10_000);
  }

  /** Verifies the credentials of a request from its headers (`Authorization`), in any framework. */
  verifyRequest(headers: RequestHeaders): Promise<Identity> {
    const authorization = headers instanceof Headers ? headers.get("authorization") : headers["authorization"];
    return this.verifyAuthorization(Array.isArray(authorization) ? authorization.join(", ") : (authorization ?? ""));
  }

  /** Verifies an `Authorization` header value: `Bearer <JWT>`, `Bearer kg_sk_…`, or `Basic …`. */
  async verifyAuthorization(authorization: string): Promise<Identity> {
    const [scheme, ...rest] = authorization.trim().split(" ");
    const credential = rest.join(" ").trim();
    if (!credential) throw new KeygateError("missing_credentials", this.#missing());
    switch (scheme?.toLowerCase()) {
      case "bearer":
        return credential.startsWith(SECRET_PREFIX) ? this.verifySecretKey(credential) : this.verifyToken(credential);
      case "basic":
        return this.#askKeygate(`Basic ${credential}`);
      case "dpop":
        throw new KeygateError("invalid_token", "DPoP-bound tokens need a verifier that checks their proofs");
      default:
        throw new KeygateError("missing_credentials", this.#missing());
    }
  }

  /** Verifies a secret key (`kg_sk_…`) sent on its own, as an API key. */
  verifySecretKey(key: string): Promise<Identity> {
    return this.#askKeygate(`Bearer ${key.trim()}`);
  }

  /** Verifies a client id and secret key, as HTTP Basic sends them. */
  verifyBasic(clientId: string, secret: string): Promise<Identity> {
    return this.#askKeygate(basic(clientId, secret));
  }

  /**
   * Verifies a keygate JWT access token against the issuer's JWKS, or, with `trustedIdentities`, another issuer's
   * JWT through keygate.
   */
  async verifyToken(token: string): Promise<Identity> {
    const claimedIssuer = this.#options.trustedIdentities ? unverifiedIssuer(token) : undefined;
    if (claimedIssuer !== undefined && claimedIssuer !== this.issuer) {
      return this.#askKeygate(`Bearer ${token}`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          if (!header.kid) throw new KeygateError("invalid_token", "no kid");
          const key = await this.#jwks.key(header.kid);
          // A key verifies only with its own algorithm (RFC 8725 §3.1).
          if (key.alg !== header.alg) throw new KeygateError("invalid_token", "the algorithm is not the key's");
          return key.key;
        },
        {
          issuer: this.issuer,
          audience: this.#options.audience,
          algorithms: this.#algorithms,
          // RFC 9068 §4 (jose compares it case-insensitively, with or without `application/`).
          typ: "at+jwt",
          clockTolerance: this.#options.clockToleranceSeconds ?? 30,
          requiredClaims: ["exp", "sub"],
        },
      ));
    } catch (error) {
      if (error instanceof KeygateError) throw error;
      if (error instanceof joseErrors.JOSEError) throw new KeygateError("invalid_token", tokenReason(error));
      throw error;
    }
    if (payload.cnf) {
      throw new KeygateError("invalid_token", "the token is bound to a DPoP key: it needs its proof, not Bearer");
    }
    return identityOf(payload as unknown as IdentityClaims, "access_token");
  }

  /** The `WWW-Authenticate` challenge for a refused request (RFC 6750 §3, RFC 7617). */
  challenge(error?: unknown): string {
    const realm = `realm="${this.realm}"`;
    if (error instanceof KeygateError && error.kind === "invalid_token") {
      return `Bearer ${realm}, error="invalid_token", error_description="${quoted(error.description)}"`;
    }
    if (error instanceof KeygateError && error.kind === "invalid_credentials") {
      return `Bearer ${realm}, error="invalid_token", Basic ${realm}`;
    }
    return `Bearer ${realm}, Basic ${realm}`;
  }

  /** What to answer when `verifyRequest` failed: 401 with the challenge, 429, or 503 — the error's own status. */
  rejection(error: unknown): Rejection {
    if (!(error instanceof KeygateError)) {
      return { status: 500, headers: {}, body: { error: "internal_error", message: "verification failed" } };
    }
    switch (error.kind) {
      case "throttled":
        return {
          status: 429,
          headers: { "retry-after": String(error.retryAfterSeconds ?? 1) },
          body: { error: "rate_limited", message: error.description },
        };
      case "unavailable":
      case "refused":
        return { status: 503, headers: {}, body: { error: "unavailable", message: "keygate cannot be reached" } };
      default:
        return {
          status: 401,
          headers: { "www-authenticate": this.challenge(error) },
          body: { error: "unauthorized", message: error.description },
        };
    }
  }

  #missing(): string {
    return "send Authorization: Bearer <access token or kg_sk_ key>, or Basic client credentials";
  }

  /** keygate's answer about a secret key, Basic credentials or a trusted issuer's JWT, cached by a hash. */
  async #askKeygate(authorization: string): Promise<Identity> {
    const ttl = this.#options.credentialCacheMs ?? 5_000;
    if (ttl <= 0) return this.#postVerify(authorization);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(authorization)));
    const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const now = Date.now();
    const cached = this.#credentials.get(hash);
    if (cached && now < cached.until) return cached.answer;
    if (this.#credentials.size >= CREDENTIAL_CACHE_ENTRIES) {
      for (const [key, entry] of this.#credentials) if (entry.until <= now) this.#credentials.delete(key);
      if (this.#credentials.size >= CREDENTIAL_CACHE_ENTRIES) this.#credentials.clear();
    }
    const answer = this.#postVerify(authorization);
    this.#credentials.set(hash, { answer, until: now + ttl });
    // Failures that may pass are not kept; a refusal is, like an acceptance.
    answer.catch((error) => {
      if (!(error instanceof KeygateError && error.kind === "invalid_credentials")) this.#credentials.delete(hash);
    });
    return answer;
  }

  async #postVerify(authorization: string): Promise<Identity> {
    const response = await this.#http.send(`${this.issuer}/v1/verify`, () => ({
      method: "POST",
      headers: { authorization },
    }));
    if (response.status === 401) throw new KeygateError("invalid_credentials", "keygate refused the credentials");
    const answer = await jsonOrRefused<IdentityClaims>(response);
    return identityOf(answer, "secret_key");
  }
}

/** The `iss` a JWT claims, unverified: only to tell keygate's tokens from other issuers'. */
function unverifiedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

function tokenReason(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return "the token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `${error.claim}: ${error.reason}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the signature does not verify";
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return "not a JWT";
  return error.message;
}

/** A quoted-string's content (RFC 9110 §5.6.4): no quotes or backslashes, printable. */
function quoted(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
}
