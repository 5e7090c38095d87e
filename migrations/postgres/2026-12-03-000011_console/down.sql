DROP TABLE operators;
ALTER TABLE users DROP COLUMN tenant_admin;
