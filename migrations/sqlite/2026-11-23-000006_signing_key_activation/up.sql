-- A rotated key is published before it signs: it takes over at activates_at, at least one JWKS max-age later.
ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT NOT NULL DEFAULT 0;
