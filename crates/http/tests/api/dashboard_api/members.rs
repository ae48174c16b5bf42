//! `/api/settings/members` with the embedded memberships: list, add, change, remove; only an
//! owner touches owners; the last owner stays; every change audited; the new role is what
//! the API then lets the member do.

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;

use crate::{
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, member, send, token},
};

const MEMBERS: &str = "/api/settings/members";

async fn request(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = call(app, method, path, bearer);
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

fn subjects(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["subject"].as_str().unwrap(),
                m["role"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_manage_the_team_and_the_last_owner_stays() {
    let app = TestApp::spawn().await;
    let olivia = member(&app, "default", "olivia", Role::Owner).await;
    let adam = member(&app, "default", "adam", Role::Admin).await;

    // An admin adds a viewer and a customer's member; the list pages by subject.
    let (_, added) = expect_status(
        request(
            &app,
            Method::POST,
            MEMBERS,
            &adam,
            Some(json!({"subject": "vera", "role": "viewer"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        added,
        json!({"subject": "vera", "role": "viewer", "customer": null})
    );
    expect_status(
        request(
            &app,
            Method::POST,
            MEMBERS,
            &adam,
            Some(json!({"subject": "carla", "role": "customer", "customer": "cust_1"})),
        )
        .await,
        201,
    )
    .await;
    let (_, page) = expect_status(
        request(
            &app,
            Method::GET,
            &format!("{MEMBERS}?limit=2"),
            &adam,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(subjects(&page), ["adam:admin", "carla:customer"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = expect_status(
        request(
            &app,
            Method::GET,
            &format!("{MEMBERS}?limit=2&cursor={cursor}"),
            &adam,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(subjects(&rest), ["olivia:owner", "vera:viewer"]);
    assert!(rest["next_cursor"].is_null());

    // Adding twice is a conflict; bad roles and customers are refused; nothing is written.
    let again = request(
        &app,
        Method::POST,
        MEMBERS,
        &adam,
        Some(json!({"subject": "vera", "role": "admin"})),
    )
    .await;
    expect_error(again, 409, "membership_exists").await;
    for (body, code) in [
        (json!({"subject": "x", "role": "root"}), "unknown_role"),
        (
            json!({"subject": "x", "role": "customer"}),
            "customer_required",
        ),
        (
            json!({"subject": "x", "role": "viewer", "customer": "cust_1"}),
            "invalid_value",
        ),
        (json!({"subject": "", "role": "viewer"}), "invalid_value"),
    ] {
        expect_error(
            request(&app, Method::POST, MEMBERS, &adam, Some(body)).await,
            422,
            code,
        )
        .await;
    }

    // The new role is what the member may do: a viewer cannot read the team, an admin can.
    let vera = token(&app, "vera", "default", Role::Viewer).await;
    expect_error(
        request(&app, Method::GET, MEMBERS, &vera, None).await,
        403,
        "forbidden",
    )
    .await;
    let path = format!("{MEMBERS}/vera");
    let (_, changed) = expect_status(
        request(
            &app,
            Method::PATCH,
            &path,
            &adam,
            Some(json!({"role": "admin"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["role"], "admin");
    let vera = token(&app, "vera", "default", Role::Admin).await;
    expect_status(request(&app, Method::GET, MEMBERS, &vera, None).await, 200).await;

    // Only an owner grants, changes or removes an owner.
    let to_owner = Some(json!({"role": "owner"}));
    expect_error(
        request(&app, Method::PATCH, &path, &adam, to_owner.clone()).await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        request(
            &app,
            Method::PATCH,
            &format!("{MEMBERS}/olivia"),
            &adam,
            Some(json!({"role": "viewer"})),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        request(
            &app,
            Method::DELETE,
            &format!("{MEMBERS}/olivia"),
            &adam,
            None,
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // The last owner cannot go nor be demoted, even by itself; with a second owner it can.
    let olivia_path = format!("{MEMBERS}/olivia");
    expect_error(
        request(&app, Method::DELETE, &olivia_path, &olivia, None).await,
        409,
        "last_owner",
    )
    .await;
    expect_error(
        request(
            &app,
            Method::PATCH,
            &olivia_path,
            &olivia,
            Some(json!({"role": "admin"})),
        )
        .await,
        409,
        "last_owner",
    )
    .await;
    expect_status(
        request(&app, Method::PATCH, &path, &olivia, to_owner).await,
        200,
    )
    .await;
    let response = request(&app, Method::DELETE, &olivia_path, &olivia, None).await;
    assert_eq!(response.status(), 204);
    expect_error(
        request(&app, Method::DELETE, &olivia_path, &adam, None).await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        request(
            &app,
            Method::PATCH,
            &format!("{MEMBERS}/nobody"),
            &adam,
            Some(json!({"role": "viewer"})),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    let actions = app
        .texts(
            "SELECT action || ' ' || coalesce(target, '') AS value FROM audit_log
             WHERE action LIKE 'membership.%' AND actor <> 'system:test' ORDER BY sequence",
        )
        .await;
    let actions: Vec<String> = actions.into_iter().flatten().collect();
    assert_eq!(
        actions,
        [
            "membership.grant user:vera as viewer",
            "membership.grant user:carla as customer of cust_1",
            "membership.role_change user:vera -> admin",
            "membership.role_change user:vera -> owner",
            "membership.revoke user:olivia",
        ]
    );
}
