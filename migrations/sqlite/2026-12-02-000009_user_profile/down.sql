DROP INDEX users_by_tenant_email;
ALTER TABLE users DROP COLUMN email_verified;
ALTER TABLE users DROP COLUMN email_key;
ALTER TABLE users DROP COLUMN email;
