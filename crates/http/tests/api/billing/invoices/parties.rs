//! What an invoice's PDF says of its parties: the seller's address and tax id from the
//! settings, the buyer's from the stored customer, as an EU invoice needs them.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pdf_prints_the_sellers_address_and_tax_id_and_the_buyers_tax_id() {
    let app = drafts(1).await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let settings = json!({
        "display_name": "Demo Co SAS",
        "billing_contact": {
            "name": "Billing",
            "email": "billing@demo-co.example",
            "address": "1 rue de Rivoli\n75001 Paris\nFrance"
        },
        "tax_id": "FR40303265045"
    });
    let request = call(&app, Method::PATCH, "/api/settings", &owner).json(&settings);
    let (_, saved) = expect_status(send(request).await, 200).await;
    assert_eq!(saved["tax_id"], "FR40303265045");
    let request =
        call(&app, Method::PATCH, "/api/settings", &owner).json(&json!({ "tax_id": " " }));
    expect_error(send(request).await, 422, "empty_value").await;

    let customer = support::invoices(&app, "").await[0]["customer"].clone();
    let customers = send(call(&app, Method::GET, "/api/billing/customers", WRITE_KEY)).await;
    let (_, listed) = expect_status(customers, 200).await;
    let customer_id = listed["data"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["external_id"] == customer))
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .expect("the invoice's customer");
    let change = json!({ "tax_id": "DE123456789" });
    let request = call(
        &app,
        Method::PATCH,
        &format!("/api/billing/customers/{customer_id}"),
        WRITE_KEY,
    )
    .json(&change);
    expect_status(send(request).await, 200).await;

    let id = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    expect_status(
        post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    let text = pdf_text(
        get(&app, &format!("{INVOICES}/{id}/pdf"), WRITE_KEY).await,
        &id,
    )
    .await;
    for expected in [
        "Demo Co SAS",
        "1 rue de Rivoli",
        "75001 Paris",
        "France",
        "Tax ID: FR40303265045",
        "billing@demo-co.example",
        "Tax ID: DE123456789",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
}
