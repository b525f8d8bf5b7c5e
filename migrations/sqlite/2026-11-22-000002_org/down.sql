DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE role_assignments;
DROP TABLE departments;
DROP TABLE users;
DROP TABLE office_changes;
DROP TABLE offices;
DROP TABLE regions;
