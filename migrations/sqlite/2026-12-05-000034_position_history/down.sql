DROP TABLE employee_position_changes;
