DROP INDEX service_clients_by_tenant;
CREATE INDEX service_clients_by_tenant ON service_clients (tenant_id, id);
DROP TABLE operators;
ALTER TABLE users DROP COLUMN tenant_admin;
