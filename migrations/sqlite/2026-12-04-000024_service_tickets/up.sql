-- After-sales, second part: the repair chain of seed 003 三(三) 售後服務流程.
--
-- How long each product is under warranty from its installation, company data
-- with history: a term applies from its date on; the term of a product (or,
-- without one, the company default, product NULL) in force on the day the
-- unit was installed decides.
CREATE TABLE warranty_terms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product TEXT,
    months INTEGER NOT NULL CHECK (months >= 0 AND months <= 240),
    effective_from DATE NOT NULL,
    note TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX warranty_terms_product_day ON warranty_terms ((COALESCE(product, '')), effective_from);

-- Service tickets: a unit of an order the customer reports, through judgement,
-- on-site handling or repair at the company, inspection, shipping back,
-- installation under the technical handover, training and survey.
CREATE TABLE service_tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    order_id BIGINT NOT NULL REFERENCES sales_orders (id),
    product TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    feedback TEXT NOT NULL,
    status TEXT NOT NULL,
    handling TEXT,
    nature TEXT,
    severity TEXT,
    assignee_user_id BIGINT REFERENCES users (id),
    in_warranty BOOLEAN NOT NULL,
    installed_on DATE,
    warranty_until DATE,
    quote_id BIGINT,
    service_level_id BIGINT NOT NULL REFERENCES service_levels (id),
    received_at TIMESTAMP NOT NULL,
    response_due_at TIMESTAMP NOT NULL,
    resolution_due_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP,
    resolved_at TIMESTAMP,
    -- Since when it waits for the customer's decision on a quotation.
    paused_since TIMESTAMP,
    closed_at TIMESTAMP,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_tickets_office ON service_tickets (office_id, id);
CREATE INDEX service_tickets_serial ON service_tickets (serial_number);
CREATE INDEX service_tickets_order ON service_tickets (order_id);
CREATE INDEX service_tickets_assignee ON service_tickets (assignee_user_id, id);

-- A ticket's history: who did what and when, with what the step recorded
-- (the judgement, the shipment, the handover, the training, the survey) as a
-- JSON object.
CREATE TABLE service_ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES service_tickets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    details TEXT,
    minutes BIGINT,
    actor_user_id BIGINT REFERENCES users (id),
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX service_ticket_events_ticket ON service_ticket_events (ticket_id, id);

-- Parts replaced in a repair: the new part's serial and the old one's, so a
-- serial leads to its ticket either way.
CREATE TABLE service_ticket_parts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES service_tickets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    event_id BIGINT NOT NULL REFERENCES service_ticket_events (id),
    part_code TEXT NOT NULL,
    part_name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    new_serial TEXT,
    old_serial TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX service_ticket_parts_ticket ON service_ticket_parts (ticket_id, id);
CREATE INDEX service_ticket_parts_new ON service_ticket_parts (new_serial);
CREATE INDEX service_ticket_parts_old ON service_ticket_parts (old_serial);

-- Quotations for a repair out of warranty: approved through the engine above
-- the policy's figure, then accepted or declined by the customer.
CREATE TABLE service_ticket_quotes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES service_tickets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    parts_amount BIGINT NOT NULL CHECK (parts_amount >= 0),
    labour_amount BIGINT NOT NULL CHECK (labour_amount >= 0),
    total BIGINT NOT NULL,
    currency TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    decided_at TIMESTAMP,
    customer_signatory TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_ticket_quotes_ticket ON service_ticket_quotes (ticket_id, id);
CREATE INDEX service_ticket_quotes_office ON service_ticket_quotes (office_id, id);

CREATE TRIGGER service_tickets_open_office BEFORE INSERT ON service_tickets
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_ticket_events_open_office BEFORE INSERT ON service_ticket_events
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_ticket_parts_open_office BEFORE INSERT ON service_ticket_parts
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;
CREATE TRIGGER service_ticket_quotes_open_office BEFORE INSERT ON service_ticket_quotes
    WHEN EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active')
    BEGIN SELECT RAISE(ABORT, 'office_closed: the office takes no new records'); END;

-- The company's defaults, for HQ to change: 12 months of warranty from
-- installation for any product, and service levels for tickets (working
-- minutes; a working day is 450).
INSERT INTO warranty_terms (product, months, effective_from, note, created_at)
VALUES (NULL, 12, '2000-01-01', 'Company default (整機保修一年)', strftime('%Y-%m-%d %H:%M:%f', 'now'));
INSERT INTO service_levels (office_id, request_type, priority, channel, response_minutes, resolution_minutes, warn_minutes, hq_after_minutes, created_at, updated_at)
SELECT NULL, 'service_ticket', p, NULL, r, s, s / 4, 900, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM (SELECT column1 AS p, column2 AS r, column3 AS s FROM (VALUES
    ('urgent', 60, 2250), ('high', 120, 4500),
    ('normal', 240, 6750), ('low', 450, 9000)
));
