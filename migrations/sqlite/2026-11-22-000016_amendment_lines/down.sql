ALTER TABLE contract_amendments DROP COLUMN new_lines;
