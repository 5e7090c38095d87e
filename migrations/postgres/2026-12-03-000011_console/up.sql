-- The management console. A tenant's user with tenant_admin set administers the tenant there (as a
-- keygate:tenant-admin client does through /v1). Operators are accounts of no tenant: they administer everything,
-- sign in to the console only, and are made at the command line; their usernames are unique server-wide.
ALTER TABLE users ADD COLUMN tenant_admin BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE operators (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
-- The console searches a tenant's clients by name: the index carries the name, so rows that do not match are
-- rejected without reading them.
DROP INDEX service_clients_by_tenant;
CREATE INDEX service_clients_by_tenant ON service_clients (tenant_id, id, name);
