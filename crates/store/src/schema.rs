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

diesel::allow_tables_to_appear_in_same_query!(audit_events, idempotency_keys, document_sequences);
