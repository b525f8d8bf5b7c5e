DROP TABLE risk_decisions;
DROP TABLE risk_measures;
DROP TABLE risk_events;
DROP TABLE risks;
DROP TABLE risk_grade_bands;
