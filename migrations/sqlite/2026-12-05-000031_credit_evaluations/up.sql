-- Customer credit (客戶信用管理): the scorecard weights, rating bands and the
-- limit and payment terms each rating earns, as HQ data with history (never
-- edited; the latest in force); credit evaluations of a customer, each
-- decided through the approval engine; and the customer's limit history.
CREATE TABLE credit_rating_bands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Score (0-100) from which a customer is rated A, B, C; below c_from, D.
    a_from INTEGER NOT NULL,
    b_from INTEGER NOT NULL,
    c_from INTEGER NOT NULL,
    -- The most points each scorecard factor gives; they add up to 100.
    w_payment_history INTEGER NOT NULL CHECK (w_payment_history >= 0),
    w_overdue INTEGER NOT NULL CHECK (w_overdue >= 0),
    w_exposure INTEGER NOT NULL CHECK (w_exposure >= 0),
    w_tenure INTEGER NOT NULL CHECK (w_tenure >= 0),
    w_size INTEGER NOT NULL CHECK (w_size >= 0),
    w_qualitative INTEGER NOT NULL CHECK (w_qualitative >= 0),
    -- The yearly order volume (minor units) that earns the size points in full.
    size_full_at BIGINT NOT NULL CHECK (size_full_at > 0),
    -- The limit each rating earns, as basis points of the last 12 months'
    -- orders, and its payment terms in days.
    a_limit_bp INTEGER NOT NULL CHECK (a_limit_bp >= 0),
    b_limit_bp INTEGER NOT NULL CHECK (b_limit_bp >= 0),
    c_limit_bp INTEGER NOT NULL CHECK (c_limit_bp >= 0),
    d_limit_bp INTEGER NOT NULL CHECK (d_limit_bp >= 0),
    a_terms_days INTEGER NOT NULL CHECK (a_terms_days BETWEEN 0 AND 365),
    b_terms_days INTEGER NOT NULL CHECK (b_terms_days BETWEEN 0 AND 365),
    c_terms_days INTEGER NOT NULL CHECK (c_terms_days BETWEEN 0 AND 365),
    d_terms_days INTEGER NOT NULL CHECK (d_terms_days BETWEEN 0 AND 365),
    note TEXT,
    effective_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (a_from > b_from AND b_from > c_from AND c_from > 0 AND a_from <= 100),
    CHECK (w_payment_history + w_overdue + w_exposure + w_tenure + w_size + w_qualitative = 100)
);
INSERT INTO credit_rating_bands (a_from, b_from, c_from, w_payment_history, w_overdue, w_exposure,
    w_tenure, w_size, w_qualitative, size_full_at, a_limit_bp, b_limit_bp, c_limit_bp, d_limit_bp,
    a_terms_days, b_terms_days, c_terms_days, d_terms_days, note, effective_at, created_by, created_at)
VALUES (80, 65, 50, 30, 20, 15, 10, 10, 15, 100000000, 3000, 2000, 1000, 0, 60, 45, 30, 0,
    'Default scorecard: A 80+, B 65-79, C 50-64, D below 50',
    '2000-01-01 00:00:00', NULL, '2000-01-01 00:00:00');

CREATE TABLE credit_evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    bands_id BIGINT NOT NULL REFERENCES credit_rating_bands (id),
    -- What the scorecard read of the customer, and the points of each factor.
    facts TEXT NOT NULL,
    scorecard TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    rating TEXT NOT NULL CHECK (rating IN ('A', 'B', 'C', 'D')),
    proposed_limit BIGINT NOT NULL,
    proposed_terms_days INTEGER NOT NULL,
    credit_limit BIGINT NOT NULL CHECK (credit_limit >= 0),
    payment_terms_days INTEGER NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    limit_before BIGINT NOT NULL,
    note TEXT,
    status TEXT NOT NULL CHECK (status IN ('in_approval', 'approved', 'rejected', 'withdrawn')),
    approval_id BIGINT REFERENCES approval_instances (id),
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX credit_evaluations_office ON credit_evaluations (office_id, id);
CREATE INDEX credit_evaluations_customer ON credit_evaluations (customer_id, id);
-- One evaluation in the engine per customer at a time.
CREATE UNIQUE INDEX credit_evaluations_pending ON credit_evaluations (customer_id) WHERE status = 'in_approval';

-- Every change of a customer's limit and terms an evaluation made.
CREATE TABLE credit_limit_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    evaluation_id BIGINT NOT NULL REFERENCES credit_evaluations (id),
    limit_before BIGINT NOT NULL,
    limit_after BIGINT NOT NULL,
    terms_before INTEGER NOT NULL,
    terms_after INTEGER NOT NULL,
    rating_before TEXT,
    rating_after TEXT NOT NULL,
    effective_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_limit_changes_customer ON credit_limit_changes (customer_id, id);
CREATE INDEX credit_limit_changes_office ON credit_limit_changes (office_id, id);

CREATE TRIGGER credit_evaluations_open_office BEFORE INSERT ON credit_evaluations
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER credit_limit_changes_open_office BEFORE INSERT ON credit_limit_changes
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
