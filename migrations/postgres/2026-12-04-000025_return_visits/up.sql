-- After-sales, third part: return visits (回訪) — plans per customer that
-- generate the visits due, the visits with what was found, and the follow-ups
-- routed to a department.
CREATE TABLE return_visit_plans (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- 'periodic' (every interval_months from starts_on) or 'after_ticket'
    -- (days_after each closed service ticket of the customer).
    kind TEXT NOT NULL CHECK (kind IN ('periodic', 'after_ticket')),
    interval_months INTEGER CHECK (interval_months BETWEEN 1 AND 24),
    days_after INTEGER CHECK (days_after BETWEEN 0 AND 90),
    starts_on DATE,
    method TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    active BOOLEAN NOT NULL,
    note TEXT,
    ended_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK ((kind = 'periodic') = (interval_months IS NOT NULL AND starts_on IS NOT NULL)),
    CHECK ((kind = 'after_ticket') = (days_after IS NOT NULL))
);
CREATE INDEX return_visit_plans_office ON return_visit_plans (office_id, id);
CREATE INDEX return_visit_plans_customer ON return_visit_plans (customer_id, kind);

CREATE TABLE return_visits (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    plan_id BIGINT REFERENCES return_visit_plans (id),
    ticket_id BIGINT REFERENCES service_tickets (id),
    due_on DATE NOT NULL,
    assignee_user_id BIGINT NOT NULL REFERENCES users (id),
    method TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('due', 'done', 'cancelled')),
    done_on DATE,
    findings TEXT,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    cancel_reason TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX return_visits_office ON return_visits (office_id, id);
CREATE INDEX return_visits_due ON return_visits (office_id, due_on);
CREATE INDEX return_visits_assignee ON return_visits (assignee_user_id, id);
-- A plan has one visit open at a time.
CREATE UNIQUE INDEX return_visits_plan_open ON return_visits (plan_id) WHERE status = 'due' AND ticket_id IS NULL;

CREATE TABLE return_visit_follow_ups (
    id BIGSERIAL PRIMARY KEY,
    visit_id BIGINT NOT NULL REFERENCES return_visits (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    assignee_user_id BIGINT REFERENCES users (id),
    description TEXT NOT NULL,
    due_on DATE,
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    result TEXT,
    done_by BIGINT REFERENCES users (id),
    done_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX return_visit_follow_ups_office ON return_visit_follow_ups (office_id, id);
CREATE INDEX return_visit_follow_ups_visit ON return_visit_follow_ups (visit_id, id);
CREATE INDEX return_visit_follow_ups_assignee ON return_visit_follow_ups (assignee_user_id, id);

CREATE TRIGGER return_visit_plans_open_office BEFORE INSERT ON return_visit_plans
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER return_visits_open_office BEFORE INSERT ON return_visits
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER return_visit_follow_ups_open_office BEFORE INSERT ON return_visit_follow_ups
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
