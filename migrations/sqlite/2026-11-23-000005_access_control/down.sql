DROP TABLE record_subjects;
DROP TABLE access_records;
DROP TABLE roles;
