DROP TABLE office_requests;
DROP TABLE approval_decisions;
DROP TABLE approval_steps;
DROP TABLE approval_instances;
DROP TABLE approval_policies;
