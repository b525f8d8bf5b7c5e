-- A travel line of an expense claim links to the approved business trip it was
-- spent on (the trip belongs to personnel; finance keeps its id).
ALTER TABLE expense_claim_lines ADD COLUMN trip_id BIGINT;
CREATE INDEX expense_claim_lines_trip ON expense_claim_lines (trip_id);
