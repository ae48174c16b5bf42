//! The invoice list's currency and issue-date filters on real PostgreSQL: each alone, together,
//! and kept across the keyset pages.

use chrono::{DateTime, Utc};
use tollgate_adapters::postgres::PgInvoiceBook;
use tollgate_application::ports::{InvoiceBook, InvoiceFilter};
use tollgate_domain::billing::CurrencyCode;

use super::*;
use crate::identity::support::{org_id, pool};

/// Drafts for `cust_0` to `cust_3` (made in that order, so listed newest first from `cust_3`):
/// USD, EUR, USD, EUR, issued on the 1st, the 2nd, the 3rd at 10:00 and the 3rd at 23:30 of
/// February 2026 (UTC).
pub(super) async fn mixed() -> TestApp {
    let app = support::spawn().await;
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let usd = support::plan_version(&app, "basic", "USD", &definition).await;
    let eur = support::plan_version(&app, "basic_eur", "EUR", &definition).await;
    let issued = [
        "2026-02-01T10:00:00Z",
        "2026-02-02T10:00:00Z",
        "2026-02-03T10:00:00Z",
        "2026-02-03T23:30:00Z",
    ];
    for (n, _) in issued.iter().enumerate() {
        let (currency, plan) = if n % 2 == 0 {
            ("USD", usd)
        } else {
            ("EUR", eur)
        };
        let external = format!("cust_{n}");
        let id = support::customer(&app, &external, currency).await;
        let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
        let sub = format!("sub_{n}");
        support::subscription(&app, id, &sub, "2026-01-01T00:00:00Z", &phases, None).await;
        // One close per customer, so the invoices' ids follow the customers' order.
        support::close(&app, "2026-02-01T02:00:00Z", false).await;
    }
    for (n, at) in issued.iter().enumerate() {
        let updated = execute(
            &app,
            &format!(
                "UPDATE billing_invoices i SET issued_at = '{at}' FROM billing_customers c
                 WHERE c.id = i.customer_id AND c.external_id = 'cust_{n}'"
            ),
        )
        .await
        .expect("a draft's issue time is set");
        assert_eq!(updated, 1);
    }
    app
}

fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(support::at(text))
}

/// Every invoice `filter` lists, walked `limit` at a time: the customers, in list order.
async fn walk(
    book: &PgInvoiceBook,
    app: &TestApp,
    filter: &InvoiceFilter,
    limit: u32,
) -> Vec<String> {
    let organization = org_id(app, "default").await;
    let organization = tollgate_domain::organization::OrganizationId::from_uuid(organization);
    let mut customers = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = book
            .list(organization, filter, cursor, limit)
            .await
            .expect("a page");
        assert!(page.invoices.len() <= limit as usize);
        customers.extend(
            page.invoices
                .iter()
                .map(|r| r.invoice.customer().as_str().to_owned()),
        );
        cursor = page.next;
        if cursor.is_none() {
            return customers;
        }
    }
    panic!("the pages never end: {customers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_book_filters_by_currency_and_issue_time_across_pages() {
    let app = mixed().await;
    let book = PgInvoiceBook::new(pool(&app));
    let all = walk(&book, &app, &InvoiceFilter::default(), 100).await;
    assert_eq!(all, ["cust_3", "cust_2", "cust_1", "cust_0"]);

    let eur = InvoiceFilter {
        currency: Some(CurrencyCode::parse("eur").expect("a code")),
        ..InvoiceFilter::default()
    };
    assert_eq!(walk(&book, &app, &eur, 100).await, ["cust_3", "cust_1"]);
    let none = InvoiceFilter {
        currency: Some(CurrencyCode::parse("TND").expect("a code")),
        ..InvoiceFilter::default()
    };
    assert!(walk(&book, &app, &none, 100).await.is_empty());

    // From is inclusive, before is exclusive, to the microsecond.
    let from = InvoiceFilter {
        issued_from: at("2026-02-02T10:00:00Z"),
        ..InvoiceFilter::default()
    };
    assert_eq!(
        walk(&book, &app, &from, 100).await,
        ["cust_3", "cust_2", "cust_1"]
    );
    let before = InvoiceFilter {
        issued_before: at("2026-02-03T10:00:00Z"),
        ..InvoiceFilter::default()
    };
    assert_eq!(walk(&book, &app, &before, 100).await, ["cust_1", "cust_0"]);

    // Together, one row a page: the cursor walks on within the filters.
    let both = InvoiceFilter {
        currency: Some(CurrencyCode::parse("USD").expect("a code")),
        issued_from: at("2026-02-01T00:00:00Z"),
        issued_before: at("2026-02-04T00:00:00Z"),
        ..InvoiceFilter::default()
    };
    assert_eq!(walk(&book, &app, &both, 1).await, ["cust_2", "cust_0"]);
    let narrow = InvoiceFilter {
        customer: Some(tollgate_domain::usage::CustomerId::parse("cust_3").expect("an id")),
        issued_from: at("2026-02-03T00:00:00Z"),
        ..eur
    };
    assert_eq!(walk(&book, &app, &narrow, 1).await, ["cust_3"]);
}

