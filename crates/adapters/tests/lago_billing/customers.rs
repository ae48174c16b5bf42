//! `POST /api/v1/customers`: the upsert body, and a retry that converges.

use std::collections::BTreeMap;

use serde_json::json;
use tollgate_application::ports::BillingEngine;
use tollgate_domain::billing::{Address, CountryCode, Metadata, TaxId, Timezone};
use wiremock::{Mock, ResponseTemplate, matchers};

use crate::{TestResult, acme, assert_lago_headers, body, lago};

fn created() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"customer": {"external_id": "cust_1"}}))
}

#[tokio::test]
async fn a_customer_is_upserted_with_every_field_and_nulls_for_what_it_lacks() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/customers"))
        .respond_with(created())
        .expect(2)
        .mount(&lago.server)
        .await;
    let address = Address::new(
        "1 rue de Rivoli",
        None,
        "Paris",
        Some("75001"),
        None,
        CountryCode::parse("FR")?,
    )?;
    let full = acme()?
        .with_address(address)
        .with_tax_id(TaxId::parse("FR40303265045")?)
        .with_timezone(Timezone::parse("Europe/Paris")?)
        .with_metadata(Metadata::new(BTreeMap::from([(
            "crm".into(),
            "hs-1".into(),
        )]))?);
    lago.billing.upsert_customer(&full).await?;
    lago.billing.upsert_customer(&acme()?).await?;

    let requests = lago.requests().await;
    assert_lago_headers(&requests[0]);
    assert_eq!(
        body(&requests[0]),
        json!({"customer": {
            "external_id": "cust_1",
            "name": "Acme Corp",
            "email": "billing@acme.example",
            "currency": "EUR",
            "address_line1": "1 rue de Rivoli",
            "address_line2": null,
            "city": "Paris",
            "zipcode": "75001",
            "state": null,
            "country": "FR",
            "tax_identification_number": "FR40303265045",
            "timezone": "Europe/Paris",
            "metadata": [{"key": "crm", "value": "hs-1", "display_in_invoice": false}],
        }})
    );
    // Without an address or tax id, they go as null: the upsert removes them in Lago too.
    let bare = body(&requests[1]);
    assert_eq!(bare["customer"]["address_line1"], json!(null));
    assert_eq!(bare["customer"]["country"], json!(null));
    assert_eq!(bare["customer"]["tax_identification_number"], json!(null));
    assert_eq!(bare["customer"]["timezone"], "UTC");
    assert_eq!(bare["customer"]["metadata"], json!([]));
    Ok(())
}

#[tokio::test]
async fn an_upsert_that_met_a_server_error_is_sent_again_unchanged() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .up_to_n_times(1)
        .mount(&lago.server)
        .await;
    Mock::given(matchers::method("POST"))
        .respond_with(created())
        .mount(&lago.server)
        .await;

    lago.billing.upsert_customer(&acme()?).await?;

    let requests = lago.requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(body(&requests[0]), body(&requests[1]));
    Ok(())
}
