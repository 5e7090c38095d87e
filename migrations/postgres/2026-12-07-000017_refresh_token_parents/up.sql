-- A refresh token no longer names its client and user through foreign keys on PostgreSQL. Each insert checked its
-- parent rows FOR KEY SHARE, and concurrent refreshes of one client (an SPA serves all its users) shared that lock
-- through a multixact, which PostgreSQL writes: a quarter of its CPU per refresh. Deleting a client, a user or a
-- tenant deletes their refresh tokens in the same transaction (service::clients, users, tenants). SQLite keeps its
-- foreign keys, whose checks take no locks there.
ALTER TABLE refresh_tokens
    DROP CONSTRAINT refresh_tokens_client_id_fkey,
    DROP CONSTRAINT refresh_tokens_user_id_fkey;
