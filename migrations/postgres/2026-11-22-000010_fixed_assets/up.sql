-- Fixed assets (固定資產): the register with straight-line depreciation, and
-- disposals (scrap, sale, loss) that only an approved request carries out.

CREATE TABLE fixed_assets (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    purchase_date DATE NOT NULL,
    purchase_value BIGINT NOT NULL,
    salvage_value BIGINT NOT NULL,
    useful_life_months INTEGER NOT NULL,
    location TEXT,
    custodian_user_id BIGINT REFERENCES users (id),
    status TEXT NOT NULL,
    disposed_on DATE,
    disposal_kind TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX fixed_assets_office ON fixed_assets (office_id, id);

CREATE TABLE asset_disposals (
    id BIGSERIAL PRIMARY KEY,
    asset_id BIGINT NOT NULL REFERENCES fixed_assets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    proceeds BIGINT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX asset_disposals_asset ON asset_disposals (asset_id, id);
