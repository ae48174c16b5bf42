//! The list's currency and issue-date filters, passed to Lago as its own list filters.

use super::*;

#[tokio::test]
async fn currency_and_issue_dates_are_passed_as_lagos_own_filters() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .respond_with(page(&[], None))
        .mount(&lago.server)
        .await;
    let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).map(|at| at.to_utc());
    let filter = InvoiceFilter {
        currency: Some(tollgate_domain::billing::CurrencyCode::parse("eur")?),
        // The 1st to the 3rd of December, in whole UTC days.
        issued_from: Some(at("2026-12-01T00:00:00Z")?),
        issued_before: Some(at("2026-12-04T00:00:00Z")?),
        ..InvoiceFilter::default()
    };
    let listed = book.list(organization, &filter, None, 10).await?;
    assert!(listed.invoices.is_empty());
    assert_eq!(
        lago.calls().await,
        ["GET /api/v1/invoices?page=1&per_page=10&currency=EUR\
          &issuing_date_from=2026-12-01&issuing_date_to=2026-12-03"]
    );
    Ok(())
}

#[tokio::test]
async fn a_list_without_drafts_asks_lago_for_issued_statuses_and_drafts_alone_for_nothing()
-> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .respond_with(page(&[], None))
        .mount(&lago.server)
        .await;
    let issued = InvoiceFilter {
        issued_only: true,
        ..InvoiceFilter::default()
    };
    assert!(
        book.list(organization, &issued, None, 10)
            .await?
            .invoices
            .is_empty()
    );
    let drafts = InvoiceFilter {
        status: Some(tollgate_domain::billing::InvoiceStatus::Draft),
        ..issued
    };
    assert!(
        book.list(organization, &drafts, None, 10)
            .await?
            .invoices
            .is_empty()
    );
    // The second list is known to be empty without asking.
    assert_eq!(
        lago.calls().await,
        ["GET /api/v1/invoices?page=1&per_page=10&statuses%5B%5D=finalized&statuses%5B%5D=voided"]
    );
    Ok(())
}
