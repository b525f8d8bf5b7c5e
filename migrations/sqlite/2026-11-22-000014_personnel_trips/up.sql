-- Personnel, first part: business trips (出差). A trip is applied for and
-- approved before it starts, then reported on, with its actual cost, after it ends.

CREATE TABLE business_trips (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    traveller_user_id BIGINT NOT NULL REFERENCES users (id),
    destination TEXT NOT NULL,
    purpose TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    estimated_cost BIGINT NOT NULL CHECK (estimated_cost >= 0),
    currency TEXT NOT NULL DEFAULT 'CNY',
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    report TEXT,
    actual_cost BIGINT CHECK (actual_cost >= 0),
    reported_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX business_trips_office ON business_trips (office_id, id);
-- One's own trips, and the trips covering a day (read by other domains).
CREATE INDEX business_trips_traveller ON business_trips (traveller_user_id, id);
