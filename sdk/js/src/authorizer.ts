// Authorization checks for resource servers: may this identity use a permission on a resource
// (`POST /v1/authorize`), and on which resources may it (`POST /v1/authorize/resources`).

import { KeygateError } from "./errors.js";
import { Http, jsonOrRefused, type HttpOptions } from "./http.js";
import type { Identity } from "./identity.js";
import type { ServiceClientTokenProvider } from "./tokenProvider.js";

export interface AuthorizerOptions extends HttpOptions {
  /** How long each decision is reused, in milliseconds (default 0: keygate is asked every time). */
  decisionCacheMs?: number;
}

/** Whom a check is about: an identity from the `Verifier`, or a subject id with its tenant. */
export type Subject = Identity | { subject: string; tenantId?: string | null } | string;

/**
 * Asks keygate whether a subject holds a permission on a resource, authenticating as the resource server's own
 * client (whose access key the token provider holds; it needs the `keygate:authorize` scope, or an admin scope).
 *
 * ```ts
 * const authorizer = new Authorizer(new ServiceClientTokenProvider(process.env.KEYGATE_ACCESS_KEY!));
 * if (await authorizer.authorize(identity, "/documents/42", "documents:read")) { … }
 * ```
 */
export class Authorizer {
  readonly #tokens: ServiceClientTokenProvider;
  readonly #http: Http;
  readonly #ttl: number;
  readonly #decisions = new Map<string, { allowed: Promise<boolean>; until: number }>();

  constructor(tokens: ServiceClientTokenProvider, options: AuthorizerOptions = {}) {
    this.#tokens = tokens;
    this.#http = new Http(options, 2, 50);
    this.#ttl = options.decisionCacheMs ?? 0;
  }

  /** Whether `subject` may use `permission` (`documents:read`) on `resource` (`/documents/42`). */
  authorize(subject: Subject, resource: string, permission: string): Promise<boolean> {
    const body = { ...who(subject), resource, permission };
    if (this.#ttl <= 0) return this.#decide(body);
    const key = JSON.stringify(body);
    const now = Date.now();
    const cached = this.#decisions.get(key);
    if (cached && now < cached.until) return cached.allowed;
    if (this.#decisions.size >= 10_000) this.#decisions.clear();
    const allowed = this.#decide(body);
    this.#decisions.set(key, { allowed, until: now + this.#ttl });
    allowed.catch(() => this.#decisions.delete(key));
    return allowed;
  }

  /** Like `authorize`, but a refusal is a `KeygateError` with code `forbidden` (status 403). */
  async require(subject: Subject, resource: string, permission: string): Promise<void> {
    if (!(await this.authorize(subject, resource, permission))) {
      throw new KeygateError("refused", `${permission} on ${resource} is not allowed`, {
        status: 403,
        code: "forbidden",
      });
    }
  }

  /** The resource patterns (`/documents/*`) on which `subject` may use `permission`. */
  async resources(subject: Subject, permission: string): Promise<string[]> {
    const answer = await this.#post<{ resources: string[] }>("/v1/authorize/resources", {
      ...who(subject),
      permission,
    });
    return answer.resources;
  }

  async #decide(body: object): Promise<boolean> {
    return (await this.#post<{ allowed: boolean }>("/v1/authorize", body)).allowed;
  }

  /** Posts with the resource server's token; a refused token is renewed once (it may have been revoked). */
  async #post<T>(path: string, body: object): Promise<T> {
    const url = `${this.#tokens.issuer}${path}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.getToken();
      const response = await this.#http.send(url, () => ({
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }));
      if (response.status === 401 && attempt === 0) {
        this.#tokens.invalidate();
        continue;
      }
      return jsonOrRefused<T>(response);
    }
  }
}

function who(subject: Subject): { subject: string; tenant_id?: string | null } {
  if (typeof subject === "string") return { subject };
  return { subject: subject.subject, tenant_id: subject.tenantId ?? null };
}
