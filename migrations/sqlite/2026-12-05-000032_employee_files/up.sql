-- Personnel, first part of the people side: the employee file (員工檔案). One
-- employee per person, with or without a login; an office's (or HQ's, with no
-- office). The personal data is kept apart, read only by HR and the person,
-- and never written to the audit trail in clear.
CREATE TABLE employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT REFERENCES offices (id),
    user_id BIGINT REFERENCES users (id),
    employee_number TEXT NOT NULL,
    name TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    position TEXT NOT NULL,
    grade TEXT,
    hire_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('hired', 'probation', 'regular', 'leaving', 'left')),
    manager_employee_id BIGINT REFERENCES employees (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX employees_user ON employees (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX employees_number ON employees (office_id, employee_number) WHERE office_id IS NOT NULL;
CREATE UNIQUE INDEX employees_number_hq ON employees (employee_number) WHERE office_id IS NULL;
CREATE INDEX employees_office ON employees (office_id, id);

-- Confidential (個人資料): one row per employee who has any.
CREATE TABLE employee_personal_data (
    employee_id BIGINT PRIMARY KEY REFERENCES employees (id),
    id_number TEXT,
    birth_date DATE,
    home_address TEXT,
    phone TEXT,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    bank_name TEXT,
    bank_account TEXT,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TRIGGER employees_open_office BEFORE INSERT ON employees
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;

-- The link between a login and a person is the employee's user_id; the
-- users' own placeholder for it goes.
ALTER TABLE users DROP COLUMN employee_id;
