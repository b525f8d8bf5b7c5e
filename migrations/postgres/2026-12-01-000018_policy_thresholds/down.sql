ALTER TABLE approval_policies DROP COLUMN thresholds_json;
