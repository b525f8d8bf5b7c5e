-- Receivables are what is owed on instalments of contracts in force (signed,
-- filed, in execution: `contracts::BINDING` in the code, pinned to this list by
-- tests/sales_flow.rs). The flag is kept on each instalment by these triggers,
-- whichever code path writes, so the ageing report reads outstanding instalments
-- from one partial index instead of joining every contract.
ALTER TABLE contract_instalments ADD COLUMN in_force BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE contract_instalments ci SET in_force = TRUE
    FROM contracts ct
    WHERE ct.id = ci.contract_id AND ct.status IN ('signed', 'filed', 'in_execution');

CREATE FUNCTION contract_instalment_in_force() RETURNS trigger AS $$
BEGIN
    NEW.in_force := EXISTS (
        SELECT 1 FROM contracts
        WHERE id = NEW.contract_id AND status IN ('signed', 'filed', 'in_execution'));
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER contract_instalments_in_force BEFORE INSERT OR UPDATE OF contract_id, in_force
    ON contract_instalments FOR EACH ROW EXECUTE FUNCTION contract_instalment_in_force();

CREATE FUNCTION contract_in_force() RETURNS trigger AS $$
BEGIN
    UPDATE contract_instalments SET in_force = in_force WHERE contract_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER contracts_in_force AFTER UPDATE OF status ON contracts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION contract_in_force();

CREATE INDEX contract_instalments_outstanding ON contract_instalments (office_id, due_on)
    INCLUDE (amount, paid) WHERE paid < amount AND in_force;
