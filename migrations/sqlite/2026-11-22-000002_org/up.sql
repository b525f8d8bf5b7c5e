-- The organization: regions, offices and their recorded changes, departments,
-- users, role assignments with scopes, refresh tokens and failed logins.

CREATE TABLE regions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE offices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    address TEXT NOT NULL,
    director_user_id BIGINT,
    status TEXT NOT NULL,
    opened_on DATE NOT NULL,
    closed_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX offices_region ON offices (region_id);

CREATE TABLE office_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    effective_date DATE NOT NULL,
    changes_json TEXT NOT NULL,
    actor_user_id BIGINT,
    acting_for_user_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX office_changes_office ON office_changes (office_id, id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    office_id BIGINT REFERENCES offices (id),
    employee_id BIGINT,
    password_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX users_office ON users (office_id, id);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    supervisor_user_id BIGINT REFERENCES users (id),
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (office_id, name)
);

CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    region_id BIGINT REFERENCES regions (id),
    office_id BIGINT REFERENCES offices (id),
    department_id BIGINT REFERENCES departments (id),
    valid_from DATE NOT NULL,
    valid_to DATE,
    acting_for_user_id BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    ended_at TIMESTAMP
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);
CREATE INDEX role_assignments_office ON role_assignments (office_id, id);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, failed_at);
CREATE INDEX login_failures_ip ON login_failures (ip, failed_at);
