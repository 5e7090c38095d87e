/** What went wrong, as one of a fixed set of kinds (the same as the Rust SDK's `Error`). */
export type ErrorKind =
  /** The access key string is not a keygate access key, or the SDK was set up wrongly. */
  | "invalid_key"
  /** The request carried no credential this SDK understands. */
  | "missing_credentials"
  /** A JWT access token failed verification. */
  | "invalid_token"
  /** keygate did not accept a secret key or Basic credentials. */
  | "invalid_credentials"
  /** keygate answered with an OAuth or API error that retrying will not change; `code` is its `error`. */
  | "refused"
  /** keygate limits this caller; `retryAfterSeconds` says for how long. */
  | "throttled"
  /** keygate could not be reached, or answered with a server error, after retries. */
  | "unavailable";

/**
 * The one error type of the SDK. `code` is the OAuth or API error code keygate answered (`invalid_client`,
 * `invalid_scope`, `forbidden`, …) for `refused`, and the kind itself otherwise.
 */
export class KeygateError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** The HTTP status keygate answered, when it answered. */
  readonly status?: number;
  /** keygate's `error_description` (OAuth) or `message` (management API), or the SDK's reason. */
  readonly description: string;
  readonly retryAfterSeconds?: number;

  constructor(
    kind: ErrorKind,
    description: string,
    extra: { code?: string; status?: number; retryAfterSeconds?: number } = {},
  ) {
    const code = extra.code ?? kind;
    super(kind === "refused" ? `keygate refused (${extra.status}): ${code}: ${description}` : `${kind}: ${description}`);
    this.name = "KeygateError";
    this.kind = kind;
    this.code = code;
    this.status = extra.status;
    this.description = description;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}
