-- private_key_jwt assertions already used (RFC 7523 §3: jti single use), kept until they expire.
CREATE TABLE used_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_assertions_by_expiry ON used_assertions (expires_at);

-- Access tokens revoked before their expiry (RFC 7009), kept until they expire.
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_by_revoked_at ON revoked_tokens (revoked_at);

-- Who created, used, revoked or deleted what, and failed authentications. Ids sort by time.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT,
    client_id TEXT,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    source_ip TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, id);
CREATE INDEX audit_events_by_client ON audit_events (client_id, id);

CREATE INDEX service_clients_by_owner ON service_clients (owner_id, id);
