ALTER TABLE client_registrations DROP COLUMN open_registration;
DROP TABLE open_registrations;
