-- Deleting or disabling a user, client or tenant refuses every token and session issued to it before then
-- (docs/contract.md, "Revocation"): one row per subject, kept until the longest-lived token it covers has expired.
CREATE TABLE revoked_subjects (
    subject_id TEXT PRIMARY KEY NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_subjects_revoked_at ON revoked_subjects (revoked_at);

-- A refreshed access token lives as long as one from the grant that signed the user in.
ALTER TABLE refresh_tokens ADD COLUMN sign_in_grant TEXT NOT NULL DEFAULT 'password';
