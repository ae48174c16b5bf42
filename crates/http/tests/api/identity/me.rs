//! `GET /api/me` names the organization the caller acts on: its id, its slug and the name to
//! show (the settings' display name, else the name it was created with).

use tollgate_domain::access::Role;

use super::support::{create_api_key, create_org, execute, expect_status, me, member};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_names_the_organizations_slug_and_display_name() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let (_, key) = create_api_key(&app, &owner, &["usage:read"]).await;
    let created_as = app
        .scalar_text("SELECT name AS value FROM organizations WHERE slug = 'default'")
        .await
        .expect("the default organization");

    let (_, body) = expect_status(me(&app, &key).await, 200).await;
    assert_eq!(body["organization_slug"], "default", "{body}");
    assert_eq!(body["organization_name"], created_as.as_str(), "{body}");

    execute(
        &app,
        "INSERT INTO organization_settings (organization_id, display_name)
         SELECT id, 'Acme SAS' FROM organizations WHERE slug = 'default'",
    )
    .await
    .expect("the settings are stored");
    for bearer in [&key, &owner] {
        let (_, body) = expect_status(me(&app, bearer).await, 200).await;
        assert_eq!(body["organization_slug"], "default", "{body}");
        assert_eq!(body["organization_name"], "Acme SAS", "{body}");
    }

    // Another organization's member sees theirs.
    let beta = create_org(&app, "beta").await;
    let beta_owner = member(&app, "beta", "bob", Role::Owner).await;
    let (_, body) = expect_status(me(&app, &beta_owner).await, 200).await;
    assert_eq!(body["organization"], beta.to_string());
    assert_eq!(body["organization_slug"], "beta");
    assert_eq!(body["organization_name"], "beta");
}
