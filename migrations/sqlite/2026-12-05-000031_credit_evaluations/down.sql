DROP TABLE credit_limit_changes;
DROP TABLE credit_evaluations;
DROP TABLE credit_rating_bands;
