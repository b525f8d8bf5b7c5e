DROP TABLE document_sequences;
DROP TABLE idempotency_keys;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
