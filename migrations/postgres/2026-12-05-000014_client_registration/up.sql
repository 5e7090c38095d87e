-- Dynamic client registration (RFC 7591/7592). A tenant administrator mints initial access tokens: each registers
-- up to max_uses clients (NULL: until it expires or is deleted) within its policy (JSON: the grant types, scopes,
-- authentication methods and redirect URI forms allowed, and the most clients live at once), owned by the user who
-- made it (NULL: by the tenant). Tokens are kept as a salt and SHA-256, like secret keys. A registered client keeps
-- the metadata it registered with, the policy it was registered under, and its registration access token's id,
-- salt and hash: that token reads, replaces and deletes it (RFC 7592).
CREATE TABLE registration_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    secret_salt BYTEA NOT NULL,
    secret_hash BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    max_uses BIGINT,
    uses BIGINT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX registration_tokens_by_tenant ON registration_tokens (tenant_id, id);
CREATE TABLE client_registrations (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES service_clients (id) ON DELETE CASCADE,
    registration_token_id TEXT REFERENCES registration_tokens (id) ON DELETE SET NULL,
    access_token_id TEXT NOT NULL,
    access_token_salt BYTEA NOT NULL,
    access_token_hash BYTEA NOT NULL,
    metadata TEXT NOT NULL,
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX client_registrations_by_token ON client_registrations (registration_token_id);
