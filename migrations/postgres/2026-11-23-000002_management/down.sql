DROP INDEX service_clients_by_owner;
DROP TABLE audit_events;
DROP TABLE revoked_tokens;
DROP TABLE used_assertions;
