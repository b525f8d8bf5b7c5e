-- Personnel: probation (試用期) and leaving (離職).
-- The mentor and the supervisor evaluate a new employee during probation; at
-- its end a conversion request — convert, extend once within the statutory
-- limit, or end — goes through the approval engine. Leaving (resignation,
-- dismissal, or the end of probation) has a handover: archives and customers
-- to named colleagues, assets returned; on the last day the login is
-- deactivated and the role assignments end.
CREATE TABLE probation_evaluations (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    evaluator_user_id BIGINT NOT NULL REFERENCES users (id),
    evaluator_role TEXT NOT NULL CHECK (evaluator_role IN ('mentor', 'supervisor')),
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    comments TEXT NOT NULL,
    recommendation TEXT NOT NULL CHECK (recommendation IN ('convert', 'extend', 'end')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX probation_evaluations_employee ON probation_evaluations (employee_id, id);

CREATE TABLE probation_conversions (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('convert', 'extend', 'end')),
    extend_months INTEGER CHECK (extend_months BETWEEN 1 AND 6),
    last_day DATE,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn')),
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX probation_conversions_office ON probation_conversions (office_id, id);
CREATE UNIQUE INDEX probation_conversions_one_open ON probation_conversions (employee_id) WHERE status = 'in_approval';

CREATE TABLE leavings (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL UNIQUE REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    kind TEXT NOT NULL CHECK (kind IN ('resignation', 'dismissal', 'probation_end')),
    reason TEXT NOT NULL,
    last_day DATE NOT NULL,
    archives_to_employee_id BIGINT REFERENCES employees (id),
    customers_to_employee_id BIGINT REFERENCES employees (id),
    handover_note TEXT,
    status TEXT NOT NULL CHECK (status IN ('handover', 'completed', 'left')),
    completed_at TIMESTAMP,
    left_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX leavings_office ON leavings (office_id, id);
CREATE INDEX leavings_due ON leavings (status, last_day);

CREATE TRIGGER probation_evaluations_open_office BEFORE INSERT ON probation_evaluations
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER probation_conversions_open_office BEFORE INSERT ON probation_conversions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER leavings_open_office BEFORE INSERT ON leavings
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
