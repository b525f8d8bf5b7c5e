-- After-sales, fifth part: satisfaction surveys (客戶滿意度調查) — templates
-- of questions, surveys sent per ticket or to a group of customers, their
-- answers, and the improvement actions taken on what they show.
CREATE TABLE survey_templates (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT REFERENCES offices (id),
    name TEXT NOT NULL,
    -- 'ticket' (after a service ticket) or 'periodic' (to a group of customers).
    kind TEXT NOT NULL CHECK (kind IN ('ticket', 'periodic')),
    -- A JSON array of questions: key, text, kind (score / choice / text),
    -- options (choice), required.
    questions TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX survey_templates_office ON survey_templates (office_id, id);

CREATE TABLE surveys (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    template_id BIGINT NOT NULL REFERENCES survey_templates (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    ticket_id BIGINT REFERENCES service_tickets (id),
    -- The round of a periodic survey, e.g. 2026-Q4.
    round TEXT,
    status TEXT NOT NULL CHECK (status IN ('sent', 'answered', 'cancelled')),
    sent_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    respondent TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX surveys_office ON surveys (office_id, id);
CREATE INDEX surveys_template ON surveys (template_id, answered_at);
-- One survey per ticket, and one per customer in a round of a template.
CREATE UNIQUE INDEX surveys_ticket ON surveys (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE UNIQUE INDEX surveys_round ON surveys (template_id, customer_id, round) WHERE round IS NOT NULL;

CREATE TABLE survey_answers (
    id BIGSERIAL PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    question_key TEXT NOT NULL,
    score INTEGER CHECK (score BETWEEN 1 AND 5),
    choice TEXT,
    text TEXT,
    UNIQUE (survey_id, question_key)
);

CREATE TABLE improvement_actions (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    -- What it answers: a survey, and the question whose answers showed it.
    survey_id BIGINT REFERENCES surveys (id),
    template_id BIGINT REFERENCES survey_templates (id),
    question_key TEXT,
    description TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    due_on DATE NOT NULL,
    -- open → done (the owner's result) → verified (someone else: it worked),
    -- or back to open when it did not.
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'verified')),
    result TEXT,
    done_at TIMESTAMP,
    verified_by BIGINT REFERENCES users (id),
    verified_at TIMESTAMP,
    verification_note TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX improvement_actions_office ON improvement_actions (office_id, id);
CREATE INDEX improvement_actions_owner ON improvement_actions (owner_user_id, id);

CREATE TRIGGER survey_templates_open_office BEFORE INSERT ON survey_templates
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER surveys_open_office BEFORE INSERT ON surveys
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER survey_answers_open_office BEFORE INSERT ON survey_answers
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER improvement_actions_open_office BEFORE INSERT ON improvement_actions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
