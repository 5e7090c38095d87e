// Talking to keygate: fetch with a timeout, the issuer's metadata (RFC 8414), and retries of transient failures.

import { KeygateError } from "./errors.js";

/** Options every class that talks to keygate takes. */
export interface HttpOptions {
  /** The fetch to use (default: the global one); for proxies, custom agents or tests. */
  fetch?: typeof fetch;
  /** How long one request may take, in milliseconds (default 15 000). */
  timeoutMs?: number;
}

/** The longest `Retry-After` worth waiting for inside one call. */
const MAX_RETRY_AFTER_SECONDS = 5;

export class Http {
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(
    options: HttpOptions,
    readonly attempts: number,
    readonly firstBackoffMs: number,
  ) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /**
   * Sends the request `build` makes, again after a connection failure, a 5xx or a short 429, with exponential
   * backoff and jitter. `build` runs once per attempt, so each attempt may carry a fresh client assertion.
   */
  async send(url: string, build: () => RequestInit | Promise<RequestInit> = () => ({})): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= Math.max(1, this.attempts);
      let wait: number;
      try {
        const init = await build();
        const response = await this.#fetch(url, { ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
        if (response.status === 429) {
          const after = retryAfter(response);
          if (last || after > MAX_RETRY_AFTER_SECONDS) {
            throw new KeygateError("throttled", `retry after ${after} s`, { status: 429, retryAfterSeconds: after });
          }
          wait = after * 1000;
        } else if (response.status >= 500) {
          if (last) {
            throw new KeygateError("unavailable", `${new URL(url).pathname} answered ${response.status}`, {
              status: response.status,
            });
          }
          wait = this.#backoff(attempt);
        } else {
          return response;
        }
      } catch (error) {
        if (error instanceof KeygateError) throw error;
        if (last) throw new KeygateError("unavailable", `${new URL(url).origin} cannot be reached: ${reason(error)}`);
        wait = this.#backoff(attempt);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** `firstBackoffMs` × 2^(attempt − 1), times a random factor in [0.5, 1.5) so that clients spread out. */
  #backoff(attempt: number): number {
    return this.firstBackoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
  }
}

function retryAfter(response: Response): number {
  const seconds = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 1;
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ? `${error.message} (${cause})` : error.message;
  }
  return String(error);
}

/** The issuer without a trailing slash, as keygate writes it in `iss`. */
export function normalizeIssuer(issuer: string): string {
  return issuer.trim().replace(/\/+$/, "");
}

/** What the SDK reads from the authorization server metadata. */
export interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** `{issuer}/.well-known/oauth-authorization-server`, checked to name the same issuer (RFC 8414 §3.3). */
export async function metadata(http: Http, issuer: string): Promise<Metadata> {
  const url = `${issuer}/.well-known/oauth-authorization-server`;
  const found = await jsonOrRefused<Metadata>(await http.send(url));
  if (normalizeIssuer(found.issuer ?? "") !== issuer) {
    throw new KeygateError("invalid_key", `${url} names the issuer ${JSON.stringify(found.issuer)}, not ${issuer}`);
  }
  return found;
}

/** The body of a successful answer, or the error keygate gave (OAuth `error_description` or `/v1` `message`). */
export async function jsonOrRefused<T>(response: Response): Promise<T> {
  if (response.ok) {
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new KeygateError("unavailable", `keygate answered unreadable JSON: ${reason(error)}`);
    }
  }
  throw await refused(response);
}

/** The error keygate answered with. */
export async function refused(response: Response): Promise<KeygateError> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : undefined);
  return new KeygateError("refused", text("error_description") ?? text("message") ?? "", {
    status: response.status,
    code: text("error") ?? `http_${response.status}`,
  });
}

/** HTTP Basic with the form-encoding of RFC 6749 §2.3.1. */
export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  const pair = new TextEncoder().encode(`${encode(clientId)}:${encode(secret)}`);
  return `Basic ${btoa(String.fromCharCode(...pair))}`;
}
