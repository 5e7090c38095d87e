ALTER TABLE refresh_tokens DROP COLUMN dpop_jkt;
ALTER TABLE service_clients DROP COLUMN dpop_bound_access_tokens;
