//! The approval engine: policies, instances, steps, decisions, and the office
//! opening and closing requests.

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
        thresholds_json -> Text,
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
