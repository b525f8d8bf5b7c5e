-- Sales pipeline, second part: market records, leads and opportunities,
-- quotations, contracts with their payment schedules and amendments, orders with
-- credit overrides, collections and dunning, and targets. Every table carries
-- office_id and is indexed leading with it, so scoped lists page by keyset.

CREATE TABLE market_research (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    title TEXT NOT NULL,
    method TEXT NOT NULL,
    conducted_on DATE NOT NULL,
    findings TEXT NOT NULL,
    recommendations TEXT,
    author_user_id BIGINT NOT NULL REFERENCES users (id),
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_comment TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX market_research_office ON market_research (office_id, id);

CREATE TABLE competitors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    name TEXT NOT NULL,
    products TEXT,
    strengths TEXT,
    weaknesses TEXT,
    market_share_bp INTEGER,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (office_id, name)
);
CREATE INDEX competitors_office ON competitors (office_id, id);

CREATE TABLE expansion_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    goals TEXT NOT NULL,
    key_regions TEXT NOT NULL,
    target_groups TEXT NOT NULL,
    methods TEXT NOT NULL,
    schedule TEXT NOT NULL,
    budget BIGINT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX expansion_plans_office ON expansion_plans (office_id, id);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    theme TEXT NOT NULL,
    content TEXT,
    channels TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    budget BIGINT NOT NULL,
    expected_effect TEXT NOT NULL,
    status TEXT NOT NULL,
    actual_cost BIGINT,
    leads_won INTEGER,
    cost_per_lead BIGINT,
    effect_notes TEXT,
    evaluated_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX campaigns_office ON campaigns (office_id, id);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    company_name TEXT NOT NULL,
    contact_name TEXT,
    phone TEXT,
    source_channel TEXT NOT NULL,
    campaign_id BIGINT REFERENCES campaigns (id),
    customer_id BIGINT REFERENCES customers (id),
    owner_user_id BIGINT REFERENCES users (id),
    status TEXT NOT NULL,
    notes TEXT,
    opportunity_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX leads_office ON leads (office_id, id);
CREATE INDEX leads_campaign ON leads (campaign_id);

CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    lead_id BIGINT REFERENCES leads (id),
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    expected_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    expected_close_on DATE NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    lost_reason TEXT,
    contract_id BIGINT,
    closed_on DATE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX opportunities_office ON opportunities (office_id, id);
CREATE INDEX opportunities_customer ON opportunities (customer_id);

CREATE TABLE opportunity_stage_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    opportunity_id BIGINT NOT NULL REFERENCES opportunities (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    note TEXT,
    changed_by BIGINT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX opportunity_stage_changes_opp ON opportunity_stage_changes (opportunity_id, id);
CREATE INDEX opportunity_stage_changes_office ON opportunity_stage_changes (office_id, to_stage);

-- Lines of quotations, contracts and orders: the server computes each amount as
-- quantity x unit price less the discount (basis points), rounded half up.
CREATE TABLE sales_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_type TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    line_no INTEGER NOT NULL,
    product TEXT NOT NULL,
    description TEXT,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    discount_bp INTEGER NOT NULL CHECK (discount_bp >= 0 AND discount_bp <= 10000),
    amount BIGINT NOT NULL,
    UNIQUE (doc_type, doc_id, line_no)
);
CREATE INDEX sales_lines_office ON sales_lines (office_id, doc_type, product);

CREATE TABLE quotations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL,
    revision INTEGER NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    opportunity_id BIGINT REFERENCES opportunities (id),
    valid_until DATE NOT NULL,
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    discount_total BIGINT NOT NULL,
    total BIGINT NOT NULL,
    delivery_terms TEXT,
    payment_terms TEXT,
    status TEXT NOT NULL,
    contract_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (number, revision)
);
CREATE INDEX quotations_office ON quotations (office_id, id);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    quotation_id BIGINT REFERENCES quotations (id),
    opportunity_id BIGINT REFERENCES opportunities (id),
    title TEXT NOT NULL,
    terms TEXT NOT NULL,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    signed_on DATE,
    signatories TEXT,
    filed_on DATE,
    filed_by BIGINT REFERENCES users (id),
    completed_on DATE,
    terminated_on DATE,
    termination_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX contracts_office ON contracts (office_id, id);
CREATE INDEX contracts_customer ON contracts (customer_id);

CREATE TABLE contract_instalments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    seq INTEGER NOT NULL,
    due_on DATE NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    paid BIGINT NOT NULL DEFAULT 0,
    CHECK (paid >= 0 AND paid <= amount),
    UNIQUE (contract_id, seq)
);
CREATE INDEX contract_instalments_office ON contract_instalments (office_id, id);

CREATE TABLE contract_amendments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    new_total BIGINT NOT NULL,
    new_terms TEXT,
    new_schedule TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX contract_amendments_office ON contract_amendments (office_id, id);

CREATE TABLE credit_overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id BIGINT,
    rejection_reason TEXT,
    order_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX credit_overrides_office ON credit_overrides (office_id, id);

CREATE TABLE sales_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    number TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    contract_id BIGINT REFERENCES contracts (id),
    sales_user_id BIGINT REFERENCES users (id),
    ordered_on DATE NOT NULL,
    delivery_date DATE NOT NULL,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    status TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    cancel_reason TEXT,
    credit_override_id BIGINT REFERENCES credit_overrides (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX sales_orders_office ON sales_orders (office_id, id);
CREATE INDEX sales_orders_office_date ON sales_orders (office_id, ordered_on);
CREATE INDEX sales_orders_customer ON sales_orders (customer_id, status);

CREATE TABLE sales_order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES sales_orders (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sales_order_events_order ON sales_order_events (order_id, id);

CREATE TABLE payments_received (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    instalment_id BIGINT NOT NULL REFERENCES contract_instalments (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    received_on DATE NOT NULL,
    method TEXT NOT NULL,
    reference TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_received_office ON payments_received (office_id, id);
CREATE INDEX payments_received_office_date ON payments_received (office_id, received_on);
CREATE INDEX payments_received_customer ON payments_received (customer_id);

CREATE TABLE dunning_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    instalment_id BIGINT NOT NULL REFERENCES contract_instalments (id),
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    channel TEXT NOT NULL,
    contacted_person TEXT NOT NULL,
    reason_given TEXT,
    promised_on DATE,
    note TEXT,
    escalated_to TEXT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dunning_actions_office ON dunning_actions (office_id, id);
CREATE INDEX dunning_actions_instalment ON dunning_actions (instalment_id, id);

CREATE TABLE sales_targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id BIGINT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (office_id, year)
);

CREATE TABLE sales_target_months (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id BIGINT NOT NULL REFERENCES sales_targets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    month INTEGER NOT NULL CHECK (month >= 1 AND month <= 12),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    UNIQUE (target_id, month)
);

CREATE TABLE sales_target_persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target_id BIGINT NOT NULL REFERENCES sales_targets (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    UNIQUE (target_id, user_id)
);
