use super::*;
use crate::ports::{MockSettingsStore, MockWebhookSecretAdmin};

fn service(store: MockSettingsStore) -> SettingsService {
    SettingsService::new(Arc::new(store), Arc::new(MockWebhookSecretAdmin::new()))
}

#[tokio::test]
async fn secret_pages_resume_after_the_key_given_and_are_bounded() {
    let organization = OrganizationId::new();
    let after = CreationKey {
        created_at: Utc::now(),
        id: Uuid::new_v4(),
    };
    let mut secrets = MockWebhookSecretAdmin::new();
    secrets
        .expect_page()
        .withf(move |org, key, limit| {
            *org == organization && *key == Some(after) && *limit == MAX_PAGE
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let service = SettingsService::new(Arc::new(MockSettingsStore::new()), Arc::new(secrets));
    let page = service
        .list_secrets(organization, Some(after), 5_000)
        .await
        .unwrap();
    assert!(page.is_empty());
}

/// A patch writes the fields it names only, so a change another request made meanwhile
/// to another field stays; the audit record names the named fields whose values change.
#[tokio::test]
async fn a_patch_writes_only_the_fields_it_names_and_audits_those_that_change() {
    let stored = OrganizationSettings {
        display_name: Some("Acme".into()),
        debug_mode: true,
        ..OrganizationSettings::default()
    };
    let merged = OrganizationSettings {
        display_name: Some("Acme SAS".into()),
        ..stored.clone()
    };
    let mut store = MockSettingsStore::new();
    let answer = stored.clone();
    store.expect_get().returning(move |_| Ok(answer.clone()));
    store
        .expect_put()
        .withf(|_, settings, fields, audit| {
            settings.display_name.as_deref() == Some("Acme SAS")
                && fields == [SettingsField::DisplayName, SettingsField::DebugMode]
                && audit.target.as_deref() == Some("settings:display_name")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let service = service(store);

    service
        .patch(
            OrganizationId::new(),
            merged,
            &[SettingsField::DisplayName, SettingsField::DebugMode],
            &AuditContext::default(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_patch_is_checked_as_a_whole_and_a_refused_one_writes_nothing() {
    let mut store = MockSettingsStore::new();
    store.expect_put().never();
    let service = service(store);
    let merged = OrganizationSettings {
        alert_thresholds: vec![
            tollgate_domain::money::UsdAmount::parse_json_number("t", "20").unwrap(),
            tollgate_domain::money::UsdAmount::parse_json_number("t", "10").unwrap(),
        ],
        ..OrganizationSettings::default()
    };
    let result = service
        .patch(
            OrganizationId::new(),
            merged,
            &[SettingsField::DisplayName],
            &AuditContext::default(),
        )
        .await;
    assert!(matches!(result, Err(AppError::Invalid(_))));
}
