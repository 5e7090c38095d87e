ALTER TABLE service_clients DROP COLUMN post_logout_redirect_uris;
DROP INDEX refresh_tokens_by_session;
ALTER TABLE refresh_tokens DROP COLUMN session_id;
ALTER TABLE refresh_tokens DROP COLUMN auth_time;
ALTER TABLE authorization_codes DROP COLUMN session_id;
ALTER TABLE authorization_codes DROP COLUMN auth_time;
ALTER TABLE authorization_codes DROP COLUMN nonce;
