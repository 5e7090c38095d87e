// The issuer's signing keys (RFC 7517), as fetched from its JWKS and kept for the `max-age` it sets.

import { importJWK, type JWK } from "jose";
import { KeygateError } from "./errors.js";
import { Http, jsonOrRefused } from "./http.js";

/** Used when the JWKS answer names no `max-age`. */
const DEFAULT_MAX_AGE_MS = 300_000;
/** Keys are refetched at least daily, whatever the server says. */
const LONGEST_MAX_AGE_MS = 86_400_000;

export interface VerifyingKey {
  key: CryptoKey | Uint8Array;
  alg: string;
}

interface KeySet {
  keys: Map<string, VerifyingKey>;
  freshUntil: number;
}

/**
 * The keys by `kid`: from the cached set while it is fresh, else refetched — when a token names an unknown `kid`
 * too, but at most once per `cooldownMs` however many arrive. The stale keys serve while the JWKS cannot be fetched.
 */
export class Jwks {
  #set?: KeySet;
  #lastFetch = 0;
  #fetching?: Promise<KeySet>;

  constructor(
    readonly http: Http,
    readonly url: () => Promise<string>,
    readonly allowed: readonly string[],
    readonly cooldownMs: number,
  ) {}

  async key(kid: string): Promise<VerifyingKey> {
    const set = this.#set;
    const known = set && Date.now() < set.freshUntil ? set.keys.get(kid) : undefined;
    if (known) return known;
    if (this.#fetching || Date.now() - this.#lastFetch >= this.cooldownMs) {
      this.#fetching ??= this.#fetch().finally(() => {
        this.#fetching = undefined;
      });
      try {
        this.#set = await this.#fetching;
      } catch (error) {
        if (!this.#set) throw error;
      }
    }
    const key = this.#set?.keys.get(kid);
    if (!key) {
      if (!this.#set) throw new KeygateError("unavailable", "the JWKS could not be fetched");
      throw new KeygateError("invalid_token", "unknown signing key");
    }
    return key;
  }

  async #fetch(): Promise<KeySet> {
    this.#lastFetch = Date.now();
    const started = Date.now();
    const response = await this.http.send(await this.url());
    const maxAge = maxAgeMs(response.headers.get("cache-control")) ?? DEFAULT_MAX_AGE_MS;
    const body = await jsonOrRefused<{ keys?: JWK[] }>(response);
    const keys = new Map<string, VerifyingKey>();
    for (const jwk of body.keys ?? []) {
      if (!jwk.kid || !jwk.alg || !this.allowed.includes(jwk.alg)) continue;
      try {
        keys.set(jwk.kid, { key: await importJWK(jwk, jwk.alg), alg: jwk.alg });
      } catch {
        // A key this runtime cannot use verifies nothing here.
      }
    }
    const lifetime = Math.min(Math.max(maxAge, this.cooldownMs), Math.max(LONGEST_MAX_AGE_MS, this.cooldownMs));
    return { keys, freshUntil: started + lifetime };
  }
}

/** `max-age` of `Cache-Control`, in milliseconds; `no-cache` and `no-store` count as zero. */
export function maxAgeMs(cacheControl: string | null): number | undefined {
  for (const directive of (cacheControl ?? "").toLowerCase().split(",").map((d) => d.trim())) {
    const [name, value] = directive.split("=", 2);
    if (name === "max-age" && value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
    if (directive === "no-cache" || directive === "no-store") return 0;
  }
  return undefined;
}
