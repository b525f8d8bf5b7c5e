ALTER TABLE expense_claims DROP COLUMN over_budget;
DROP TABLE budget_lines;
DROP TABLE budgets;
