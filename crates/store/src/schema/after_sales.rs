//! After-sales: working calendars, service levels, and the inquiries,
//! complaints and suggestions they time; warranty terms and the repair
//! chain's service tickets, their history, parts and quotations; return-visit
//! plans, visits and their follow-ups; the knowledge base; satisfaction
//! surveys and improvement actions.

diesel::table! {
    service_calendars (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        name -> Text,
        time_zone -> Text,
        week_json -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    service_calendar_days (id) {
        id -> BigInt,
        calendar_id -> BigInt,
        office_id -> Nullable<BigInt>,
        day -> Date,
        rule -> Text,
        worked_as -> Nullable<Integer>,
        name -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    service_levels (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        request_type -> Text,
        priority -> Nullable<Text>,
        channel -> Nullable<Text>,
        response_minutes -> Integer,
        resolution_minutes -> Integer,
        warn_minutes -> Integer,
        hq_after_minutes -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    service_requests (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        kind -> Text,
        customer_id -> BigInt,
        contact_id -> Nullable<BigInt>,
        channel -> Text,
        category -> Text,
        priority -> Text,
        subject -> Text,
        content -> Text,
        status -> Text,
        assignee_user_id -> Nullable<BigInt>,
        service_level_id -> BigInt,
        received_at -> Timestamp,
        response_due_at -> Timestamp,
        resolution_due_at -> Timestamp,
        warn_at -> Timestamp,
        hq_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        paused_since -> Nullable<Timestamp>,
        paused_minutes -> BigInt,
        escalation_level -> Integer,
        resolution -> Nullable<Text>,
        satisfaction -> Nullable<Integer>,
        satisfaction_comment -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    service_request_events (id) {
        id -> BigInt,
        request_id -> BigInt,
        office_id -> BigInt,
        kind -> Text,
        customer_facing -> Bool,
        message -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        minutes -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    warranty_terms (id) {
        id -> BigInt,
        product -> Nullable<Text>,
        months -> Integer,
        effective_from -> Date,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    service_tickets (id) {
        id -> BigInt,
        office_id -> BigInt,
        number -> Text,
        customer_id -> BigInt,
        order_id -> BigInt,
        product -> Text,
        serial_number -> Text,
        channel -> Text,
        priority -> Text,
        feedback -> Text,
        status -> Text,
        handling -> Nullable<Text>,
        nature -> Nullable<Text>,
        severity -> Nullable<Text>,
        assignee_user_id -> Nullable<BigInt>,
        in_warranty -> Bool,
        installed_on -> Nullable<Date>,
        warranty_until -> Nullable<Date>,
        quote_id -> Nullable<BigInt>,
        service_level_id -> BigInt,
        received_at -> Timestamp,
        response_due_at -> Timestamp,
        resolution_due_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        paused_since -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        satisfaction -> Nullable<Integer>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    service_ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        office_id -> BigInt,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        note -> Nullable<Text>,
        details -> Nullable<Text>,
        minutes -> Nullable<BigInt>,
        actor_user_id -> Nullable<BigInt>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    service_ticket_parts (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        office_id -> BigInt,
        event_id -> BigInt,
        part_code -> Text,
        part_name -> Text,
        quantity -> Integer,
        new_serial -> Nullable<Text>,
        old_serial -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    service_ticket_quotes (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        office_id -> BigInt,
        parts_amount -> BigInt,
        labour_amount -> BigInt,
        total -> BigInt,
        currency -> Text,
        note -> Nullable<Text>,
        status -> Text,
        approval_id -> Nullable<BigInt>,
        rejection_reason -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        customer_signatory -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    return_visit_plans (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        kind -> Text,
        interval_months -> Nullable<Integer>,
        days_after -> Nullable<Integer>,
        starts_on -> Nullable<Date>,
        method -> Text,
        owner_user_id -> BigInt,
        active -> Bool,
        note -> Nullable<Text>,
        ended_reason -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    return_visits (id) {
        id -> BigInt,
        office_id -> BigInt,
        customer_id -> BigInt,
        plan_id -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        due_on -> Date,
        assignee_user_id -> BigInt,
        method -> Text,
        status -> Text,
        done_on -> Nullable<Date>,
        findings -> Nullable<Text>,
        satisfaction -> Nullable<Integer>,
        cancel_reason -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    return_visit_follow_ups (id) {
        id -> BigInt,
        visit_id -> BigInt,
        office_id -> BigInt,
        department_id -> BigInt,
        assignee_user_id -> Nullable<BigInt>,
        description -> Text,
        due_on -> Nullable<Date>,
        status -> Text,
        result -> Nullable<Text>,
        done_by -> Nullable<BigInt>,
        done_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    kb_articles (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        category -> Text,
        title -> Text,
        body -> Text,
        tags -> Text,
        product -> Nullable<Text>,
        status -> Text,
        author_user_id -> BigInt,
        reviewer_user_id -> Nullable<BigInt>,
        review_note -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
        search_text -> Text,
        view_count -> BigInt,
        helpful_count -> BigInt,
        unhelpful_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    kb_votes (id) {
        id -> BigInt,
        article_id -> BigInt,
        office_id -> Nullable<BigInt>,
        user_id -> BigInt,
        helpful -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_request_articles (id) {
        id -> BigInt,
        request_id -> BigInt,
        article_id -> BigInt,
        office_id -> BigInt,
        linked_by -> BigInt,
        linked_at -> Timestamp,
    }
}

diesel::table! {
    survey_templates (id) {
        id -> BigInt,
        office_id -> Nullable<BigInt>,
        name -> Text,
        kind -> Text,
        questions -> Text,
        active -> Bool,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    surveys (id) {
        id -> BigInt,
        office_id -> BigInt,
        template_id -> BigInt,
        customer_id -> BigInt,
        ticket_id -> Nullable<BigInt>,
        round -> Nullable<Text>,
        status -> Text,
        sent_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
        respondent -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    survey_answers (id) {
        id -> BigInt,
        survey_id -> BigInt,
        office_id -> BigInt,
        question_key -> Text,
        score -> Nullable<Integer>,
        choice -> Nullable<Text>,
        text -> Nullable<Text>,
    }
}

diesel::table! {
    improvement_actions (id) {
        id -> BigInt,
        office_id -> BigInt,
        survey_id -> Nullable<BigInt>,
        template_id -> Nullable<BigInt>,
        question_key -> Nullable<Text>,
        description -> Text,
        owner_user_id -> BigInt,
        due_on -> Date,
        status -> Text,
        result -> Nullable<Text>,
        done_at -> Nullable<Timestamp>,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        verification_note -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    service_ticket_escalations (ticket_id) {
        ticket_id -> BigInt,
        level -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(service_calendar_days -> service_calendars (calendar_id));
diesel::joinable!(service_request_events -> service_requests (request_id));
diesel::joinable!(service_ticket_events -> service_tickets (ticket_id));
diesel::joinable!(service_ticket_parts -> service_tickets (ticket_id));
diesel::joinable!(service_ticket_quotes -> service_tickets (ticket_id));
diesel::joinable!(return_visits -> return_visit_plans (plan_id));
diesel::joinable!(return_visit_follow_ups -> return_visits (visit_id));

diesel::allow_tables_to_appear_in_same_query!(
    service_calendars,
    service_calendar_days,
    service_levels,
    service_requests,
    service_request_events,
    warranty_terms,
    service_tickets,
    service_ticket_events,
    service_ticket_parts,
    service_ticket_quotes,
    return_visit_plans,
    return_visits,
    return_visit_follow_ups,
    kb_articles,
    kb_votes,
    service_request_articles,
    survey_templates,
    surveys,
    survey_answers,
    improvement_actions,
    service_ticket_escalations,
);
