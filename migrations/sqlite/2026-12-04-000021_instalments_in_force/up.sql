-- Receivables are what is owed on instalments of contracts in force (signed,
-- filed, in execution: `contracts::BINDING` in the code, pinned to this list by
-- tests/sales_flow.rs). The flag is kept on each instalment by these triggers,
-- whichever code path writes, so the ageing report reads outstanding instalments
-- from one partial index instead of joining every contract.
ALTER TABLE contract_instalments ADD COLUMN in_force BOOLEAN NOT NULL DEFAULT 0;
UPDATE contract_instalments SET in_force = 1
    WHERE contract_id IN (SELECT id FROM contracts WHERE status IN ('signed', 'filed', 'in_execution'));

CREATE TRIGGER contract_instalments_in_force_insert AFTER INSERT ON contract_instalments
    BEGIN
        UPDATE contract_instalments SET in_force = EXISTS (
            SELECT 1 FROM contracts
            WHERE id = NEW.contract_id AND status IN ('signed', 'filed', 'in_execution'))
        WHERE id = NEW.id;
    END;
CREATE TRIGGER contract_instalments_in_force_update AFTER UPDATE OF contract_id, in_force ON contract_instalments
    WHEN NEW.in_force IS NOT EXISTS (
        SELECT 1 FROM contracts
        WHERE id = NEW.contract_id AND status IN ('signed', 'filed', 'in_execution'))
    BEGIN
        UPDATE contract_instalments SET in_force = EXISTS (
            SELECT 1 FROM contracts
            WHERE id = NEW.contract_id AND status IN ('signed', 'filed', 'in_execution'))
        WHERE id = NEW.id;
    END;
CREATE TRIGGER contracts_in_force AFTER UPDATE OF status ON contracts
    WHEN OLD.status IS NOT NEW.status
    BEGIN
        UPDATE contract_instalments SET in_force = NEW.status IN ('signed', 'filed', 'in_execution')
        WHERE contract_id = NEW.id;
    END;

CREATE INDEX contract_instalments_outstanding ON contract_instalments (office_id, due_on, amount, paid)
    WHERE paid < amount AND in_force;
