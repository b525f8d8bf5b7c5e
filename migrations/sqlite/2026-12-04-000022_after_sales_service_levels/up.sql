-- After-sales, first part: service levels and the requests they time.
--
-- A working calendar per office (or the company's default, office_id NULL):
-- its time zone and working windows per weekday, as JSON
-- ({"1": [["09:00","12:00"], ["13:30","18:00"]], ..., "7": []}), and dated
-- exceptions: days off and make-up working days.
CREATE TABLE service_calendars (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT REFERENCES offices (id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    week_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
-- One calendar per office, and one company default.
CREATE UNIQUE INDEX service_calendars_office ON service_calendars ((COALESCE(office_id, 0)));

CREATE TABLE service_calendar_days (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    calendar_id BIGINT NOT NULL REFERENCES service_calendars (id),
    office_id BIGINT REFERENCES offices (id),
    day DATE NOT NULL,
    rule TEXT NOT NULL CHECK (rule IN ('off', 'worked')),
    worked_as INTEGER CHECK (worked_as BETWEEN 1 AND 7),
    name TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (calendar_id, day),
    CHECK ((rule = 'worked') = (worked_as IS NOT NULL))
);

-- Response and resolution deadlines in working minutes, and when to escalate,
-- per request type,
-- priority (NULL: any) and channel (NULL: any); the company's defaults
-- (office_id NULL) and an office's overrides.
CREATE TABLE service_levels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT REFERENCES offices (id),
    request_type TEXT NOT NULL,
    priority TEXT,
    channel TEXT,
    response_minutes INTEGER NOT NULL CHECK (response_minutes > 0),
    resolution_minutes INTEGER NOT NULL CHECK (resolution_minutes > 0),
    -- Escalation: to the department supervisor when this many working minutes
    -- of the resolution time are left, to HQ when it is this many past.
    warn_minutes INTEGER NOT NULL CHECK (warn_minutes >= 0),
    hq_after_minutes INTEGER NOT NULL CHECK (hq_after_minutes >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (response_minutes <= resolution_minutes)
);
CREATE UNIQUE INDEX service_levels_rule ON service_levels
    ((COALESCE(office_id, 0)), request_type, (COALESCE(priority, '')), (COALESCE(channel, '')));

-- Inquiries (咨詢), complaints (投訴) and suggestions (建議).
CREATE TABLE service_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    contact_id BIGINT REFERENCES customer_contacts (id),
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_user_id BIGINT REFERENCES users (id),
    service_level_id BIGINT NOT NULL REFERENCES service_levels (id),
    received_at TIMESTAMP NOT NULL,
    response_due_at TIMESTAMP NOT NULL,
    resolution_due_at TIMESTAMP NOT NULL,
    -- When the request goes to the department supervisor (the resolution
    -- deadline near) and to HQ (long past it); both move with a pause.
    warn_at TIMESTAMP NOT NULL,
    hq_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    paused_since TIMESTAMP,
    paused_minutes BIGINT NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    resolution TEXT,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    satisfaction_comment TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_requests_office ON service_requests (office_id, id);
CREATE INDEX service_requests_assignee ON service_requests (assignee_user_id, id);
CREATE INDEX service_requests_customer ON service_requests (customer_id, id);
-- Open requests by their resolution deadline (the escalation job, the backlog).
CREATE INDEX service_requests_open_due ON service_requests (resolution_due_at) WHERE closed_at IS NULL;

-- A request's history: every step, and what the customer was told.
CREATE TABLE service_request_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES service_requests (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    kind TEXT NOT NULL,
    customer_facing BOOLEAN NOT NULL,
    message TEXT,
    from_status TEXT,
    to_status TEXT,
    minutes BIGINT,
    actor_user_id BIGINT REFERENCES users (id),
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX service_request_events_request ON service_request_events (request_id, id);

CREATE TRIGGER service_calendars_open_office BEFORE INSERT ON service_calendars
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_calendar_days_open_office BEFORE INSERT ON service_calendar_days
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_levels_open_office BEFORE INSERT ON service_levels
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_requests_open_office BEFORE INSERT ON service_requests
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_request_events_open_office BEFORE INSERT ON service_request_events
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;

-- The company's defaults, for HQ to change: a calendar of 09:00–12:00 and
-- 13:30–18:00 on weekdays in China Standard Time (holidays are entered each
-- year as the State Council publishes them), and service levels in working
-- minutes (a working day is 450): escalation to the department supervisor with
-- a quarter of the resolution time left, to HQ a working day after it.
INSERT INTO service_calendars (office_id, name, time_zone, week_json, created_at, updated_at)
VALUES (NULL, 'Company default (總部默認工作日曆)', 'Asia/Shanghai',
        '{"1":[["09:00","12:00"],["13:30","18:00"]],"2":[["09:00","12:00"],["13:30","18:00"]],"3":[["09:00","12:00"],["13:30","18:00"]],"4":[["09:00","12:00"],["13:30","18:00"]],"5":[["09:00","12:00"],["13:30","18:00"]],"6":[],"7":[]}',
        strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now'));
INSERT INTO service_levels (office_id, request_type, priority, channel, response_minutes, resolution_minutes, warn_minutes, hq_after_minutes, created_at, updated_at)
SELECT NULL, t, p, NULL, r, s, s / 4, 450, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM (SELECT column1 AS t, column2 AS p, column3 AS r, column4 AS s FROM (VALUES
    ('inquiry', 'urgent', 30, 240), ('inquiry', 'high', 60, 450),
    ('inquiry', 'normal', 120, 900), ('inquiry', 'low', 240, 1350),
    ('complaint', 'urgent', 30, 450), ('complaint', 'high', 60, 900),
    ('complaint', 'normal', 120, 1350), ('complaint', 'low', 240, 2250),
    ('suggestion', NULL, 450, 4500)
));
