//! The one portable schema both backends share: BigInt ids, Text enums and JSON,
//! BigInt money in minor units, UTC `Timestamp`s. Each backend's migration folder
//! creates exactly these tables.

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        acting_for_user_id -> Nullable<BigInt>,
        action -> Text,
        entity_type -> Text,
        entity_id -> BigInt,
        office_id -> Nullable<BigInt>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        idempotency_key -> Text,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    document_sequences (office_id, doc_type, year) {
        office_id -> BigInt,
        doc_type -> Text,
        year -> Integer,
        last_value -> BigInt,
    }
}

diesel::table! {
    regions (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    offices (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        region_id -> BigInt,
        address -> Text,
        director_user_id -> Nullable<BigInt>,
        status -> Text,
        opened_on -> Date,
        closed_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    office_changes (id) {
        id -> BigInt,
        office_id -> BigInt,
        kind -> Text,
        reason -> Text,
        effective_date -> Date,
        changes_json -> Text,
        actor_user_id -> Nullable<BigInt>,
        acting_for_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        active -> Bool,
        office_id -> Nullable<BigInt>,
        employee_id -> Nullable<BigInt>,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    departments (id) {
        id -> BigInt,
        office_id -> BigInt,
        name -> Text,
        kind -> Text,
        supervisor_user_id -> Nullable<BigInt>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    role_assignments (id) {
        id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        scope_kind -> Text,
        region_id -> Nullable<BigInt>,
        office_id -> Nullable<BigInt>,
        department_id -> Nullable<BigInt>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        acting_for_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        ip -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(offices -> regions (region_id));
diesel::joinable!(departments -> offices (office_id));
diesel::joinable!(role_assignments -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(office_changes -> offices (office_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    idempotency_keys,
    document_sequences,
    regions,
    offices,
    office_changes,
    users,
    departments,
    role_assignments,
    refresh_tokens,
    login_failures,
);

diesel::table! {
    approval_policies (id) {
        id -> BigInt,
        doc_type -> Text,
        office_id -> Nullable<BigInt>,
        name -> Text,
        steps_json -> Text,
        allow_same_approver -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    approval_instances (id) {
        id -> BigInt,
        doc_type -> Text,
        doc_id -> BigInt,
        office_id -> Nullable<BigInt>,
        submitter_user_id -> BigInt,
        submitter_department_id -> Nullable<BigInt>,
        amount -> Nullable<BigInt>,
        currency -> Text,
        category -> Nullable<Text>,
        summary -> Text,
        status -> Text,
        current_position -> Nullable<Integer>,
        round -> Integer,
        policy_id -> BigInt,
        policy_version -> BigInt,
        allow_same_approver -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    approval_steps (id) {
        id -> BigInt,
        instance_id -> BigInt,
        round -> Integer,
        position -> Integer,
        name -> Text,
        approver_kind -> Text,
        approver_role -> Nullable<Text>,
        approver_level -> Nullable<Text>,
        approver_user_id -> Nullable<BigInt>,
        status -> Text,
        time_limit_hours -> Nullable<Integer>,
        escalate_json -> Nullable<Text>,
        activated_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        escalation_level -> Integer,
        decided_by -> Nullable<BigInt>,
        acting_for_user_id -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    approval_decisions (id) {
        id -> BigInt,
        instance_id -> BigInt,
        step_id -> Nullable<BigInt>,
        round -> Integer,
        action -> Text,
        instance_version -> BigInt,
        actor_user_id -> Nullable<BigInt>,
        acting_for_user_id -> Nullable<BigInt>,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    office_requests (id) {
        id -> BigInt,
        kind -> Text,
        office_id -> Nullable<BigInt>,
        code -> Nullable<Text>,
        name -> Nullable<Text>,
        region_id -> Nullable<BigInt>,
        address -> Nullable<Text>,
        reason -> Text,
        effective_date -> Date,
        status -> Text,
        requested_by -> BigInt,
        approval_id -> Nullable<BigInt>,
        result_office_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(approval_steps -> approval_instances (instance_id));
diesel::joinable!(approval_decisions -> approval_instances (instance_id));

diesel::allow_tables_to_appear_in_same_query!(
    approval_policies,
    approval_instances,
    approval_steps,
    approval_decisions,
    office_requests,
);

diesel::table! {
    customers (id) {
        id -> BigInt,
        office_id -> BigInt,
        name -> Text,
        uscc -> Nullable<Text>,
        industry -> Nullable<Text>,
        address -> Nullable<Text>,
        classification -> Text,
        source_channel -> Nullable<Text>,
        owner_user_id -> Nullable<BigInt>,
        credit_limit -> BigInt,
        currency -> Text,
        payment_terms_days -> Integer,
        credit_rating -> Nullable<Text>,
        maintenance_plan -> Nullable<Text>,
        next_review_on -> Nullable<Date>,
        status -> Text,
        merged_into_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    customer_contacts (id) {
        id -> BigInt,
        customer_id -> BigInt,
        office_id -> BigInt,
        name -> Text,
        title -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        is_primary -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    customer_interactions (id) {
        id -> BigInt,
        customer_id -> BigInt,
        office_id -> BigInt,
        kind -> Text,
        occurred_on -> Date,
        summary -> Text,
        next_step -> Nullable<Text>,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(customers, customer_contacts, customer_interactions);

diesel::table! {
    expense_pre_approvals (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        requester_user_id -> BigInt,
        category -> Text,
        purpose -> Text,
        estimated_amount -> BigInt,
        currency -> Text,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    expense_claims (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        claimant_user_id -> BigInt,
        department_id -> Nullable<BigInt>,
        category -> Text,
        title -> Text,
        total -> BigInt,
        currency -> Text,
        pre_approval_id -> Nullable<BigInt>,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        paid_on -> Nullable<Date>,
        payment_reference -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        over_budget -> Bool,
    }
}

diesel::table! {
    expense_claim_lines (id) {
        id -> BigInt,
        claim_id -> BigInt,
        office_id -> BigInt,
        line_no -> Integer,
        spent_on -> Date,
        description -> Text,
        amount -> BigInt,
        invoice_number -> Text,
        attachment_name -> Nullable<Text>,
        attachment_sha256 -> Nullable<Text>,
        attachment_size -> Nullable<BigInt>,
        trip_id -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    expense_pre_approvals,
    expense_claims,
    expense_claim_lines
);

diesel::table! {
    budgets (id) {
        id -> BigInt,
        office_id -> BigInt,
        year -> Integer,
        number -> Text,
        status -> Text,
        block_overruns -> Bool,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> BigInt,
        budget_id -> BigInt,
        office_id -> BigInt,
        kind -> Text,
        category -> Text,
        department_id -> Nullable<BigInt>,
        month -> Integer,
        amount -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(budgets, budget_lines, budget_adjustments);

diesel::table! {
    budget_adjustments (id) {
        id -> BigInt,
        budget_id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        kind -> Text,
        category -> Text,
        department_id -> Nullable<BigInt>,
        month -> Integer,
        delta -> BigInt,
        reason -> Text,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        requested_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    supply_items (id) {
        id -> BigInt,
        office_id -> BigInt,
        name -> Text,
        unit -> Text,
        stock_qty -> BigInt,
        reorder_level -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    supply_movements (id) {
        id -> BigInt,
        item_id -> BigInt,
        office_id -> BigInt,
        kind -> Text,
        quantity -> BigInt,
        unit_cost -> Nullable<BigInt>,
        employee_user_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        actor_user_id -> Nullable<BigInt>,
        stock_after -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(supply_items, supply_movements);

diesel::table! {
    fixed_assets (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        name -> Text,
        category -> Text,
        purchase_date -> Date,
        purchase_value -> BigInt,
        salvage_value -> BigInt,
        useful_life_months -> Integer,
        location -> Nullable<Text>,
        custodian_user_id -> Nullable<BigInt>,
        status -> Text,
        disposed_on -> Nullable<Date>,
        disposal_kind -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
        purchase_request_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    asset_disposals (id) {
        id -> BigInt,
        asset_id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        kind -> Text,
        reason -> Text,
        proceeds -> BigInt,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        requested_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(fixed_assets, asset_disposals);

diesel::table! {
    stocktakes (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        status -> Text,
        opened_by -> BigInt,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        settled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    stocktake_items (id) {
        id -> BigInt,
        stocktake_id -> BigInt,
        office_id -> BigInt,
        asset_id -> Nullable<BigInt>,
        description -> Text,
        expected -> Bool,
        result -> Text,
        investigation -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(stocktakes, stocktake_items, fixed_assets);

// Sales pipeline, second part (migration 000012).
diesel::table! {
    market_research (id) {
        id -> BigInt,
        office_id -> BigInt,
        title -> Text,
        method -> Text,
        conducted_on -> Date,
        findings -> Text,
        recommendations -> Nullable<Text>,
        author_user_id -> BigInt,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    competitors (id) {
        id -> BigInt,
        office_id -> BigInt,
        name -> Text,
        products -> Nullable<Text>,
        strengths -> Nullable<Text>,
        weaknesses -> Nullable<Text>,
        market_share_bp -> Nullable<Integer>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    expansion_plans (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        year -> Integer,
        title -> Text,
        goals -> Text,
        key_regions -> Text,
        target_groups -> Text,
        methods -> Text,
        schedule -> Text,
        budget -> BigInt,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    campaigns (id) {
        id -> BigInt,
        office_id -> BigInt,
        theme -> Text,
        content -> Nullable<Text>,
        channels -> Text,
        starts_on -> Date,
        ends_on -> Date,
        budget -> BigInt,
        expected_effect -> Text,
        status -> Text,
        actual_cost -> Nullable<BigInt>,
        leads_won -> Nullable<Integer>,
        cost_per_lead -> Nullable<BigInt>,
        effect_notes -> Nullable<Text>,
        evaluated_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    leads (id) {
        id -> BigInt,
        office_id -> BigInt,
        company_name -> Text,
        contact_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        source_channel -> Text,
        campaign_id -> Nullable<BigInt>,
        customer_id -> Nullable<BigInt>,
        owner_user_id -> Nullable<BigInt>,
        status -> Text,
        notes -> Nullable<Text>,
        opportunity_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    opportunities (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        lead_id -> Nullable<BigInt>,
        title -> Text,
        stage -> Text,
        expected_amount -> BigInt,
        currency -> Text,
        expected_close_on -> Date,
        owner_user_id -> BigInt,
        lost_reason -> Nullable<Text>,
        contract_id -> Nullable<BigInt>,
        closed_on -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    opportunity_stage_changes (id) {
        id -> BigInt,
        opportunity_id -> BigInt,
        office_id -> BigInt,
        from_stage -> Nullable<Text>,
        to_stage -> Text,
        note -> Nullable<Text>,
        changed_by -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    sales_lines (id) {
        id -> BigInt,
        doc_type -> Text,
        doc_id -> BigInt,
        office_id -> BigInt,
        line_no -> Integer,
        product -> Text,
        description -> Nullable<Text>,
        quantity -> BigInt,
        unit_price -> BigInt,
        discount_bp -> Integer,
        amount -> BigInt,
    }
}

diesel::table! {
    quotations (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        revision -> Integer,
        customer_id -> BigInt,
        opportunity_id -> Nullable<BigInt>,
        valid_until -> Date,
        currency -> Text,
        subtotal -> BigInt,
        discount_total -> BigInt,
        total -> BigInt,
        delivery_terms -> Nullable<Text>,
        payment_terms -> Nullable<Text>,
        status -> Text,
        contract_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        customer_id -> BigInt,
        quotation_id -> Nullable<BigInt>,
        opportunity_id -> Nullable<BigInt>,
        title -> Text,
        terms -> Text,
        currency -> Text,
        total -> BigInt,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        signed_on -> Nullable<Date>,
        signatories -> Nullable<Text>,
        filed_on -> Nullable<Date>,
        filed_by -> Nullable<BigInt>,
        completed_on -> Nullable<Date>,
        terminated_on -> Nullable<Date>,
        termination_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    contract_instalments (id) {
        id -> BigInt,
        contract_id -> BigInt,
        office_id -> BigInt,
        seq -> Integer,
        due_on -> Date,
        amount -> BigInt,
        paid -> BigInt,
    }
}

diesel::table! {
    contract_amendments (id) {
        id -> BigInt,
        contract_id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        reason -> Text,
        new_total -> BigInt,
        new_terms -> Nullable<Text>,
        new_schedule -> Text,
        new_lines -> Nullable<Text>,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    credit_overrides (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        amount -> BigInt,
        reason -> Text,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        order_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    sales_orders (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        customer_id -> BigInt,
        contract_id -> Nullable<BigInt>,
        sales_user_id -> Nullable<BigInt>,
        ordered_on -> Date,
        delivery_date -> Date,
        currency -> Text,
        total -> BigInt,
        status -> Text,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        credit_override_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    sales_order_events (id) {
        id -> BigInt,
        order_id -> BigInt,
        office_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payments_received (id) {
        id -> BigInt,
        office_id -> BigInt,
        contract_id -> BigInt,
        instalment_id -> BigInt,
        customer_id -> BigInt,
        amount -> BigInt,
        received_on -> Date,
        method -> Text,
        reference -> Nullable<Text>,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dunning_actions (id) {
        id -> BigInt,
        office_id -> BigInt,
        instalment_id -> BigInt,
        contract_id -> BigInt,
        customer_id -> BigInt,
        channel -> Text,
        contacted_person -> Text,
        reason_given -> Nullable<Text>,
        promised_on -> Nullable<Date>,
        note -> Nullable<Text>,
        escalated_to -> Nullable<Text>,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sales_targets (id) {
        id -> BigInt,
        office_id -> BigInt,
        year -> Integer,
        amount -> BigInt,
        currency -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    sales_target_months (id) {
        id -> BigInt,
        target_id -> BigInt,
        office_id -> BigInt,
        month -> Integer,
        amount -> BigInt,
    }
}

diesel::table! {
    sales_target_persons (id) {
        id -> BigInt,
        target_id -> BigInt,
        office_id -> BigInt,
        user_id -> BigInt,
        amount -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    market_research,
    competitors,
    expansion_plans,
    campaigns,
    leads,
    opportunities,
    opportunity_stage_changes,
    sales_lines,
    quotations,
    contracts,
    contract_instalments,
    contract_amendments,
    credit_overrides,
    sales_orders,
    sales_order_events,
    payments_received,
    dunning_actions,
    sales_targets,
    sales_target_months,
    sales_target_persons,
    customers,
    users,
);

// Fixed assets and supplies, second part (migration 000013).
diesel::table! {
    asset_purchases (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        name -> Text,
        category -> Text,
        quantity -> BigInt,
        estimated_unit_value -> BigInt,
        estimated_total -> BigInt,
        currency -> Text,
        reason -> Text,
        supplier -> Nullable<Text>,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        requested_by -> BigInt,
        registered_at -> Nullable<Timestamp>,
        registered_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    asset_assignments (id) {
        id -> BigInt,
        asset_id -> BigInt,
        office_id -> BigInt,
        user_id -> BigInt,
        assigned_on -> Date,
        returned_on -> Nullable<Date>,
        notes -> Nullable<Text>,
        return_condition -> Nullable<Text>,
        assigned_by -> Nullable<BigInt>,
        returned_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    asset_maintenance (id) {
        id -> BigInt,
        asset_id -> BigInt,
        office_id -> BigInt,
        performed_on -> Date,
        kind -> Text,
        description -> Text,
        cost -> BigInt,
        currency -> Text,
        vendor -> Nullable<Text>,
        recorded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    supply_stocktakes (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        status -> Text,
        opened_by -> BigInt,
        closed_by -> Nullable<BigInt>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    supply_stocktake_lines (id) {
        id -> BigInt,
        stocktake_id -> BigInt,
        office_id -> BigInt,
        item_id -> BigInt,
        item_name -> Text,
        unit -> Text,
        system_qty -> BigInt,
        counted_qty -> Nullable<BigInt>,
        note -> Nullable<Text>,
        movement_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    business_trips (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        traveller_user_id -> BigInt,
        destination -> Text,
        purpose -> Text,
        starts_on -> Date,
        ends_on -> Date,
        estimated_cost -> BigInt,
        currency -> Text,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        report -> Nullable<Text>,
        actual_cost -> Nullable<BigInt>,
        reported_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}
