DROP TABLE confidentiality_agreements;
DROP TABLE labour_contracts;
DROP TABLE probation_limits;
