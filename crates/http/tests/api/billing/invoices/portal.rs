//! A customer's member reads its own customer's invoices, their PDFs and receipts, and no
//! other customer's: those are not found (not forbidden: it does not learn they exist).

use super::*;
use crate::identity::support::{batch, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_member_reads_only_its_own_invoices_pdfs_and_receipts() {
    let app = drafts(2).await;
    let all = support::invoices(&app, "").await;
    let id_of = |customer: &str| {
        all.iter()
            .find(|invoice| invoice["customer"] == customer)
            .and_then(|invoice| invoice["id"].as_str())
            .expect("the customer's invoice")
            .to_owned()
    };
    let (mine, theirs) = (id_of("cust_0"), id_of("cust_1"));
    for id in [&mine, &theirs] {
        expect_status(
            post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
            200,
        )
        .await;
        // Just after the finalize (within the clock skew a payment may have).
        let now = (chrono::Utc::now() + chrono::TimeDelta::minutes(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let paid = json!({"paid_at": now, "method": "bank_transfer"});
        let request = call(
            &app,
            Method::POST,
            &format!("{INVOICES}/{id}/mark-paid"),
            WRITE_KEY,
        )
        .json(&paid);
        expect_status(send(request).await, 200).await;
    }
    batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust_0' FROM organizations WHERE slug = 'default'",
    )
    .await
    .unwrap();
    let carla = token(&app, "carla", "default", Role::Customer).await;
    let scoped = |path: String| format!("{path}?customer=cust_0");

    // The list holds its own invoice only, whatever customer the filter names.
    let listed = get(&app, &format!("{INVOICES}?customer=cust_0"), &carla).await;
    let (_, page) = expect_status(listed, 200).await;
    let customers: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["customer"])
        .collect();
    assert_eq!(customers, [&json!("cust_0")]);

    let (_, invoice) = expect_status(
        get(&app, &scoped(format!("{INVOICES}/{mine}")), &carla).await,
        200,
    )
    .await;
    assert_eq!(invoice["customer"], "cust_0");
    for document in ["pdf", "receipt"] {
        let response = get(
            &app,
            &scoped(format!("{INVOICES}/{mine}/{document}")),
            &carla,
        )
        .await;
        assert_eq!(response.status(), 200, "{document}");
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{document}");
    }

    for path in [
        format!("{INVOICES}/{theirs}"),
        format!("{INVOICES}/{theirs}/pdf"),
        format!("{INVOICES}/{theirs}/receipt"),
    ] {
        expect_error(get(&app, &scoped(path), &carla).await, 404, "not_found").await;
    }
    // Without naming its customer, or naming another, it is refused; it never writes.
    expect_error(
        get(&app, &format!("{INVOICES}/{mine}"), &carla).await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        get(&app, &format!("{INVOICES}/{mine}?customer=cust_1"), &carla).await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        post(&app, &scoped(format!("{INVOICES}/{mine}/void")), &carla).await,
        403,
        "forbidden",
    )
    .await;
}

/// A draft can still change and has no number: its customer's member does not see it, in the
/// list (whatever status it asks for) or by id, until it is finalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_member_does_not_see_its_draft_until_it_is_finalized() {
    let app = drafts(1).await;
    let draft = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("the draft's id")
        .to_owned();
    batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust_0' FROM organizations WHERE slug = 'default'",
    )
    .await
    .unwrap();
    let carla = token(&app, "carla", "default", Role::Customer).await;
    let listed_ids = |page: Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("a page")
            .iter()
            .filter_map(|invoice| invoice["id"].as_str().map(str::to_owned))
            .collect()
    };

    for query in ["", "&status=draft"] {
        let listed = get(&app, &format!("{INVOICES}?customer=cust_0{query}"), &carla).await;
        let (_, page) = expect_status(listed, 200).await;
        assert!(listed_ids(page).is_empty(), "{query}");
    }
    for path in [
        format!("{INVOICES}/{draft}?customer=cust_0"),
        format!("{INVOICES}/{draft}/pdf?customer=cust_0"),
    ] {
        expect_error(get(&app, &path, &carla).await, 404, "not_found").await;
    }

    expect_status(
        post(&app, &format!("{INVOICES}/{draft}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    let listed = get(&app, &format!("{INVOICES}?customer=cust_0"), &carla).await;
    let (_, page) = expect_status(listed, 200).await;
    assert_eq!(listed_ids(page), std::slice::from_ref(&draft));
    let issued = get(&app, &format!("{INVOICES}/{draft}?customer=cust_0"), &carla).await;
    expect_status(issued, 200).await;
}
