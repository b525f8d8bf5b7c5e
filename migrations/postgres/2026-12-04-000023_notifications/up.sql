-- Notifications: what a person is told the system did for them to act on (a
-- request escalated to them, later a risk warning they own). Written in the
-- transaction of the change they announce; read and marked read by their
-- addressee only.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    office_id BIGINT REFERENCES offices (id),
    kind TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE TRIGGER notifications_open_office BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
