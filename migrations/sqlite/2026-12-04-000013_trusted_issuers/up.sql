-- Trusted issuers: external OIDC issuers whose tokens a tenant (or, tenant_id NULL, the server) accepts in place of
-- a key, each rule mapping tokens whose claims match to one service client. Keys come from inline JWKs (jwks), an
-- explicit JWKS URL (jwks_uri), or, both NULL, the issuer's discovery document. A token exchange reads every trust
-- of the token's iss, hence the index.
CREATE TABLE trusted_issuers (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    jwks_uri TEXT,
    jwks TEXT,
    audiences TEXT NOT NULL,
    algorithms TEXT NOT NULL,
    max_token_age BIGINT,
    rules TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX trusted_issuers_by_issuer ON trusted_issuers (issuer);
CREATE INDEX trusted_issuers_by_tenant ON trusted_issuers (tenant_id, id);