/// The customers of `GET /api/billing/invoices?{query}`, walked `limit` at a time.
async fn listed(app: &TestApp, query: &str, limit: usize) -> Vec<String> {
    let mut customers = Vec::new();
    let mut path = format!("{INVOICES}?limit={limit}&{query}");
    for _ in 0..10 {
        let (_, page) = expect_status(get(app, &path, WRITE_KEY).await, 200).await;
        let data = page["data"].as_array().expect("a list");
        assert!(data.len() <= limit);
        customers.extend(
            data.iter()
                .map(|i| i["customer"].as_str().expect("a customer").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{INVOICES}?limit={limit}&{query}&cursor={cursor}"),
            None => return customers,
        }
    }
    panic!("the pages never end: {customers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_filters_by_currency_and_issue_days_and_refuses_bad_values_with_400() {
    let app = mixed().await;
    assert_eq!(
        listed(&app, "currency=eur", 100).await,
        ["cust_3", "cust_1"]
    );
    // Whole UTC days, both included: the 3rd holds cust_2 and cust_3 (23:30).
    assert_eq!(
        listed(&app, "issued_from=2026-02-03&issued_to=2026-02-03", 100).await,
        ["cust_3", "cust_2"]
    );
    assert_eq!(
        listed(&app, "issued_to=2026-02-02", 100).await,
        ["cust_1", "cust_0"]
    );
    assert_eq!(
        listed(
            &app,
            "currency=EUR&issued_from=2026-02-02&issued_to=2026-02-03",
            1
        )
        .await,
        ["cust_3", "cust_1"]
    );
    assert!(
        listed(&app, "currency=USD&issued_from=2026-02-04", 100)
            .await
            .is_empty()
    );

    for query in [
        "currency=EU",
        "currency=E1R",
        "issued_from=2026-02-30",
        "issued_to=yesterday",
        "issued_from=2026-02-03T00:00:00Z",
        "issued_from=2026-02-03&issued_to=2026-02-02",
    ] {
        let answer = get(&app, &format!("{INVOICES}?{query}"), WRITE_KEY).await;
        let (_, body) = expect_status(answer, 400).await;
        assert_eq!(body["error"]["code"], "invalid_query", "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        let field = query.split('=').next().unwrap_or_default();
        assert!(message.contains(field), "{query}: {message}");
    }
}

/// The customers the invoice page lists, in order.
fn rows(html: &str) -> Vec<&str> {
    html.split("<td><a href=\"/billing/invoices?customer=")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_filters_by_currency_and_days_in_its_zone_and_keeps_them_across_pages() {
    use crate::dashboard::{page, sign_in};
    let app = mixed().await;
    let cookie = sign_in(&app, &["--org", "default", "--role", "viewer"]).await;
    let view = "currency=eur&issued_from=2026-02-02&issued_to=2026-02-03";
    let answer = page(&app, &cookie, &format!("/billing/invoices?{view}")).await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert_eq!(rows(&html), ["cust_3", "cust_1"], "{html}");
    assert!(
        html.contains("id=\"currency\" name=\"currency\" value=\"eur\""),
        "{html}"
    );
    assert!(html.contains("value=\"2026-02-02\""), "{html}");

    // Days are read in the page's zone: Tokyo's 4th began at 15:00 UTC on the 3rd.
    let tokyo = "issued_from=2026-02-04&tz=Asia%2FTokyo";
    let html = page(&app, &cookie, &format!("/billing/invoices?{tokyo}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&html), ["cust_3"], "{html}");

    // A later page (the API's cursor is the page's `after`) keeps the filters, and so does its
    // link back to the first page.
    let (_, first) = expect_status(
        get(&app, &format!("{INVOICES}?limit=1&{view}"), WRITE_KEY).await,
        200,
    )
    .await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let later = format!("/billing/invoices?{view}&after={cursor}");
    let html = page(&app, &cookie, &later).await.text().await.unwrap();
    assert_eq!(rows(&html), ["cust_1"], "{html}");
    assert!(
        html.contains(
            "href=\"/billing/invoices?currency=eur&#38;issued_from=2026-02-02&#38;issued_to=2026-02-03\""
        ),
        "{html}"
    );

    for (query, field, message) in [
        ("currency=E1", "currency", "three-letter ISO 4217 code"),
        ("issued_from=2026-02-30", "issued_from", "YYYY-MM-DD"),
        (
            "issued_from=2026-02-03&issued_to=2026-02-02",
            "issued_to",
            "must not come before",
        ),
    ] {
        let answer = page(&app, &cookie, &format!("/billing/invoices?{query}")).await;
        assert_eq!(answer.status(), 400, "{query}");
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{query}: {html}"
        );
        assert!(html.contains(message), "{query}: {html}");
        assert!(rows(&html).is_empty(), "{query}: nothing is listed");
    }
}
