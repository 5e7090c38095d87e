-- OpenID Connect profile and email claims (OpenID Connect Core 1.0 §5.1). email_key is the lowercased address:
-- unique per tenant when set (NULLs never collide).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX users_by_tenant_email ON users (tenant_id, email_key);
