//! The period a document prints is the invoice's own, the one its JSON gives.

use crate::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("a valid time")
}

#[tokio::test]
async fn a_final_invoice_of_32_seconds_prints_those_32_seconds_not_the_whole_cycle() -> TestResult {
    // The cycle its lines were rated over, and the 32 seconds the subscription ran.
    let cycle = BillingPeriod::new(utc(2026, 12, 6, 10, 0, 0), utc(2027, 1, 6, 10, 0, 0))?;
    let ran = BillingPeriod::new(utc(2026, 12, 6, 10, 0, 0), utc(2026, 12, 6, 10, 0, 32))?;
    let mut invoice = draft("0")?;
    invoice.add_lines(rate(&plan()?, cycle, &BTreeMap::new(), Proration::Full)?)?;
    invoice.finalize(
        InvoiceNumber::new("demo-co", 44)?,
        utc(2026, 12, 6, 11, 0, 32),
    )?;

    let text = text_of(
        &renderer()
            .render_invoice(&document(invoice)?.with_period(ran))
            .await?,
    );

    assert_shows(
        &text,
        &["Period 2026-12-06 10:00:00 – 2026-12-06 10:00:32 UTC"],
    );
    assert!(
        !text.contains("Period 2026-12-06 – 2027-01-06"),
        "the cycle is not the invoice's period: {text}"
    );
    Ok(())
}

#[tokio::test]
async fn whole_days_print_as_dates_and_a_document_without_a_period_shows_its_lines_span()
-> TestResult {
    let text = text_of(
        &renderer()
            .render_invoice(&document(finalized_invoice()?)?.with_period(january()?))
            .await?,
    );
    assert_shows(&text, &["Period 2025-01-01 – 2025-01-31"]);
    let text = text_of(
        &renderer()
            .render_invoice(&document(finalized_invoice()?)?)
            .await?,
    );
    assert_shows(&text, &["Period 2025-01-01 – 2025-01-31"]);
    Ok(())
}
