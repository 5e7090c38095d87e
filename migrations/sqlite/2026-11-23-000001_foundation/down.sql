DROP TABLE signing_keys;
DROP TABLE access_keys;
DROP TABLE service_clients;
DROP TABLE tenants;
