DROP TABLE business_trips;
