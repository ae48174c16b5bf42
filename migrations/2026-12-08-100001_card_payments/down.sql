DROP TABLE payment_provider_events;
DROP TABLE payments;
DROP TABLE invoice_collections;
DROP TABLE payment_customers;
