ALTER TABLE employees DROP COLUMN mentor_employee_id;
DROP TABLE onboarding_items;
DROP TABLE onboarding_template_items;
DROP TABLE candidate_stage_results;
DROP TABLE candidates;
DROP TABLE recruitment_plans;
