//! Finance: expense claims and pre-approvals, budgets, supplies, fixed assets,
//! stocktakes, purchases, assignments and maintenance.

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
