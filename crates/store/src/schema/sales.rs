//! The sales pipeline: customer files, market records, leads and opportunities,
//! quotations, contracts, orders, collections and targets.

use super::users;

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
        in_force -> Bool,
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
        plan_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sales_plans (id) {
        id -> BigInt,
        target_id -> BigInt,
        office_id -> BigInt,
        year -> Integer,
        amount -> BigInt,
        months_json -> Text,
        persons_json -> Text,
        note -> Nullable<Text>,
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
    sales_plans,
    sales_target_months,
    sales_target_persons,
    customers,
    users,
);
