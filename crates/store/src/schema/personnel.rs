//! Personnel: business trips.

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
