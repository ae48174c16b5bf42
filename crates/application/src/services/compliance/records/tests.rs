use tollgate_domain::settings::{BillingContact, OrganizationSettings};

use super::*;
use crate::ports::MockSettingsStore;

fn store_with(settings: OrganizationSettings) -> MockSettingsStore {
    let mut store = MockSettingsStore::new();
    store.expect_get().returning(move |_| Ok(settings.clone()));
    store
}

fn lago_at(host: &str) -> ConfiguredRecipient {
    ConfiguredRecipient {
        recipient: Recipient::Lago,
        host: host.to_owned(),
    }
}

#[tokio::test]
async fn the_record_names_the_controller_and_only_the_recipients_configured() {
    let settings = OrganizationSettings {
        display_name: Some("Acme AI".to_owned()),
        billing_contact: Some(BillingContact {
            name: "Dana Privacy".to_owned(),
            email: "dpo@acme.example".to_owned(),
            address: None,
        }),
        ..OrganizationSettings::default()
    };
    let service = ProcessingRecordService::new(
        Arc::new(store_with(settings)),
        vec![lago_at("lago.acme.example")],
    );

    let record = service.record(OrganizationId::new()).await.unwrap();

    assert_eq!(record.controller.name.as_deref(), Some("Acme AI"));
    assert_eq!(
        record.controller.contact_email.as_deref(),
        Some("dpo@acme.example")
    );
    assert_eq!(record.recipients, vec![lago_at("lago.acme.example")]);
    let events = record
        .activities
        .iter()
        .find(|a| a.table == "usage_events")
        .unwrap();
    // The inventory names OpenMeter too, but it is not configured here.
    assert_eq!(events.recipients, vec![lago_at("lago.acme.example")]);
    assert!(events.categories.contains(&Category::Identifier));
    let audit = record
        .activities
        .iter()
        .find(|a| a.table == "audit_log")
        .unwrap();
    assert!(audit.recipients.is_empty());
}

#[tokio::test]
async fn tables_of_nobody_are_no_activity() {
    let service = ProcessingRecordService::new(
        Arc::new(store_with(OrganizationSettings::default())),
        vec![],
    );

    let record = service.record(OrganizationId::new()).await.unwrap();

    assert!(record.activities.iter().all(|a| a.table != "organizations"));
    assert!(
        record
            .activities
            .iter()
            .any(|a| a.table == "billing_customers")
    );
    assert_eq!(record.controller.name, None);
}
