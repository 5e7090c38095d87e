/**
 * keygate for TypeScript and JavaScript.
 *
 * - `ServiceClientTokenProvider`: an access token from an access key (`kg_sk_…` or `kg_pk_…`), cached and renewed
 *   before it expires, one request however many callers ask at once.
 * - `Verifier`: checks what callers send — keygate JWTs offline against the JWKS, secret keys and Basic credentials
 *   through keygate's `/v1/verify` — and says who they are (`Identity`).
 * - `Authorizer`: asks keygate whether an identity holds a permission on a resource.
 * - `keygate(verifier)`: Express middleware; `verifier.verifyRequest(headers)` and `verifier.rejection(error)` for
 *   any other framework.
 */

export { parseAccessKey, SECRET_PREFIX, PRIVATE_PREFIX } from "./accessKey.js";
export type { AccessKey, SecretAccessKey, PrivateAccessKey } from "./accessKey.js";
export { Authorizer } from "./authorizer.js";
export type { AuthorizerOptions, Subject } from "./authorizer.js";
export { KeygateError } from "./errors.js";
export type { ErrorKind } from "./errors.js";
export { keygate } from "./express.js";
export type { HttpOptions } from "./http.js";
export type { ExternalIdentity, Identity, VerifiedBy } from "./identity.js";
export { ServiceClientTokenProvider } from "./tokenProvider.js";
export type { AccessToken, TokenProviderOptions } from "./tokenProvider.js";
export { Verifier } from "./verifier.js";
export type { Rejection, RequestHeaders, VerifierOptions } from "./verifier.js";
