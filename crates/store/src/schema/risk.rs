//! Risk: grade bands, the register, its file of changes, measures and the
//! decisions that go through the engine.

diesel::table! {
    risk_grade_bands (id) {
        id -> BigInt,
        high_from -> Integer,
        medium_from -> Integer,
        high_review_months -> Integer,
        medium_review_months -> Integer,
        low_review_months -> Integer,
        note -> Nullable<Text>,
        effective_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    risks (id) {
        id -> BigInt,
        level -> Text,
        office_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        category -> Text,
        title -> Text,
        description -> Text,
        cause -> Nullable<Text>,
        owner_user_id -> BigInt,
        identified_by -> BigInt,
        method -> Text,
        identified_on -> Date,
        likelihood -> Nullable<Integer>,
        impact -> Nullable<Integer>,
        score -> Nullable<Integer>,
        grade -> Nullable<Text>,
        priority -> Nullable<Integer>,
        residual_likelihood -> Nullable<Integer>,
        residual_impact -> Nullable<Integer>,
        residual_grade -> Nullable<Text>,
        response -> Nullable<Text>,
        response_plan -> Nullable<Text>,
        status -> Text,
        band_id -> Nullable<BigInt>,
        last_reviewed_on -> Nullable<Date>,
        next_review_on -> Nullable<Date>,
        closed_reason -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    risk_events (id) {
        id -> BigInt,
        risk_id -> BigInt,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        details -> Nullable<Text>,
        user_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    risk_measures (id) {
        id -> BigInt,
        risk_id -> BigInt,
        office_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        title -> Text,
        description -> Nullable<Text>,
        owner_user_id -> BigInt,
        due_on -> Date,
        status -> Text,
        evidence -> Nullable<Text>,
        done_on -> Nullable<Date>,
        cancel_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    risk_decisions (id) {
        id -> BigInt,
        risk_id -> BigInt,
        office_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        level -> Text,
        kind -> Text,
        note -> Text,
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
    risk_indicators (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        name -> Text,
        metric -> Text,
        comparison -> Text,
        warning_threshold -> BigInt,
        alarm_threshold -> BigInt,
        period -> Text,
        owner_user_id -> BigInt,
        category -> Text,
        active -> Bool,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    risk_indicator_values (id) {
        id -> BigInt,
        indicator_id -> BigInt,
        period_key -> Text,
        value -> BigInt,
        level -> Text,
        evaluated_at -> Timestamp,
    }
}

diesel::table! {
    risk_warnings (id) {
        id -> BigInt,
        indicator_id -> BigInt,
        office_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        level -> Text,
        status -> Text,
        first_value -> BigInt,
        last_value -> BigInt,
        raised_period -> Text,
        last_period -> Text,
        raised_at -> Timestamp,
        escalated_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<BigInt>,
        acknowledged_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
        cleared_at -> Nullable<Timestamp>,
        risk_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(risk_events -> risks (risk_id));
diesel::joinable!(risk_indicator_values -> risk_indicators (indicator_id));
diesel::joinable!(risk_warnings -> risk_indicators (indicator_id));
diesel::joinable!(risk_measures -> risks (risk_id));
diesel::joinable!(risk_decisions -> risks (risk_id));
diesel::joinable!(risks -> risk_grade_bands (band_id));

diesel::allow_tables_to_appear_in_same_query!(
    risk_grade_bands,
    risks,
    risk_events,
    risk_measures,
    risk_decisions,
    risk_indicators,
    risk_indicator_values,
    risk_warnings,
);

// A regrade leaves a closed office's register as it was: risks are read
// against the offices' status.
use super::offices;
diesel::allow_tables_to_appear_in_same_query!(risks, offices);
diesel::allow_tables_to_appear_in_same_query!(risk_indicators, offices);

diesel::table! {
    credit_rating_bands (id) {
        id -> BigInt,
        a_from -> Integer,
        b_from -> Integer,
        c_from -> Integer,
        w_payment_history -> Integer,
        w_overdue -> Integer,
        w_exposure -> Integer,
        w_tenure -> Integer,
        w_size -> Integer,
        w_qualitative -> Integer,
        size_full_at -> BigInt,
        a_limit_bp -> Integer,
        b_limit_bp -> Integer,
        c_limit_bp -> Integer,
        d_limit_bp -> Integer,
        a_terms_days -> Integer,
        b_terms_days -> Integer,
        c_terms_days -> Integer,
        d_terms_days -> Integer,
        note -> Nullable<Text>,
        effective_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    credit_evaluations (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        bands_id -> BigInt,
        facts -> Text,
        scorecard -> Text,
        score -> Integer,
        rating -> Text,
        proposed_limit -> BigInt,
        proposed_terms_days -> Integer,
        credit_limit -> BigInt,
        payment_terms_days -> Integer,
        limit_before -> BigInt,
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
    credit_limit_changes (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        evaluation_id -> BigInt,
        limit_before -> BigInt,
        limit_after -> BigInt,
        terms_before -> Integer,
        terms_after -> Integer,
        rating_before -> Nullable<Text>,
        rating_after -> Text,
        effective_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    credit_rating_bands,
    credit_evaluations,
    credit_limit_changes,
);
