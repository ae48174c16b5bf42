//! A Lago invoice Tollgate cannot show (a coupon deducted) is left out of lists, not a failed
//! list, and still an error when read alone.

use super::*;

#[tokio::test]
async fn a_list_leaves_out_an_invoice_tollgate_cannot_show_and_get_still_refuses_it() -> TestResult
{
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .respond_with(page(&[1, 2, 3], None))
        .mount(&lago.server)
        .await;
    mount_invoice(&lago.server, 1, "finalized", "succeeded", 10).await;
    mount_invoice(&lago.server, 3, "finalized", "succeeded", 10).await;
    let mut with_coupon = invoice(2, "finalized", "succeeded");
    with_coupon["invoice"]["coupons_amount_cents"] = json!(500);
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("/api/v1/invoices/{}", id(2))))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_coupon))
        .mount(&lago.server)
        .await;

    let listed = book
        .list(organization, &InvoiceFilter::default(), None, 10)
        .await?;
    let ids: Vec<Uuid> = listed.invoices.iter().map(|r| r.id).collect();
    assert_eq!(ids, [id(1), id(3)]);
    assert_eq!(listed.next, None);

    let error = book
        .get(organization, id(2))
        .await
        .expect_err("an invoice Tollgate cannot show is an error when read alone");
    assert!(error.to_string().contains("coupons"), "{error}");
    Ok(())
}
