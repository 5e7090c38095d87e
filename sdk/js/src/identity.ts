/** How the caller proved who it is. */
export type VerifiedBy = "access_token" | "secret_key" | "basic" | "trusted_identity";

/** The workload identity behind a trusted-identity credential: the external JWT's issuer and subject. */
export interface ExternalIdentity {
  iss: string;
  sub: string;
}

/** The identity behind a verified credential. */
export interface Identity {
  /** The user of a user's token, else the client. */
  subject: string;
  /** The service client. */
  clientId: string;
  /** The client's tenant; `null` for global clients. */
  tenantId: string | null;
  /** The token's scopes, or all the client's scopes for a key. */
  scopes: string[];
  /** The access key used (secret keys and Basic). */
  keyId: string | null;
  /** When an access token (or a trusted issuer's JWT) expires, in seconds since the epoch. */
  expiresAt: number | null;
  /** The external identity, for a trusted issuer's JWT and for an access token exchanged for one. */
  external: ExternalIdentity | null;
  /** How the credential was checked. */
  verifiedBy: VerifiedBy;
  /** Whether the credential carries `scope`. */
  hasScope(scope: string): boolean;
}

/** The claims of a keygate access token, or the answer of `POST /v1/verify`: the same names. */
export interface IdentityClaims {
  sub: string;
  client_id: string;
  tid?: string | null;
  scope?: string;
  key_id?: string | null;
  exp?: number | null;
  ext?: ExternalIdentity | null;
  verified_by?: VerifiedBy;
}

export function identityOf(claims: IdentityClaims, verifiedBy: VerifiedBy): Identity {
  const scopes = (claims.scope ?? "").split(/\s+/).filter(Boolean);
  return {
    subject: claims.sub,
    clientId: claims.client_id,
    tenantId: claims.tid ?? null,
    scopes,
    keyId: claims.key_id ?? null,
    expiresAt: claims.exp ?? null,
    external: claims.ext ?? null,
    verifiedBy: claims.verified_by ?? verifiedBy,
    hasScope: (scope: string) => scopes.includes(scope),
  };
}
