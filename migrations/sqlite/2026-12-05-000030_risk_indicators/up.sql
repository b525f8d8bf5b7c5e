-- Risk, second part: indicators that read the company's own data and raise
-- early warnings (風險監控與預警) before damage is done. An indicator is data:
-- a metric, where it is read (an office, a region, the company), which way is
-- bad, the warning and alarm thresholds, how often it is evaluated and who
-- owns it. Each period's value is written once (the unique key is what lets
-- several replicas evaluate without doubling anything); a warning stays open
-- while the value stays past its threshold and is cleared when it returns.
CREATE TABLE risk_indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT REFERENCES offices (id),
    region_id BIGINT REFERENCES regions (id),
    name TEXT NOT NULL,
    metric TEXT NOT NULL CHECK (metric IN ('overdue_receivables_ratio', 'receivables_over_90_days',
        'customers_over_credit_limit', 'key_account_exposure', 'budget_categories_over',
        'claims_over_budget', 'complaints_past_deadline', 'resolution_timeliness', 'absence_rate')),
    -- 'above': a value above the thresholds is bad; 'below': below them.
    comparison TEXT NOT NULL CHECK (comparison IN ('above', 'below')),
    warning_threshold BIGINT NOT NULL,
    alarm_threshold BIGINT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    -- The category of a risk opened from one of its warnings.
    category TEXT NOT NULL CHECK (category IN ('market', 'sales', 'credit', 'financial',
        'legal', 'operational', 'technical', 'personnel')),
    active BOOLEAN NOT NULL,
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (office_id IS NULL OR region_id IS NULL),
    CHECK ((comparison = 'above' AND alarm_threshold >= warning_threshold)
        OR (comparison = 'below' AND alarm_threshold <= warning_threshold))
);
CREATE INDEX risk_indicators_office ON risk_indicators (office_id, id);

-- One value per indicator and period, whichever replica wrote it first.
CREATE TABLE risk_indicator_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator_id BIGINT NOT NULL REFERENCES risk_indicators (id),
    period_key TEXT NOT NULL,
    value BIGINT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('normal', 'warning', 'alarm')),
    evaluated_at TIMESTAMP NOT NULL,
    UNIQUE (indicator_id, period_key)
);

CREATE TABLE risk_warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator_id BIGINT NOT NULL REFERENCES risk_indicators (id),
    -- The indicator's, copied so that lists are scoped in one query.
    office_id BIGINT REFERENCES offices (id),
    region_id BIGINT REFERENCES regions (id),
    level TEXT NOT NULL CHECK (level IN ('warning', 'alarm')),
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved', 'cleared')),
    first_value BIGINT NOT NULL,
    last_value BIGINT NOT NULL,
    raised_period TEXT NOT NULL,
    last_period TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    escalated_at TIMESTAMP,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TIMESTAMP,
    resolved_by BIGINT REFERENCES users (id),
    resolved_at TIMESTAMP,
    note TEXT,
    cleared_at TIMESTAMP,
    risk_id BIGINT REFERENCES risks (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX risk_warnings_office ON risk_warnings (office_id, id);
CREATE INDEX risk_warnings_indicator ON risk_warnings (indicator_id, id);
CREATE INDEX risk_warnings_risk ON risk_warnings (risk_id);
-- One warning open per indicator at a time.
CREATE UNIQUE INDEX risk_warnings_open ON risk_warnings (indicator_id) WHERE status IN ('open', 'acknowledged');

CREATE TRIGGER risk_indicators_open_office BEFORE INSERT ON risk_indicators
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER risk_warnings_open_office BEFORE INSERT ON risk_warnings
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
