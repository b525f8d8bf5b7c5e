//! Organization and identity: regions, offices and their changes, departments,
//! users, role assignments, sign-in records, and the shared write path
//! (audit trail, idempotency keys, document sequences).

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

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        office_id -> Nullable<BigInt>,
        kind -> Text,
        entity_type -> Text,
        entity_id -> BigInt,
        title -> Text,
        body -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
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
    notifications,
);
