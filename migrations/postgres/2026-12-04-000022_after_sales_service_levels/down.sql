DROP TABLE service_request_events;
DROP TABLE service_requests;
DROP TABLE service_levels;
DROP TABLE service_calendar_days;
DROP TABLE service_calendars;
