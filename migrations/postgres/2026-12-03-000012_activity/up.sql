-- Tokens issued (event = the grant type) and failed authentications (event = 'authentication_failed') per hour
-- (unix time / 3600), per tenant ('' when none is known), for the console's overview chart. Each node adds its
-- counts on its background flush, so rows from several nodes sum; rows older than a week are purged.
CREATE TABLE activity_hours (
    tenant_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    event TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour, event)
);
-- Operators see every tenant's hours.
CREATE INDEX activity_hours_by_hour ON activity_hours (hour);
