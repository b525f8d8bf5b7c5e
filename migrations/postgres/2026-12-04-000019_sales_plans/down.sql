ALTER TABLE sales_targets DROP COLUMN plan_id;
DROP TABLE sales_plans;
