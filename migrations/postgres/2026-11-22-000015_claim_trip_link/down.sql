DROP INDEX expense_claim_lines_trip;
ALTER TABLE expense_claim_lines DROP COLUMN trip_id;
