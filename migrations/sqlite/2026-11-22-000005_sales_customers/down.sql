DROP TABLE customer_interactions;
DROP TABLE customer_contacts;
DROP TABLE customers;
