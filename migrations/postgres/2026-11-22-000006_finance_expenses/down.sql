DROP TABLE expense_claim_lines;
DROP TABLE expense_claims;
DROP TABLE expense_pre_approvals;
