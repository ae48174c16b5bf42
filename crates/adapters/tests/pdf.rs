//! The PDF renderer against real invoices from the billing domain: the PDF's text, as
//! `pdftotext` (poppler-utils) extracts it, must show every figure of the invoice, in embedded
//! subset fonts (`pdffonts`).
//!
//! Render time: `cargo bench -p tollgate-adapters --bench pdf_render` (benches/pdf_render.rs).

use std::{
    collections::BTreeMap,
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
    str::FromStr,
};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_adapters::pdf::{FontConfig, FontError, PdfInvoiceRenderer};
use tollgate_application::{
    PortError,
    ports::{InvoiceDocument, InvoiceRenderer, Seller},
};
use tollgate_domain::{
    billing::{
        Address, BaseFee, BillingEmail, BillingPeriod, Charge, CountryCode, Currency, Customer,
        FeeTiming, Interval, Invoice, InvoiceNumber, Money, NewPlan, Plan, PlanCode, Price,
        PricingModel, Proration, TaxId, TaxRate, Tier, Timezone, rate,
    },
    metering::Meter,
    usage::CustomerId,
};

mod pdf {
    mod period;
}

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;
type TestResult = Fallible<()>;

// ---- building blocks --------------------------------------------------------------------------

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal literal")
}

fn usd(text: &str) -> Money {
    Money::new(dec(text), Currency::USD)
}

fn at(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, day, hour, minute, 0)
        .single()
        .expect("a valid UTC time")
}

fn january() -> Fallible<BillingPeriod> {
    Ok(BillingPeriod::new(at(1, 1, 0, 0), at(2, 1, 0, 0))?)
}

/// The usage of `finalized_invoice()`: enough for the minimum commitment to top it up.
fn usage() -> BTreeMap<Meter, Decimal> {
    [
        (Meter::InputTokens, dec("12345")),
        (Meter::OutputTokens, dec("1250000")),
        (Meter::Requests, dec("2001")),
    ]
    .into()
}

fn tier(from: i64, up_to: Option<i64>, price: &str) -> Fallible<Tier> {
    Ok(Tier {
        from: Decimal::from(from),
        up_to: up_to.map(Decimal::from),
        unit_price: Price::new(dec(price))?,
    })
}

/// 1,200.00 a month in advance; input tokens in three graduated tiers; output tokens per unit
/// with 1,000 free; requests in packages of 1,000 at 1.50; a 100.00 minimum commitment.
fn plan() -> Fallible<Plan> {
    let graduated = PricingModel::graduated(vec![
        tier(0, Some(1000), "0.002")?,
        tier(1000, Some(10_000), "0.0015")?,
        tier(10_000, None, "0.001")?,
    ])?;
    let per_token = PricingModel::per_unit(dec("0.0000125"))?;
    let per_thousand = PricingModel::package(dec("1000"), dec("1.50"))?;
    Ok(Plan::new(NewPlan {
        code: PlanCode::parse("scale")?,
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: Some(BaseFee::new(usd("1200"), FeeTiming::Advance)?),
        trial_days: 0,
        charges: vec![
            Charge::new(Meter::InputTokens, graduated, Decimal::ZERO, None)?,
            Charge::new(Meter::OutputTokens, per_token, dec("1000"), None)?,
            Charge::new(Meter::Requests, per_thousand, Decimal::ZERO, None)?,
        ],
        minimum_commitment: Some(usd("100")),
    })?)
}

fn customer() -> Fallible<Customer> {
    let de = CountryCode::parse("DE")?;
    let address = Address::new("Torstraße 1", None, "Berlin", Some("10119"), None, de)?;
    Ok(Customer::new(
        CustomerId::parse("cust_zoe")?,
        "Zoë Analytics GmbH",
        BillingEmail::parse("ap@zoe-analytics.example")?,
        Currency::USD,
    )?
    .with_address(address)
    .with_tax_id(TaxId::parse("DE123456789")?)
    .with_timezone(Timezone::parse("Europe/Berlin")?))
}

fn seller() -> Fallible<Seller> {
    let fr = CountryCode::parse("FR")?;
    Ok(Seller {
        name: "Demo Co SAS".to_owned(),
        address: Some(Address::new(
            "1 rue de Rivoli",
            None,
            "Paris",
            Some("75001"),
            None,
            fr,
        )?),
        postal_address: None,
        tax_id: Some(TaxId::parse("FR40303265045")?),
        billing_email: Some(BillingEmail::parse("billing@demo-co.example")?),
    })
}

