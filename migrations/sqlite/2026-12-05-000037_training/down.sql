DROP TABLE employee_certificates;
DROP TABLE training_attendances;
DROP TABLE training_sessions;
DROP TABLE training_plan_items;
DROP TABLE training_plans;
DROP TABLE training_needs;
