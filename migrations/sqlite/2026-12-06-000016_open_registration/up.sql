-- Open dynamic client registration (RFC 7591 §3 without an initial access token), per tenant and off unless a
-- tenant administrator turns it on: the policy such registrations are held to (JSON, as an initial access token's).
-- A registered client remembers whether it came that way, so that the policy's max_clients counts those alone.
CREATE TABLE open_registrations (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE client_registrations ADD COLUMN open_registration BOOLEAN NOT NULL DEFAULT 0;
