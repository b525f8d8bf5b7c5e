//! Personnel: business trips, employee files and their personal data.

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

diesel::table! {
    employees (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        employee_number -> Text,
        name -> Text,
        department_id -> Nullable<BigInt>,
        position -> Text,
        grade -> Nullable<Text>,
        hire_date -> Date,
        status -> Text,
        manager_employee_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    employee_personal_data (employee_id) {
        employee_id -> BigInt,
        id_number -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        home_address -> Nullable<Text>,
        phone -> Nullable<Text>,
        emergency_contact_name -> Nullable<Text>,
        emergency_contact_phone -> Nullable<Text>,
        bank_name -> Nullable<Text>,
        bank_account -> Nullable<Text>,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(employee_personal_data -> employees (employee_id));
diesel::allow_tables_to_appear_in_same_query!(employees, employee_personal_data);
