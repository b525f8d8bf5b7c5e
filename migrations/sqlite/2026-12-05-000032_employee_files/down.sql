ALTER TABLE users ADD COLUMN employee_id BIGINT;
DROP TABLE employee_personal_data;
DROP TABLE employees;
