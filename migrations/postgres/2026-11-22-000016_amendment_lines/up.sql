-- An amendment that changes the contract's total carries the new priced lines
-- (JSON), so the lines always add up to the total.
ALTER TABLE contract_amendments ADD COLUMN new_lines TEXT;
