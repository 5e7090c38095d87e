-- People of a tenant. username_key is the case-folded username: unique per tenant, case-insensitively.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_by_tenant_username ON users (tenant_id, username_key);

-- Opaque refresh tokens (RFC 6749 §6), stored as salted hashes, rotated on every use; a family is one sign-in.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES service_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    secret_salt BYTEA NOT NULL,
    secret_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (client_id);
