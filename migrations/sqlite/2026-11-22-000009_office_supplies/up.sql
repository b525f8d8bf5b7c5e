-- Office supplies (辦公用品): items with their stock, and the ledger of every
-- movement (stock-in from purchases, issue to employees).

CREATE TABLE supply_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    stock_qty BIGINT NOT NULL CHECK (stock_qty >= 0),
    reorder_level BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (office_id, name)
);

CREATE TABLE supply_movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES supply_items (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cost BIGINT,
    employee_user_id BIGINT REFERENCES users (id),
    note TEXT,
    actor_user_id BIGINT,
    stock_after BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX supply_movements_item ON supply_movements (item_id, id);
