//! Lago answering reads with something unusable: each answer becomes its upstream kind
//! (`tests/support/nonsense.rs`), through the invoice book as through the billing engine.

use tollgate_application::{
    AppError,
    ports::{InvoiceBook, InvoiceFilter},
};
use tollgate_domain::organization::OrganizationId;
use uuid::Uuid;
use wiremock::{Mock, matchers};

use crate::{TestResult, lago_with, nonsense, recorded_audit};

#[tokio::test]
async fn unusable_answers_to_invoice_reads_become_their_upstream_kind() -> TestResult {
    let organization = OrganizationId::new();
    for nonsense in nonsense::ALL {
        let lago = lago_with(|config| {
            config.timeout = nonsense::TIMEOUT;
            // One try, so the hung answer costs one timeout; retries are `errors.rs`'s subject.
            config.max_attempts = 1;
        })
        .await?;
        Mock::given(matchers::any())
            .respond_with(nonsense.answer())
            .mount(&lago.server)
            .await;
        let book = lago.billing.invoice_book(organization, recorded_audit());

        let read = book.get(organization, Uuid::from_u128(7)).await;
        nonsense.assert_becomes("lago", &read.expect_err("no invoice from nonsense"));

        let listed = book
            .list(organization, &InvoiceFilter::default(), None, 10)
            .await;
        match listed {
            Err(AppError::Port(error)) => nonsense.assert_becomes("lago", &error),
            other => panic!("a list from {nonsense:?}: {other:?}"),
        }
    }
    Ok(())
}
