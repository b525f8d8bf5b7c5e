-- A closed office takes no new records: every table whose rows belong to an
-- office refuses an insert into an office that is not active, whichever code
-- path writes it. The audit trail and the office's own history of changes are
-- the exceptions: closing an office is itself recorded there.
-- A new table with an office_id gets the same trigger; a test lists the tables
-- and fails on one without it.
CREATE FUNCTION require_open_office() RETURNS trigger AS $$
BEGIN
    IF NEW.office_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM offices WHERE id = NEW.office_id AND status <> 'active') THEN
        RAISE EXCEPTION 'office_closed: the office takes no new records';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER users_open_office BEFORE INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER departments_open_office BEFORE INSERT ON departments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER role_assignments_open_office BEFORE INSERT ON role_assignments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER approval_policies_open_office BEFORE INSERT ON approval_policies
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER approval_instances_open_office BEFORE INSERT ON approval_instances
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER office_requests_open_office BEFORE INSERT ON office_requests
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER customers_open_office BEFORE INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER customer_contacts_open_office BEFORE INSERT ON customer_contacts
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER customer_interactions_open_office BEFORE INSERT ON customer_interactions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER expense_pre_approvals_open_office BEFORE INSERT ON expense_pre_approvals
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER expense_claims_open_office BEFORE INSERT ON expense_claims
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER expense_claim_lines_open_office BEFORE INSERT ON expense_claim_lines
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER budgets_open_office BEFORE INSERT ON budgets
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER budget_lines_open_office BEFORE INSERT ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER budget_adjustments_open_office BEFORE INSERT ON budget_adjustments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER supply_items_open_office BEFORE INSERT ON supply_items
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER supply_movements_open_office BEFORE INSERT ON supply_movements
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER fixed_assets_open_office BEFORE INSERT ON fixed_assets
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER asset_disposals_open_office BEFORE INSERT ON asset_disposals
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER stocktakes_open_office BEFORE INSERT ON stocktakes
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER stocktake_items_open_office BEFORE INSERT ON stocktake_items
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER market_research_open_office BEFORE INSERT ON market_research
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER competitors_open_office BEFORE INSERT ON competitors
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER expansion_plans_open_office BEFORE INSERT ON expansion_plans
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER campaigns_open_office BEFORE INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER leads_open_office BEFORE INSERT ON leads
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER opportunities_open_office BEFORE INSERT ON opportunities
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER opportunity_stage_changes_open_office BEFORE INSERT ON opportunity_stage_changes
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_lines_open_office BEFORE INSERT ON sales_lines
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER quotations_open_office BEFORE INSERT ON quotations
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER contracts_open_office BEFORE INSERT ON contracts
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER contract_instalments_open_office BEFORE INSERT ON contract_instalments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER contract_amendments_open_office BEFORE INSERT ON contract_amendments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER credit_overrides_open_office BEFORE INSERT ON credit_overrides
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_orders_open_office BEFORE INSERT ON sales_orders
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_order_events_open_office BEFORE INSERT ON sales_order_events
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER payments_received_open_office BEFORE INSERT ON payments_received
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER dunning_actions_open_office BEFORE INSERT ON dunning_actions
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_targets_open_office BEFORE INSERT ON sales_targets
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_target_months_open_office BEFORE INSERT ON sales_target_months
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER sales_target_persons_open_office BEFORE INSERT ON sales_target_persons
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER asset_purchases_open_office BEFORE INSERT ON asset_purchases
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER asset_assignments_open_office BEFORE INSERT ON asset_assignments
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER asset_maintenance_open_office BEFORE INSERT ON asset_maintenance
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER supply_stocktakes_open_office BEFORE INSERT ON supply_stocktakes
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER supply_stocktake_lines_open_office BEFORE INSERT ON supply_stocktake_lines
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER business_trips_open_office BEFORE INSERT ON business_trips
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
