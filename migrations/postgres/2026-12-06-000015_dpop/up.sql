-- DPoP (RFC 9449): a client may require proof-of-possession for every token (§5.2 dpop_bound_access_tokens), and a
-- public client's refresh tokens are bound to the key of the proof that started their family (§5).
ALTER TABLE service_clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
