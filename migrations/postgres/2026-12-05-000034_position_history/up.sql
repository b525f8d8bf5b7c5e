-- Personnel, the employee file continued: position history (職位變動) —
-- transfers, promotions, demotions, grade and title changes, each with its
-- reason and effective day. The file's department, position and grade change
-- only this way.
CREATE TABLE employee_position_changes (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'promotion', 'demotion', 'regrade', 'retitle')),
    from_department_id BIGINT REFERENCES departments (id),
    to_department_id BIGINT REFERENCES departments (id),
    from_position TEXT NOT NULL,
    to_position TEXT NOT NULL,
    from_grade TEXT,
    to_grade TEXT,
    reason TEXT NOT NULL,
    effective_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX employee_position_changes_employee ON employee_position_changes (employee_id, id);

CREATE TRIGGER employee_position_changes_open_office BEFORE INSERT ON employee_position_changes
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
