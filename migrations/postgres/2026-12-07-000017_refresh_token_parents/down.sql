DELETE FROM refresh_tokens WHERE client_id NOT IN (SELECT id FROM service_clients)
    OR user_id NOT IN (SELECT id FROM users);
ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_client_id_fkey FOREIGN KEY (client_id) REFERENCES service_clients (id) ON DELETE CASCADE,
    ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