/// A draft for `customer()`, taxed at `tax_percent`.
fn draft(tax_percent: &str) -> Fallible<Invoice> {
    Ok(Invoice::draft(
        customer()?.external_id().clone(),
        Currency::USD,
        TaxRate::new(dec(tax_percent))?,
    ))
}

/// January 2025 rated, taxed at 20 % and finalized as DEMO-CO-000042 on 1 February.
fn finalized_invoice() -> Fallible<Invoice> {
    let mut invoice = draft("20")?;
    invoice.add_lines(rate(&plan()?, january()?, &usage(), Proration::Full)?)?;
    invoice.finalize(InvoiceNumber::new("demo-co", 42)?, at(2, 1, 9, 0))?;
    Ok(invoice)
}

fn document(invoice: Invoice) -> Fallible<InvoiceDocument> {
    Ok(InvoiceDocument::new(seller()?, customer()?, invoice)?)
}

fn renderer() -> PdfInvoiceRenderer {
    PdfInvoiceRenderer::new(FontConfig::default())
        .expect("DejaVu Sans is needed: apt-get install fonts-dejavu-core")
}

/// The PDF's text as laid out on the page (`-layout` keeps a label and its value on one
/// line), whitespace runs collapsed to one space.
fn text_of(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-layout", "-enc", "UTF-8", "-", "-"], pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a poppler-utils tool prints about the PDF, given on its standard input. Fails rather
/// than skips without the tool: a skipped check would let unreadable invoices pass.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run `{tool}` ({error}): these tests read the PDF with it; \
                 install poppler-utils (`apt-get install -y poppler-utils`)"
            )
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(pdf).expect("the tool reads the PDF");
    drop(stdin);
    let output = child.wait_with_output().expect("the tool ends");
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_shows(text: &str, expected: &[&str]) {
    let missing: Vec<_> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?} in the PDF text:\n{text}"
    );
}

// ---- the documents ----------------------------------------------------------------------------

#[tokio::test]
async fn an_invoice_shows_the_parties_every_line_and_the_totals() -> TestResult {
    let invoice = finalized_invoice()?;
    // The fixture, as the domain computes it: the minimum commitment tops 37.95 of usage up
    // to 100.00; 20 % tax on the subtotal.
    let amounts: Vec<String> = invoice
        .lines()
        .iter()
        .map(|l| l.amount().to_string())
        .collect();
    assert_eq!(
        amounts,
        [
            "1200.00 USD",
            "17.84 USD",
            "15.61 USD",
            "4.50 USD",
            "62.05 USD"
        ]
    );
    assert_eq!(invoice.total().to_string(), "1560.00 USD");

    let pdf = renderer().render_invoice(&document(invoice)?).await?;

    assert!(
        pdf.starts_with(b"%PDF"),
        "not a PDF: {:?}",
        &pdf[..pdf.len().min(16)]
    );
    let text = text_of(&pdf);
    assert_shows(
        &text,
        &[
            "Invoice",
            "DEMO-CO-000042",
            "Issue date 2025-02-01",
            "2025-01-01 – 2025-01-31",
            "Awaiting payment",
            // Seller and buyer blocks.
            "Demo Co SAS",
            "1 rue de Rivoli",
            "FR40303265045",
            "billing@demo-co.example",
            "Zoë Analytics GmbH",
            "Torstraße 1",
            "10119 Berlin",
            "DE123456789",
            "ap@zoe-analytics.example",
            // Lines: description, quantity, unit price, amount.
            "Base fee, in advance",
            "Usage: input tokens",
            "12,345",
            "0.001446",
            "Usage: output tokens (1,000 free)",
            "1,250,000",
            "0.0000125",
            "Usage: requests",
            "Minimum commitment: top-up",
            "1,200.00",
            "17.84",
            "15.61",
            "4.50",
            "62.05",
            // Totals, with the currency.
            "Subtotal 1,300.00 USD",
            "Tax (20%) 260.00 USD",
            "Total 1,560.00 USD",
        ],
    );
    Ok(())
}

