-- Personnel: rewards and sanctions (獎懲) on the employee file, each decided
-- through the approval engine. A reward may be for a certificate earned at
-- training, which is then no longer due one.
CREATE TABLE rewards_sanctions (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    kind TEXT NOT NULL CHECK (kind IN ('reward', 'sanction')),
    category TEXT NOT NULL CHECK (category IN ('commendation', 'bonus', 'warning_talk', 'warning', 'demerit', 'fine')),
    amount BIGINT CHECK (amount > 0),
    reason TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    certificate_id BIGINT REFERENCES employee_certificates (id),
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn')),
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX rewards_sanctions_office ON rewards_sanctions (office_id, id);
CREATE INDEX rewards_sanctions_employee ON rewards_sanctions (employee_id, id);
CREATE UNIQUE INDEX rewards_sanctions_one_per_certificate ON rewards_sanctions (certificate_id) WHERE certificate_id IS NOT NULL AND status IN ('in_approval', 'approved');

CREATE TRIGGER rewards_sanctions_open_office BEFORE INSERT ON rewards_sanctions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
