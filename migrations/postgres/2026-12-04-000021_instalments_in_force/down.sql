DROP INDEX contract_instalments_outstanding;
DROP TRIGGER contracts_in_force ON contracts;
DROP FUNCTION contract_in_force();
DROP TRIGGER contract_instalments_in_force ON contract_instalments;
DROP FUNCTION contract_instalment_in_force();
ALTER TABLE contract_instalments DROP COLUMN in_force;
