DROP TABLE budget_adjustments;
