//! Invoice PDF rendering time, through the `InvoiceRenderer` port as the service calls it
//! (tokio's blocking pool included): 200 renders of a finalized invoice of 20 lines, after a
//! warm-up, each timed alone.
//!
//! `cargo bench -p tollgate-adapters --bench pdf_render` (release build) prints the mean, p50,
//! p95 and max in milliseconds per invoice, and the PDF's size. Needs DejaVu Sans
//! (`apt-get install fonts-dejavu-core`). The target is under 50 ms per invoice.
#![allow(clippy::print_stdout, reason = "a bench's output is its figures")]

use std::{
    collections::BTreeMap,
    error::Error,
    str::FromStr,
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_adapters::pdf::{FontConfig, PdfInvoiceRenderer};
use tollgate_application::ports::{InvoiceDocument, InvoiceRenderer, Seller};
use tollgate_domain::{
    billing::{
        Address, BaseFee, BillingEmail, BillingPeriod, Charge, CountryCode, Currency, Customer,
        FeeTiming, Interval, Invoice, InvoiceNumber, Money, NewPlan, Plan, PlanCode, Price,
        PricingModel, Proration, TaxId, TaxRate, Tier, Timezone, rate,
    },
    metering::Meter,
    usage::CustomerId,
};

type Fallible<T> = Result<T, Box<dyn Error>>;

const WARM_UP: usize = 10;
const RENDERS: usize = 200;
/// Months rated onto the invoice: five lines each (base fee, three meters, minimum).
const MONTHS: u32 = 4;

fn main() -> Fallible<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let renderer = PdfInvoiceRenderer::new(FontConfig::default())?;
    let document = document()?;
    let lines = document.invoice().lines().len();
    let mut size = 0;
    for _ in 0..WARM_UP {
        size = runtime.block_on(renderer.render_invoice(&document))?.len();
    }
    let mut times = Vec::with_capacity(RENDERS);
    for _ in 0..RENDERS {
        let started = Instant::now();
        runtime.block_on(renderer.render_invoice(&document))?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    let total: Duration = times.iter().sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |percent: usize| times[(RENDERS * percent).div_ceil(100).saturating_sub(1)];
    println!(
        "pdf_render: {RENDERS} invoices of {lines} lines, {size} bytes each: mean {:.2} ms, \
         p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms per invoice",
        ms(total) / RENDERS as f64,
        ms(at(50)),
        ms(at(95)),
        ms(at(100)),
    );
    Ok(())
}

fn dec(text: &str) -> Fallible<Decimal> {
    Ok(Decimal::from_str(text)?)
}

fn month(month: u32) -> Fallible<BillingPeriod> {
    let start = |month| -> Fallible<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2025, month, 1, 0, 0, 0)
            .single()
            .ok_or_else(|| "not a date".into())
    };
    Ok(BillingPeriod::new(start(month)?, start(month + 1)?)?)
}

/// The tests' plan (tests/pdf.rs): a base fee, three metered charges, a minimum commitment.
fn plan() -> Fallible<Plan> {
    let tier = |from: i64, up_to: Option<i64>, price| -> Fallible<Tier> {
        Ok(Tier {
            from: Decimal::from(from),
            up_to: up_to.map(Decimal::from),
            unit_price: Price::new(dec(price)?)?,
        })
    };
    let usd = |text| -> Fallible<Money> { Ok(Money::new(dec(text)?, Currency::USD)) };
    let graduated = PricingModel::graduated(vec![
        tier(0, Some(1000), "0.002")?,
        tier(1000, Some(10_000), "0.0015")?,
        tier(10_000, None, "0.001")?,
    ])?;
    Ok(Plan::new(NewPlan {
        code: PlanCode::parse("scale")?,
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: Some(BaseFee::new(usd("1200")?, FeeTiming::Advance)?),
        trial_days: 0,
        charges: vec![
            Charge::new(Meter::InputTokens, graduated, Decimal::ZERO, None)?,
            Charge::new(
                Meter::OutputTokens,
                PricingModel::per_unit(dec("0.0000125")?)?,
                dec("1000")?,
                None,
            )?,
            Charge::new(
                Meter::Requests,
                PricingModel::package(dec("1000")?, dec("1.50")?)?,
                Decimal::ZERO,
                None,
            )?,
        ],
        minimum_commitment: Some(usd("100")?),
    })?)
}

/// A customer and seller with the accents and symbols real ones have.
fn document() -> Fallible<InvoiceDocument> {
    let customer = Customer::new(
        CustomerId::parse("cust_lodz")?,
        "Łódź Analytics Sp. z o.o. — Zoë Müller",
        BillingEmail::parse("ap@lodz-analytics.example")?,
        Currency::USD,
    )?
    .with_address(Address::new(
        "ul. Piotrkowska 104",
        Some("Budynek B, piętro 3"),
        "Łódź",
        Some("90-926"),
        None,
        CountryCode::parse("PL")?,
    )?)
    .with_tax_id(TaxId::parse("PL7251801126")?)
    .with_timezone(Timezone::parse("Europe/Warsaw")?);
    let seller = Seller {
        name: "Demo Co SAS (facturation €)".to_owned(),
        address: Some(Address::new(
            "1 rue de Rivoli",
            None,
            "Paris",
            Some("75001"),
            None,
            CountryCode::parse("FR")?,
        )?),
        postal_address: None,
        tax_id: Some(TaxId::parse("FR40303265045")?),
        billing_email: Some(BillingEmail::parse("billing@demo-co.example")?),
    };
    let plan = plan()?;
    let mut invoice = Invoice::draft(
        customer.external_id().clone(),
        Currency::USD,
        TaxRate::new(dec("23")?)?,
    );
    for m in 1..=MONTHS {
        // Usage low enough that the minimum commitment adds a top-up line.
        let used: BTreeMap<Meter, Decimal> = [
            (Meter::InputTokens, Decimal::from(12_345 * m)),
            (Meter::OutputTokens, Decimal::from(1_250_000 + 1000 * m)),
            (Meter::Requests, Decimal::from(2001 * m)),
        ]
        .into();
        invoice.add_lines(rate(&plan, month(m)?, &used, Proration::Full)?)?;
    }
    let issued = Utc
        .with_ymd_and_hms(2025, MONTHS + 1, 1, 9, 0, 0)
        .single()
        .ok_or("not a date")?;
    invoice.finalize(InvoiceNumber::new("demo-co", 42)?, issued)?;
    Ok(InvoiceDocument::new(seller, customer, invoice)?)
}
