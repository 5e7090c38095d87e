-- Times are Unix seconds (BIGINT); lists and TTL overrides are JSON text; ids are made in Rust.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    ttl TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

CREATE TABLE service_clients (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    owner_type TEXT,
    owner_id TEXT,
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    default_scopes TEXT,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    ttl TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX service_clients_by_tenant ON service_clients (tenant_id, id);

CREATE TABLE access_keys (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES service_clients (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    secret_salt BYTEA,
    secret_hash BYTEA,
    public_jwk TEXT,
    alg TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX access_keys_by_client ON access_keys (client_id, id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    published_until BIGINT
);
