ALTER TABLE refresh_tokens DROP COLUMN sign_in_grant;
DROP TABLE revoked_subjects;
