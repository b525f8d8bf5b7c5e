-- Personnel, the employee file continued: labour contracts (勞動合同) with
-- their renewals, the confidentiality agreement (保密協議), and the statutory
-- probation limits (勞動合同法 §19) as data with history.

-- The longest probation a contract may set, by kind and term, from a day on.
-- A change of the law is a new set of rows with a later effective_from.
CREATE TABLE probation_limits (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('fixed_term', 'open_ended', 'per_task')),
    -- For fixed terms: the term in months from (inclusive) and below (exclusive).
    term_from_months INTEGER,
    term_below_months INTEGER,
    max_probation_months INTEGER NOT NULL CHECK (max_probation_months BETWEEN 0 AND 12),
    effective_from DATE NOT NULL,
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
INSERT INTO probation_limits (kind, term_from_months, term_below_months, max_probation_months, effective_from, note, created_at) VALUES
    ('fixed_term', 0, 3, 0, DATE '2008-01-01', '勞動合同法第十九條: 三個月以下不得約定試用期', TIMESTAMP '2008-01-01 00:00:00'),
    ('fixed_term', 3, 12, 1, DATE '2008-01-01', '三個月以上不滿一年的,試用期不得超過一個月', TIMESTAMP '2008-01-01 00:00:00'),
    ('fixed_term', 12, 36, 2, DATE '2008-01-01', '一年以上不滿三年的,試用期不得超過二個月', TIMESTAMP '2008-01-01 00:00:00'),
    ('fixed_term', 36, NULL, 6, DATE '2008-01-01', '三年以上固定期限的,試用期不得超過六個月', TIMESTAMP '2008-01-01 00:00:00'),
    ('open_ended', NULL, NULL, 6, DATE '2008-01-01', '無固定期限的勞動合同,試用期不得超過六個月', TIMESTAMP '2008-01-01 00:00:00'),
    ('per_task', NULL, NULL, 0, DATE '2008-01-01', '以完成一定工作任務為期限的,不得約定試用期', TIMESTAMP '2008-01-01 00:00:00');

CREATE TABLE labour_contracts (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    kind TEXT NOT NULL CHECK (kind IN ('fixed_term', 'open_ended', 'per_task')),
    starts_on DATE NOT NULL,
    ends_on DATE,
    probation_months INTEGER NOT NULL CHECK (probation_months BETWEEN 0 AND 12),
    signed_on DATE NOT NULL,
    -- The contract this one renews.
    renews_contract_id BIGINT REFERENCES labour_contracts (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'renewed', 'ended')),
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (kind <> 'fixed_term' OR ends_on IS NOT NULL),
    CHECK (kind <> 'open_ended' OR ends_on IS NULL),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX labour_contracts_employee ON labour_contracts (employee_id, id);
CREATE INDEX labour_contracts_office ON labour_contracts (office_id, id);
CREATE INDEX labour_contracts_ending ON labour_contracts (ends_on) WHERE status = 'active';
-- One contract in force per employee.
CREATE UNIQUE INDEX labour_contracts_active ON labour_contracts (employee_id) WHERE status = 'active';

CREATE TABLE confidentiality_agreements (
    id BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    office_id BIGINT REFERENCES offices (id),
    signed_on DATE NOT NULL,
    scope TEXT NOT NULL,
    ends_on DATE,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX confidentiality_agreements_employee ON confidentiality_agreements (employee_id, id);

CREATE TRIGGER labour_contracts_open_office BEFORE INSERT ON labour_contracts
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER confidentiality_agreements_open_office BEFORE INSERT ON confidentiality_agreements
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
