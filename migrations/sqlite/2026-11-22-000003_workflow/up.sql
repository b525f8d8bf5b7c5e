-- The approval engine: policies (per document type, HQ default or office
-- override), approval instances with their resolved step chains, the decision
-- history, and the office opening/closing requests that go through it.

CREATE TABLE approval_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_type TEXT NOT NULL,
    office_id BIGINT REFERENCES offices (id),
    name TEXT NOT NULL,
    steps_json TEXT NOT NULL,
    allow_same_approver BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX approval_policies_scope ON approval_policies (doc_type, COALESCE(office_id, 0));

CREATE TABLE approval_instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_type TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    office_id BIGINT REFERENCES offices (id),
    submitter_user_id BIGINT NOT NULL REFERENCES users (id),
    submitter_department_id BIGINT,
    amount BIGINT,
    currency TEXT NOT NULL,
    category TEXT,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    current_position INTEGER,
    round INTEGER NOT NULL,
    policy_id BIGINT NOT NULL REFERENCES approval_policies (id),
    policy_version BIGINT NOT NULL,
    allow_same_approver BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX approval_instances_doc ON approval_instances (doc_type, doc_id);
CREATE INDEX approval_instances_office ON approval_instances (office_id, status, id);

CREATE TABLE approval_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL REFERENCES approval_instances (id),
    round INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    approver_kind TEXT NOT NULL,
    approver_role TEXT,
    approver_level TEXT,
    approver_user_id BIGINT,
    status TEXT NOT NULL,
    time_limit_hours INTEGER,
    escalate_json TEXT,
    activated_at TIMESTAMP,
    due_at TIMESTAMP,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    decided_by BIGINT,
    acting_for_user_id BIGINT,
    decided_at TIMESTAMP,
    comment TEXT
);
CREATE INDEX approval_steps_instance ON approval_steps (instance_id, round, position);
CREATE INDEX approval_steps_pending ON approval_steps (status, due_at);

CREATE TABLE approval_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL REFERENCES approval_instances (id),
    step_id BIGINT,
    round INTEGER NOT NULL,
    action TEXT NOT NULL,
    instance_version BIGINT NOT NULL,
    actor_user_id BIGINT,
    acting_for_user_id BIGINT,
    comment TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX approval_decisions_instance ON approval_decisions (instance_id, id);

CREATE TABLE office_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    office_id BIGINT REFERENCES offices (id),
    code TEXT,
    name TEXT,
    region_id BIGINT REFERENCES regions (id),
    address TEXT,
    reason TEXT NOT NULL,
    effective_date DATE NOT NULL,
    status TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    approval_id BIGINT,
    result_office_id BIGINT,
    rejection_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
