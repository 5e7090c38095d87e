-- OpenID Connect (Core 1.0): a code remembers the nonce to echo and the sign-in session it came from; a refresh
-- token family remembers when the user signed in and in which session (so a refreshed ID token keeps auth_time
-- and sid, and RP-initiated logout ends the session's refresh tokens); a client registers where logout may return.
ALTER TABLE authorization_codes ADD COLUMN nonce TEXT;
ALTER TABLE authorization_codes ADD COLUMN auth_time BIGINT;
ALTER TABLE authorization_codes ADD COLUMN session_id TEXT;
ALTER TABLE refresh_tokens ADD COLUMN auth_time BIGINT;
ALTER TABLE refresh_tokens ADD COLUMN session_id TEXT;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
ALTER TABLE service_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
