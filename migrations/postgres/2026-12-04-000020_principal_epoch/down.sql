DROP TRIGGER offices_principal_epoch ON offices;
DROP TRIGGER departments_principal_epoch ON departments;
DROP TRIGGER role_assignments_principal_epoch ON role_assignments;
DROP TRIGGER users_principal_epoch ON users;
DROP FUNCTION bump_principal_epoch();
DROP TABLE principal_epoch;
