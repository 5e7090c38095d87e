// Access tokens for a service client: fetched with its access key, cached, renewed before they expire.

import { parseAccessKey, type AccessKey } from "./accessKey.js";
import { KeygateError } from "./errors.js";
import { basic, Http, jsonOrRefused, metadata, normalizeIssuer, type HttpOptions } from "./http.js";

/** `client_assertion_type` of RFC 7523 §2.2. */
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface TokenProviderOptions extends HttpOptions {
  /** Where keygate is. A private key names its keygate; a secret key needs this. */
  issuer?: string;
  /** The client of a secret key; when absent, keygate is asked once (`POST /v1/verify`). */
  clientId?: string;
  /** The scopes to ask for, space-separated (default: the client's default scopes). */
  scope?: string;
  /** The RFC 8707 resource(s) the token is meant for (its `aud`). */
  resource?: string | string[];
  /** How long before expiry to renew, in seconds (default 60; never more than half the token's lifetime). */
  renewBeforeSeconds?: number;
  /** How many times to try a request that fails for a transient reason (default 4). */
  maxAttempts?: number;
}

/** An access token and what keygate said about it. */
export interface AccessToken {
  /** The bearer token to send. */
  accessToken: string;
  /** The granted scopes, space-separated. */
  scope: string;
  /** Its lifetime in seconds, as issued. */
  expiresIn: number;
  /** When it stops being valid, in milliseconds since the epoch (counted from before the request). */
  expiresAt: number;
}

interface Cached extends AccessToken {
  renewAt: number;
}

/**
 * Gets access tokens with an access key and keeps one ready. A token is reused until `renewBeforeSeconds` ahead of
 * its expiry; when many callers ask at once, one request goes out and all share its answer. If renewal fails while
 * the old token is still valid, the old token is handed out. The key is never logged nor put in an error.
 *
 * ```ts
 * const tokenProvider = new ServiceClientTokenProvider(process.env.KEYGATE_ACCESS_KEY!);
 * const token = await tokenProvider.getToken();
 * ```
 */
export class ServiceClientTokenProvider {
  readonly issuer: string;
  readonly #key: AccessKey;
  readonly #http: Http;
  readonly #options: TokenProviderOptions;
  #clientId?: Promise<string>;
  #tokenEndpoint?: Promise<string>;
  #current?: Cached;
  #renewal?: Promise<Cached>;

  constructor(accessKey: string, options: TokenProviderOptions = {}) {
    this.#key = parseAccessKey(accessKey);
    const issuer = options.issuer ?? (this.#key.kind === "private" ? this.#key.issuer : undefined);
    if (!issuer) throw new KeygateError("invalid_key", "a secret key does not name its keygate: set the issuer");
    this.issuer = normalizeIssuer(issuer);
    this.#options = options;
    this.#http = new Http(options, options.maxAttempts ?? 4, 100);
    if (this.#key.kind === "private") this.#clientId = Promise.resolve(this.#key.clientId);
    else if (options.clientId) this.#clientId = Promise.resolve(options.clientId);
  }

  /** A valid bearer token, from the cache or freshly fetched. */
  async getToken(): Promise<string> {
    return (await this.getAccessToken()).accessToken;
  }

  /** Like `getToken`, with the token's scope and lifetime. */
  async getAccessToken(): Promise<AccessToken> {
    const current = this.#current;
    if (current && Date.now() < current.renewAt) return view(current);
    this.#renewal ??= this.#fetch().finally(() => {
      this.#renewal = undefined;
    });
    try {
      this.#current = await this.#renewal;
      return view(this.#current);
    } catch (error) {
      const stillValid = this.#current;
      if (stillValid && Date.now() < stillValid.expiresAt) return view(stillValid);
      throw error;
    }
  }

  /** Drops the cached token, so that the next call fetches a new one (after the API refused it, say). */
  invalidate(): void {
    this.#current = undefined;
  }

  async #fetch(): Promise<Cached> {
    // A failed lookup is not remembered: the next call asks again.
    this.#tokenEndpoint ??= metadata(this.#http, this.issuer).then(
      (found) => found.token_endpoint,
      (error) => {
        this.#tokenEndpoint = undefined;
        throw error;
      },
    );
    this.#clientId ??= this.#discoverClientId().catch((error) => {
      this.#clientId = undefined;
      throw error;
    });
    const [endpoint, clientId] = await Promise.all([this.#tokenEndpoint, this.#clientId]);
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (this.#options.scope) form.set("scope", this.#options.scope);
    for (const resource of [this.#options.resource ?? []].flat()) form.append("resource", resource);
    const started = Date.now();
    const key = this.#key;
    const response = await this.#http.send(endpoint, async () => {
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      const body = new URLSearchParams(form);
      if (key.kind === "secret") {
        headers.authorization = basic(clientId, key.secret);
      } else {
        body.set("client_assertion_type", ASSERTION_TYPE);
        body.set("client_assertion", await key.assertion(endpoint));
      }
      return { method: "POST", headers, body };
    });
    const answer = await jsonOrRefused<{ access_token: string; expires_in: number; scope?: string }>(response);
    const lifetime = answer.expires_in * 1000;
    const expiresAt = started + lifetime;
    const renewBefore = Math.min((this.#options.renewBeforeSeconds ?? 60) * 1000, lifetime / 2);
    return {
      accessToken: answer.access_token,
      scope: answer.scope ?? "",
      expiresIn: answer.expires_in,
      expiresAt,
      renewAt: expiresAt - renewBefore,
    };
  }

  /** A secret key does not name its client: ask keygate whose it is. */
  async #discoverClientId(): Promise<string> {
    const secret = this.#key.kind === "secret" ? this.#key.secret : "";
    const response = await this.#http.send(`${this.issuer}/v1/verify`, () => ({
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
    }));
    if (response.status === 401) throw new KeygateError("invalid_credentials", "keygate does not know this key");
    return (await jsonOrRefused<{ client_id: string }>(response)).client_id;
  }
}

function view({ accessToken, scope, expiresIn, expiresAt }: Cached): AccessToken {
  return { accessToken, scope, expiresIn, expiresAt };
}
