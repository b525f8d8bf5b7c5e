-- Fixed assets, second part: purchase requests approved before buying
-- (資產購置申請), the custody history of assignment and return (領用與歸還), the
-- maintenance log (維修保養), and stocktakes of office supplies (辦公用品盤點).

CREATE TABLE asset_purchases (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 1),
    estimated_unit_value BIGINT NOT NULL CHECK (estimated_unit_value >= 0),
    estimated_total BIGINT NOT NULL CHECK (estimated_total >= 0),
    currency TEXT NOT NULL DEFAULT 'CNY',
    reason TEXT NOT NULL,
    supplier TEXT,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    registered_at TIMESTAMP,
    registered_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX asset_purchases_office ON asset_purchases (office_id, id);

-- The request an asset was bought under.
ALTER TABLE fixed_assets ADD COLUMN purchase_request_id BIGINT REFERENCES asset_purchases (id);
CREATE INDEX fixed_assets_purchase ON fixed_assets (purchase_request_id);

CREATE TABLE asset_assignments (
    id BIGSERIAL PRIMARY KEY,
    asset_id BIGINT NOT NULL REFERENCES fixed_assets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    assigned_on DATE NOT NULL,
    returned_on DATE,
    notes TEXT,
    return_condition TEXT,
    assigned_by BIGINT REFERENCES users (id),
    returned_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (returned_on IS NULL OR returned_on >= assigned_on)
);
CREATE INDEX asset_assignments_office ON asset_assignments (office_id, id);
CREATE INDEX asset_assignments_asset ON asset_assignments (asset_id, id);
-- An asset is with one custodian at a time.
CREATE UNIQUE INDEX asset_assignments_open ON asset_assignments (asset_id) WHERE returned_on IS NULL;

-- Custodians named at registration before this migration hold their asset since
-- its purchase.
INSERT INTO asset_assignments (asset_id, office_id, user_id, assigned_on, notes, created_at)
SELECT id, office_id, custodian_user_id, purchase_date, 'custodian at registration', created_at
FROM fixed_assets
WHERE custodian_user_id IS NOT NULL AND status = 'in_use';

CREATE TABLE asset_maintenance (
    id BIGSERIAL PRIMARY KEY,
    asset_id BIGINT NOT NULL REFERENCES fixed_assets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    performed_on DATE NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    cost BIGINT NOT NULL CHECK (cost >= 0),
    currency TEXT NOT NULL DEFAULT 'CNY',
    vendor TEXT,
    recorded_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX asset_maintenance_office ON asset_maintenance (office_id, id);
CREATE INDEX asset_maintenance_asset ON asset_maintenance (asset_id, id);

CREATE TABLE supply_stocktakes (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    opened_by BIGINT NOT NULL REFERENCES users (id),
    closed_by BIGINT REFERENCES users (id),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX supply_stocktakes_office ON supply_stocktakes (office_id, id);
-- One open supply stocktake per office.
CREATE UNIQUE INDEX supply_stocktakes_open ON supply_stocktakes (office_id) WHERE status = 'open';

CREATE TABLE supply_stocktake_lines (
    id BIGSERIAL PRIMARY KEY,
    stocktake_id BIGINT NOT NULL REFERENCES supply_stocktakes (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    item_id BIGINT NOT NULL REFERENCES supply_items (id),
    item_name TEXT NOT NULL,
    unit TEXT NOT NULL,
    system_qty BIGINT NOT NULL,
    counted_qty BIGINT CHECK (counted_qty >= 0),
    note TEXT,
    movement_id BIGINT REFERENCES supply_movements (id),
    UNIQUE (stocktake_id, item_id)
);
CREATE INDEX supply_stocktake_lines_office ON supply_stocktake_lines (office_id, id);
