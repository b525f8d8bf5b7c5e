-- Sales pipeline, first part: customer files (客戶檔案) with contacts and the
-- interaction log.

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    name TEXT NOT NULL,
    uscc TEXT UNIQUE,
    industry TEXT,
    address TEXT,
    classification TEXT NOT NULL,
    source_channel TEXT,
    owner_user_id BIGINT REFERENCES users (id),
    credit_limit BIGINT NOT NULL,
    currency TEXT NOT NULL,
    payment_terms_days INTEGER NOT NULL,
    credit_rating TEXT,
    maintenance_plan TEXT,
    next_review_on DATE,
    status TEXT NOT NULL,
    merged_into_id BIGINT REFERENCES customers (id),
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX customers_office ON customers (office_id, id);
CREATE INDEX customers_owner ON customers (owner_user_id);

CREATE TABLE customer_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    name TEXT NOT NULL,
    title TEXT,
    phone TEXT,
    email TEXT,
    is_primary BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id, id);

CREATE TABLE customer_interactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    kind TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    summary TEXT NOT NULL,
    next_step TEXT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_interactions_customer ON customer_interactions (customer_id, id);
