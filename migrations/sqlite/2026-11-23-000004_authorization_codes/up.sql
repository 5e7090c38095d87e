-- Authorization codes (RFC 6749 §4.1), by the SHA-256 of the code: single use, a minute long, bound to a client,
-- a redirect URI and a PKCE challenge (RFC 7636). family_id names the sign-in the code was exchanged for, so
-- that a replayed code can revoke it.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES service_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    family_id TEXT
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
