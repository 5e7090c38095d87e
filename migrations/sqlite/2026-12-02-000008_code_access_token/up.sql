-- RFC 6749 §4.1.2: a replayed code revokes the access token it was exchanged for, so the code remembers its jti.
ALTER TABLE authorization_codes ADD COLUMN access_token_jti TEXT;
