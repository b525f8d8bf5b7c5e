DROP TABLE leavings;
DROP TABLE probation_conversions;
DROP TABLE probation_evaluations;
