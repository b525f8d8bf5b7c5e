DROP TABLE return_visit_follow_ups;
DROP TABLE return_visits;
DROP TABLE return_visit_plans;
