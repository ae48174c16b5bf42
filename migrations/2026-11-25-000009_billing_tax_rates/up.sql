-- A tax rate per billing customer, in percent (20 for 20 % VAT, 8.875 for New York sales
-- tax). NULL means the installation's default (`billing.default_tax_rate_percent`); the
-- embedded period close applies the rate once, to each invoice's subtotal, and keeps it on
-- the invoice (`billing_invoices.tax_rate`), so changing it later never changes an invoice.
ALTER TABLE billing_customers
    ADD COLUMN tax_rate numeric NULL
        CONSTRAINT billing_customers_tax_rate_percent CHECK (tax_rate >= 0 AND tax_rate <= 100);