#[tokio::test]
async fn a_receipt_shows_when_and_how_much_was_paid() -> TestResult {
    let mut invoice = finalized_invoice()?;
    // 23:30 UTC on 3 February is already the 4th in Berlin, the customer's zone.
    invoice.mark_paid(at(2, 3, 23, 30))?;

    let pdf = renderer().render_receipt(&document(invoice)?).await?;

    assert!(pdf.starts_with(b"%PDF"));
    let text = text_of(&pdf);
    assert_shows(
        &text,
        &[
            "Receipt",
            "Receipt for invoice DEMO-CO-000042",
            "Status Paid",
            "Paid on 2025-02-04",
            "Amount paid 1,560.00 USD",
            "Zoë Analytics GmbH",
            "Total 1,560.00 USD",
        ],
    );
    assert!(!text.contains("Awaiting payment"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_receipt_is_refused_for_an_unpaid_invoice() -> TestResult {
    let result = renderer()
        .render_receipt(&document(finalized_invoice()?)?)
        .await;
    assert!(
        matches!(&result, Err(PortError::Internal { reason, .. }) if reason.contains("finalized")),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_draft_renders_as_a_draft_without_a_number() -> TestResult {
    let mut draft = draft("0")?;
    draft.add_lines(rate(
        &plan()?,
        january()?,
        &BTreeMap::new(),
        Proration::Full,
    )?)?;

    let text = text_of(&renderer().render_invoice(&document(draft)?).await?);

    assert_shows(
        &text,
        &[
            "Invoice (draft)",
            "not issued",
            "not payable",
            "Total 1,300.00 USD",
        ],
    );
    assert!(!text.contains("DEMO-CO"), "{text}");
    Ok(())
}

#[test]
fn a_missing_font_directory_is_a_startup_error_naming_it() {
    let directory = PathBuf::from("/nonexistent/tollgate-fonts");
    let result = PdfInvoiceRenderer::new(FontConfig {
        directory: directory.clone(),
        family: "DejaVuSans".to_owned(),
    });
    let Err(error) = result else {
        panic!("fonts loaded from a directory that does not exist");
    };
    assert!(matches!(error, FontError::Missing { .. }), "{error:?}");
    let message = error.to_string();
    for expected in [
        "/nonexistent/tollgate-fonts",
        "DejaVuSans.ttf",
        "apt-get install fonts-dejavu-core",
    ] {
        assert!(message.contains(expected), "{expected} not in: {message}");
    }
}

#[tokio::test]
async fn names_in_any_script_are_embedded_and_read_back_exactly() -> TestResult {
    let names = ["Łódź Ωmega ООО", "Café Société € ₹ ¥ £"];
    let customer = Customer::new(
        customer()?.external_id().clone(),
        names[0],
        BillingEmail::parse("ap@lodz.example")?,
        Currency::USD,
    )?;
    let seller = Seller {
        name: names[1].to_owned(),
        ..seller()?
    };
    let document = InvoiceDocument::new(seller, customer, finalized_invoice()?)?;

    let pdf = renderer().render_invoice(&document).await?;

    assert_shows(&text_of(&pdf), &names);
    // Both faces embedded, as subsets, with a map back to Unicode: `emb sub uni` all `yes`.
    let fonts = poppler("pdffonts", &["-"], &pdf);
    let subsets = fonts
        .lines()
        .filter(|l| l.contains("CID TrueType  ") && l.contains("yes yes yes"));
    assert_eq!(subsets.count(), 2, "{fonts}");
    // Whole DejaVu faces would be 1.4 MB: the subsets keep an invoice small.
    assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
    Ok(())
}

#[tokio::test]
async fn a_long_invoice_runs_onto_numbered_pages_with_the_header_on_each() -> TestResult {
    let mut invoice = draft("20")?;
    for month in 1..=12 {
        let period = BillingPeriod::new(at(month, 1, 0, 0), at(month, 28, 0, 0))?;
        invoice.add_lines(rate(&plan()?, period, &usage(), Proration::Full)?)?;
    }
    assert_eq!(invoice.lines().len(), 60);
    invoice.finalize(InvoiceNumber::new("demo-co", 43)?, at(12, 31, 9, 0))?;

    let text = text_of(&renderer().render_invoice(&document(invoice)?).await?);

    assert_shows(
        &text,
        &[
            "2025-12-01 – 2025-12-27",
            "Invoice DEMO-CO-000043 – page 1 of 3",
            "Invoice DEMO-CO-000043 – page 3 of 3",
            "Total 18,720.00 USD",
        ],
    );
    assert_eq!(text.matches("Description").count(), 3, "{text}");
    assert_eq!(text.matches("Minimum commitment: top-up").count(), 12);
    Ok(())
}
