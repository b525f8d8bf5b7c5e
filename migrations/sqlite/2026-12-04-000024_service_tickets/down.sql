DELETE FROM service_levels WHERE request_type = 'service_ticket';
DROP TABLE service_ticket_quotes;
DROP TABLE service_ticket_parts;
DROP TABLE service_ticket_events;
DROP TABLE service_tickets;
DROP TABLE warranty_terms;
