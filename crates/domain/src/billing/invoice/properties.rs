//! Property tests: an invoice's totals are exact sums, whatever its lines and tax rate.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::billing::{BillingPeriod, LineKind};

fn lines() -> impl Strategy<Value = Vec<InvoiceLine>> {
    let period = BillingPeriod::new(
        DateTime::UNIX_EPOCH,
        DateTime::UNIX_EPOCH + chrono::TimeDelta::days(30),
    )
    .unwrap();
    // Exact prices with many decimals, rounded once into each line.
    let exact = (0_i64..10_000_000_000, 0_u32..=10).prop_map(|(m, s)| Decimal::new(m, s));
    prop::collection::vec(exact, 0..20).prop_map(move |amounts| {
        amounts
            .into_iter()
            .map(|amount| {
                let exact = Money::new(amount, Currency::USD);
                InvoiceLine::fixed(LineKind::MinimumCommitment, period, exact).unwrap()
            })
            .collect()
    })
}

fn tax_rate() -> impl Strategy<Value = TaxRate> {
    (0_i64..=100_000).prop_map(|m| TaxRate::new(Decimal::new(m, 3)).unwrap())
}

proptest! {
    #[test]
    fn the_total_is_the_sum_of_the_lines_plus_the_tax_exactly(
        lines in lines(),
        rate in tax_rate(),
    ) {
        let customer = CustomerId::parse("c").unwrap();
        let mut invoice = Invoice::draft(customer, Currency::USD, rate);
        invoice.add_lines(lines.clone()).unwrap();
        let sum: Decimal = lines.iter().map(|l| l.amount().amount()).sum();
        prop_assert_eq!(invoice.subtotal().amount(), sum);
        prop_assert_eq!(invoice.total().amount(), sum + invoice.tax().amount());
        let exact_tax = sum * rate.percent() / Decimal::ONE_HUNDRED;
        prop_assert!((invoice.tax().amount() - exact_tax).abs() <= Decimal::new(5, 3));
        prop_assert!(invoice.total().is_rounded() && invoice.tax().is_rounded());
    }

    #[test]
    fn a_credit_note_cancels_exactly_the_invoices_total(lines in lines(), rate in tax_rate()) {
        prop_assume!(!lines.is_empty());
        let customer = CustomerId::parse("c").unwrap();
        let mut invoice = Invoice::draft(customer, Currency::USD, rate);
        invoice.add_lines(lines).unwrap();
        invoice.finalize(InvoiceNumber::new("T", 1).unwrap(), DateTime::UNIX_EPOCH).unwrap();
        let note = invoice.void(DateTime::UNIX_EPOCH).unwrap();
        prop_assert_eq!(note.total(), invoice.total());
    }
}
