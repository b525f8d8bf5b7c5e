-- Stocktakes (盤點) of fixed assets: the expected assets of an office, what the
-- count found, and the differences (surplus, shortage, damage) settled through
-- approval.

CREATE TABLE stocktakes (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    opened_by BIGINT NOT NULL REFERENCES users (id),
    approval_id BIGINT,
    rejection_reason TEXT,
    settled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX stocktakes_office ON stocktakes (office_id, id);

CREATE TABLE stocktake_items (
    id BIGSERIAL PRIMARY KEY,
    stocktake_id BIGINT NOT NULL REFERENCES stocktakes (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    asset_id BIGINT REFERENCES fixed_assets (id),
    description TEXT NOT NULL,
    expected BOOLEAN NOT NULL,
    result TEXT NOT NULL,
    investigation TEXT
);
CREATE INDEX stocktake_items_stocktake ON stocktake_items (stocktake_id, id);
