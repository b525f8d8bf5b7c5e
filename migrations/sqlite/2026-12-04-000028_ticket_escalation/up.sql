-- How far up the escalation chain each service ticket has gone (0: not
-- escalated), beside the ticket: written when it is opened, moved by the
-- escalation job with a compare-and-set.
CREATE TABLE service_ticket_escalations (
    ticket_id BIGINT PRIMARY KEY REFERENCES service_tickets (id),
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO service_ticket_escalations (ticket_id, level, updated_at)
SELECT id, 0, created_at FROM service_tickets;
