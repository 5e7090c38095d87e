-- Roles: named lists of permissions, per tenant or global (tenant_id NULL). scope_key is the tenant id or '' so
-- that names are unique per scope (a unique index treats NULLs as distinct).
CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    scope_key TEXT NOT NULL,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_by_scope_name ON roles (scope_key, name);

-- Access records: statements (roles x resource patterns) for subjects, changed by their admins.
CREATE TABLE access_records (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    admins TEXT NOT NULL,
    statements TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX access_records_by_tenant ON access_records (tenant_id, id);

-- Who a record is for, indexed by subject: a check reads only the records naming its subject.
CREATE TABLE record_subjects (
    record_id TEXT NOT NULL REFERENCES access_records (id) ON DELETE CASCADE,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (record_id, subject_id)
);
CREATE INDEX record_subjects_by_subject ON record_subjects (subject_id, record_id);
