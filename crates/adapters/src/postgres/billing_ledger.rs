//! The billing summary from the embedded ledger: invoices (finalized, paid by `mark-paid`,
//! voided) and credit notes, one aggregate per currency.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Integer, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{BillingLedger, CurrencyTotals},
};
use tollgate_domain::{
    billing::{Currency, Money},
    money::parse_decimal,
    organization::OrganizationId,
};

use super::{PgPool, error};

/// Invoiced: finalized in the span. Paid: paid in the span. Outstanding: at `to`, finalized,
/// neither paid nor voided yet, less the credit notes that cancelled part of it by then (a
/// termination's unused days on an unpaid invoice). Credited: credit notes issued in the
/// span, whatever they credit. Lago's invoices (`source = 'lago'`) are Lago's to sum.
const SUMMARY: &str = "
WITH invoices AS (
    SELECT i.currency, max(i.minor_units) AS minor_units,
           COALESCE(sum(i.total) FILTER (WHERE i.finalized_at >= $2 AND i.finalized_at < $3), 0)
               AS invoiced,
           COALESCE(sum(i.total) FILTER (WHERE i.paid_at >= $2 AND i.paid_at < $3), 0) AS paid,
           COALESCE(sum(i.total - COALESCE(n.cancelled, 0)) FILTER (
               WHERE i.finalized_at < $3
                 AND (i.paid_at IS NULL OR i.paid_at >= $3)
                 AND (i.voided_at IS NULL OR i.voided_at >= $3)), 0) AS outstanding
    FROM (SELECT i.*, COALESCE(c.currency_minor_units, 2) AS minor_units
          FROM billing_invoices i
          LEFT JOIN billing_customers c
                 ON c.organization_id = i.organization_id AND c.id = i.customer_id
          WHERE i.organization_id = $1 AND i.source = 'embedded'
            AND i.finalized_at IS NOT NULL) i
    LEFT JOIN LATERAL (
        SELECT sum(n.total) AS cancelled FROM billing_credit_notes n
        WHERE n.organization_id = i.organization_id AND n.invoice_id = i.id
          AND n.settlement = 'cancellation' AND n.issued_at < $3) n ON true
    GROUP BY i.currency
), credited AS (
    SELECT currency, sum(total) AS credited FROM billing_credit_notes
    WHERE organization_id = $1 AND issued_at >= $2 AND issued_at < $3
    GROUP BY currency
)
SELECT COALESCE(i.currency, c.currency) AS currency,
       COALESCE(i.minor_units, 2) AS minor_units,
       COALESCE(i.invoiced, 0)::text AS invoiced,
       COALESCE(i.paid, 0)::text AS paid,
       COALESCE(i.outstanding, 0)::text AS outstanding,
       COALESCE(c.credited, 0)::text AS credited
FROM invoices i FULL JOIN credited c ON c.currency = i.currency
ORDER BY 1";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Integer)]
    minor_units: i32,
    #[diesel(sql_type = Text)]
    invoiced: String,
    #[diesel(sql_type = Text)]
    paid: String,
    #[diesel(sql_type = Text)]
    outstanding: String,
    #[diesel(sql_type = Text)]
    credited: String,
}

fn broken(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

impl Row {
    fn totals(&self) -> Result<CurrencyTotals, PortError> {
        let minor = u8::try_from(self.minor_units).unwrap_or(2);
        let currency = Currency::with_minor_units(&self.currency, minor)
            .or_else(|_| Currency::parse(&self.currency))
            .map_err(|e| broken(format!("stored currency {}: {e}", self.currency)))?;
        let money = |field: &'static str, text: &str| {
            parse_decimal(field, text)
                .map(|amount| Money::new(amount, currency))
                .map_err(|e| broken(e.to_string()))
        };
        Ok(CurrencyTotals {
            invoiced: money("invoiced", &self.invoiced)?,
            paid: money("paid", &self.paid)?,
            outstanding: money("outstanding", &self.outstanding)?,
            credited: money("credited", &self.credited)?,
        })
    }
}

pub struct PgBillingLedger {
    pool: PgPool,
}

impl PgBillingLedger {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl BillingLedger for PgBillingLedger {
    async fn summary(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CurrencyTotals>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(SUMMARY)
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        let mut totals = Vec::with_capacity(rows.len());
        for row in &rows {
            let row = row.totals()?;
            let nothing = [row.invoiced, row.paid, row.outstanding, row.credited]
                .iter()
                .all(Money::is_zero);
            if !nothing {
                totals.push(row);
            }
        }
        Ok(totals)
    }
}
