//! Personnel: business trips, employee files and their personal data,
//! recruitment, onboarding, probation, leaving, training, certificates,
//! rewards and sanctions.

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
        mentor_employee_id -> Nullable<BigInt>,
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

diesel::table! {
    probation_limits (id) {
        id -> BigInt,
        kind -> Text,
        term_from_months -> Nullable<Integer>,
        term_below_months -> Nullable<Integer>,
        max_probation_months -> Integer,
        effective_from -> Date,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    labour_contracts (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        kind -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        probation_months -> Integer,
        signed_on -> Date,
        renews_contract_id -> Nullable<BigInt>,
        status -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    confidentiality_agreements (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        signed_on -> Date,
        scope -> Text,
        ends_on -> Nullable<Date>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    employee_position_changes (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        kind -> Text,
        from_department_id -> Nullable<BigInt>,
        to_department_id -> Nullable<BigInt>,
        from_position -> Text,
        to_position -> Text,
        from_grade -> Nullable<Text>,
        to_grade -> Nullable<Text>,
        reason -> Text,
        effective_on -> Date,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recruitment_plans (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        post -> Text,
        department_id -> Nullable<BigInt>,
        headcount -> Integer,
        hired -> Integer,
        requirements -> Text,
        channels -> Text,
        stages -> Text,
        reason -> Text,
        wanted_by -> Date,
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
    candidates (id) {
        id -> BigInt,
        office_id -> BigInt,
        plan_id -> BigInt,
        name -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        source -> Text,
        resume_ref -> Nullable<Text>,
        stage -> Text,
        rejected_at_stage -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        employee_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    candidate_stage_results (id) {
        id -> BigInt,
        candidate_id -> BigInt,
        office_id -> BigInt,
        stage -> Text,
        interviewers -> Text,
        score -> Nullable<Integer>,
        notes -> Nullable<Text>,
        passed -> Bool,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    onboarding_template_items (id) {
        id -> BigInt,
        effective_from -> Date,
        position -> Integer,
        kind -> Text,
        title -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    onboarding_items (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        position -> Integer,
        kind -> Text,
        title -> Text,
        done_at -> Nullable<Timestamp>,
        done_by -> Nullable<BigInt>,
        note -> Nullable<Text>,
        contract_id -> Nullable<BigInt>,
        supply_movement_id -> Nullable<BigInt>,
        mentor_employee_id -> Nullable<BigInt>,
        version -> BigInt,
    }
}

diesel::table! {
    probation_evaluations (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        evaluator_user_id -> BigInt,
        evaluator_role -> Text,
        score -> Integer,
        comments -> Text,
        recommendation -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    probation_conversions (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        outcome -> Text,
        extend_months -> Nullable<Integer>,
        last_day -> Nullable<Date>,
        reason -> Text,
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
    leavings (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        kind -> Text,
        reason -> Text,
        last_day -> Date,
        archives_to_employee_id -> Nullable<BigInt>,
        customers_to_employee_id -> Nullable<BigInt>,
        handover_note -> Nullable<Text>,
        status -> Text,
        completed_at -> Nullable<Timestamp>,
        left_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    training_needs (id) {
        id -> BigInt,
        office_id -> BigInt,
        year -> Integer,
        topic -> Text,
        audience -> Text,
        reason -> Text,
        employee_id -> Nullable<BigInt>,
        plan_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    training_plans (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        year -> Integer,
        goals -> Text,
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
    training_plan_items (id) {
        id -> BigInt,
        plan_id -> BigInt,
        office_id -> BigInt,
        position -> Integer,
        content -> Text,
        method -> Text,
        lecturer -> Text,
        starts_on -> Date,
        ends_on -> Date,
        budget -> BigInt,
    }
}

diesel::table! {
    training_sessions (id) {
        id -> BigInt,
        office_id -> BigInt,
        plan_item_id -> BigInt,
        title -> Text,
        held_on -> Date,
        lecturer -> Text,
        review_after_weeks -> Integer,
        status -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    training_attendances (id) {
        id -> BigInt,
        session_id -> BigInt,
        office_id -> BigInt,
        employee_id -> BigInt,
        attended -> Nullable<Bool>,
        exam_score -> Nullable<Integer>,
        passed -> Nullable<Bool>,
        participant_score -> Nullable<Integer>,
        supervisor_score -> Nullable<Integer>,
        supervisor_assessment -> Nullable<Text>,
        assessed_by -> Nullable<BigInt>,
        assessed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    employee_certificates (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        name -> Text,
        issuer -> Text,
        number -> Nullable<Text>,
        issued_on -> Date,
        expires_on -> Nullable<Date>,
        session_id -> Nullable<BigInt>,
        reward_due -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rewards_sanctions (id) {
        id -> BigInt,
        employee_id -> BigInt,
        office_id -> Nullable<BigInt>,
        kind -> Text,
        category -> Text,
        amount -> Nullable<BigInt>,
        reason -> Text,
        occurred_on -> Date,
        certificate_id -> Nullable<BigInt>,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::joinable!(employee_personal_data -> employees (employee_id));
diesel::joinable!(employee_position_changes -> employees (employee_id));
diesel::joinable!(labour_contracts -> employees (employee_id));
diesel::joinable!(confidentiality_agreements -> employees (employee_id));
diesel::joinable!(candidates -> recruitment_plans (plan_id));
diesel::joinable!(candidate_stage_results -> candidates (candidate_id));
diesel::joinable!(onboarding_items -> employees (employee_id));
diesel::joinable!(probation_evaluations -> employees (employee_id));
diesel::joinable!(probation_conversions -> employees (employee_id));
diesel::joinable!(training_plan_items -> training_plans (plan_id));
diesel::joinable!(training_sessions -> training_plan_items (plan_item_id));
diesel::joinable!(training_attendances -> training_sessions (session_id));
diesel::joinable!(training_attendances -> employees (employee_id));
diesel::joinable!(employee_certificates -> employees (employee_id));
diesel::joinable!(rewards_sanctions -> employees (employee_id));
diesel::allow_tables_to_appear_in_same_query!(
    employees,
    employee_personal_data,
    probation_limits,
    labour_contracts,
    confidentiality_agreements,
    employee_position_changes,
    recruitment_plans,
    candidates,
    candidate_stage_results,
    onboarding_template_items,
    onboarding_items,
    probation_evaluations,
    probation_conversions,
    leavings,
    training_needs,
    training_plans,
    training_plan_items,
    training_sessions,
    training_attendances,
    employee_certificates,
    rewards_sanctions,
);
