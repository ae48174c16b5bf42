use chrono::Utc;
use tollgate_domain::{
    billing::{CountryCode, Currency},
    usage::CustomerId,
};

use super::*;
use crate::{
    PortError,
    ports::{MockBillingEngine, MockCustomerStore},
};

fn acme() -> Customer {
    Customer::new(
        CustomerId::parse("cust_42").unwrap(),
        "Acme",
        BillingEmail::parse("billing@acme.example").unwrap(),
        Currency::EUR,
    )
    .unwrap()
    .with_tax_id(TaxId::parse("FR40303265045").unwrap())
}

fn record(organization: OrganizationId, id: Uuid, customer: Customer) -> CustomerRecord {
    CustomerRecord {
        id,
        organization,
        customer,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[tokio::test]
async fn a_new_customer_is_stored_with_its_audit_record() {
    let organization = OrganizationId::new();
    let mut store = MockCustomerStore::new();
    store
        .expect_create()
        .withf(|_, id, customer, audit| {
            customer.name() == "Acme"
                && audit.action == "customer.create"
                && audit.target == Some(format!("customer:{id}"))
        })
        .times(1)
        .returning(|organization, id, customer, _| {
            Ok(Some(record(organization, id, customer.clone())))
        });
    let service = CustomerService::new(Arc::new(store));

    let created = service
        .create(organization, acme(), &AuditContext::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.organization, organization);
    assert_eq!(created.customer, acme());
}

#[tokio::test]
async fn a_taken_external_id_answers_none() {
    let mut store = MockCustomerStore::new();
    store.expect_create().returning(|_, _, _, _| Ok(None));
    let service = CustomerService::new(Arc::new(store));

    let created = service
        .create(OrganizationId::new(), acme(), &AuditContext::default())
        .await
        .unwrap();
    assert!(created.is_none());
}

#[tokio::test]
async fn pages_are_bounded() {
    let mut store = MockCustomerStore::new();
    store
        .expect_list()
        .withf(|_, after, limit| after.is_none() && *limit == MAX_PAGE)
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    store
        .expect_list()
        .withf(|_, after, limit| after.is_some() && *limit == 1)
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let service = CustomerService::new(Arc::new(store));

    let organization = OrganizationId::new();
    service.list(organization, None, 1_000_000).await.unwrap();
    service
        .list(organization, Some(Uuid::now_v7()), 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_blank_search_lists_everyone_and_a_search_is_trimmed_and_bounded() {
    let mut store = MockCustomerStore::new();
    store
        .expect_list()
        .withf(|_, after, limit| after.is_none() && *limit == 25)
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    store
        .expect_search()
        .withf(|_, text, _, limit| text == "acme" && *limit == MAX_PAGE)
        .times(1)
        .returning(|_, _, _, _| Ok(vec![]));
    let service = CustomerService::new(Arc::new(store));

    let organization = OrganizationId::new();
    service.search(organization, "  ", None, 25).await.unwrap();
    service
        .search(organization, " acme ", None, 1_000_000)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_change_keeps_what_it_does_not_name() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut store = MockCustomerStore::new();
    store
        .expect_get()
        .returning(move |organization, id| Ok(Some(record(organization, id, acme()))));
    store
        .expect_update()
        .withf(|_, _, customer, audit| {
            customer.name() == "Acme SAS"
                && customer.billing_email().as_str() == "billing@acme.example"
                && customer.tax_id().is_none()
                && customer.address().is_some_and(|a| a.city == "Paris")
                && customer.currency() == Currency::EUR
                && audit.action == "customer.update"
        })
        .times(1)
        .returning(|organization, id, customer, _| {
            Ok(Some(record(organization, id, customer.clone())))
        });
    let service = CustomerService::new(Arc::new(store));
    let fr = CountryCode::parse("FR").unwrap();
    let changes = CustomerChanges {
        name: Some("Acme SAS".into()),
        address: Some(Some(
            Address::new("1 rue de Rivoli", None, "Paris", None, None, fr).unwrap(),
        )),
        tax_id: Some(None),
        ..CustomerChanges::default()
    };

    let updated = service
        .update(organization, id, changes, &AuditContext::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.customer.external_id().as_str(), "cust_42");
}

#[tokio::test]
async fn an_unknown_or_invalid_change_writes_nothing() {
    let mut store = MockCustomerStore::new();
    let known = Uuid::now_v7();
    store.expect_get().returning(move |organization, id| {
        Ok((id == known).then(|| record(organization, id, acme())))
    });
    store.expect_update().never();
    let service = CustomerService::new(Arc::new(store));
    let organization = OrganizationId::new();

    let missing = service
        .update(
            organization,
            Uuid::now_v7(),
            CustomerChanges::default(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(missing.is_none());
    let blank = CustomerChanges {
        name: Some("  ".into()),
        ..CustomerChanges::default()
    };
    let result = service
        .update(organization, known, blank, &AuditContext::default())
        .await;
    assert!(matches!(
        result,
        Err(AppError::Invalid(DomainError::Empty { .. }))
    ));
}

fn refused() -> PortError {
    PortError::Refused {
        service: "lago",
        reason: "email: invalid_format".into(),
    }
}

fn engine_expecting(customer: Customer, times: usize) -> MockBillingEngine {
    let mut engine = MockBillingEngine::new();
    engine
        .expect_upsert_customer()
        .withf(move |pushed| *pushed == customer)
        .times(times)
        .returning(|_| Ok(()));
    engine
}

#[tokio::test]
async fn with_an_engine_the_customer_is_pushed_before_it_is_stored() {
    let mut sequence = mockall::Sequence::new();
    let mut engine = MockBillingEngine::new();
    engine
        .expect_upsert_customer()
        .withf(|pushed| *pushed == acme())
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(()));
    let mut store = MockCustomerStore::new();
    store
        .expect_create()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|organization, id, customer, _| {
            Ok(Some(record(organization, id, customer.clone())))
        });
    let service = CustomerService::new(Arc::new(store)).with_engine(Some(Arc::new(engine)));

    let created = service
        .create(OrganizationId::new(), acme(), &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(created.unwrap().customer, acme());
}

#[tokio::test]
async fn nothing_is_stored_when_the_engine_refuses_or_is_down() {
    for failure in [refused(), PortError::unavailable("lago", "timed out")] {
        let expected = failure.to_string();
        let mut failure = Some(failure);
        let mut engine = MockBillingEngine::new();
        engine
            .expect_upsert_customer()
            .times(2)
            .returning(move |_| Err(failure.take().unwrap_or_else(refused)));
        let mut store = MockCustomerStore::new();
        store.expect_create().never();
        store.expect_update().never();
        store
            .expect_get()
            .returning(|organization, id| Ok(Some(record(organization, id, acme()))));
        let service = CustomerService::new(Arc::new(store)).with_engine(Some(Arc::new(engine)));
        let organization = OrganizationId::new();

        let created = service
            .create(organization, acme(), &AuditContext::default())
            .await;
        assert!(
            matches!(&created, Err(AppError::Port(e)) if e.to_string() == expected),
            "{created:?}"
        );
        let changes = CustomerChanges {
            name: Some("Acme SAS".into()),
            ..CustomerChanges::default()
        };
        let updated = service
            .update(
                organization,
                Uuid::now_v7(),
                changes,
                &AuditContext::default(),
            )
            .await;
        assert!(matches!(
            updated,
            Err(AppError::Port(PortError::Refused { .. }))
        ));
    }
}

#[tokio::test]
async fn a_change_is_pushed_as_the_whole_changed_customer() {
    let changed = CustomerChanges {
        name: Some("Acme SAS".into()),
        ..CustomerChanges::default()
    }
    .apply(&acme())
    .unwrap();
    let engine = engine_expecting(changed.clone(), 1);
    let mut store = MockCustomerStore::new();
    store
        .expect_get()
        .returning(|organization, id| Ok(Some(record(organization, id, acme()))));
    store
        .expect_update()
        .withf(move |_, _, customer, _| *customer == changed)
        .times(1)
        .returning(|organization, id, customer, _| {
            Ok(Some(record(organization, id, customer.clone())))
        });
    let service = CustomerService::new(Arc::new(store)).with_engine(Some(Arc::new(engine)));
    let changes = CustomerChanges {
        name: Some("Acme SAS".into()),
        ..CustomerChanges::default()
    };

    let updated = service
        .update(
            OrganizationId::new(),
            Uuid::now_v7(),
            changes,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(updated.unwrap().customer.name(), "Acme SAS");
}

#[tokio::test]
async fn a_taken_external_id_puts_the_stored_customer_back_in_the_engine() {
    let stored = Customer::new(
        CustomerId::parse("cust_42").unwrap(),
        "The first Acme",
        BillingEmail::parse("first@acme.example").unwrap(),
        Currency::EUR,
    )
    .unwrap();
    let mut engine = engine_expecting(acme(), 1);
    let restored = stored.clone();
    engine
        .expect_upsert_customer()
        .withf(move |pushed| *pushed == restored)
        .times(1)
        .returning(|_| Ok(()));
    let mut store = MockCustomerStore::new();
    store.expect_create().returning(|_, _, _, _| Ok(None));
    store
        .expect_list()
        .times(1)
        .returning(move |organization, _, _| {
            Ok(vec![record(organization, Uuid::now_v7(), stored.clone())])
        });
    let service = CustomerService::new(Arc::new(store)).with_engine(Some(Arc::new(engine)));

    let created = service
        .create(OrganizationId::new(), acme(), &AuditContext::default())
        .await
        .unwrap();
    assert!(created.is_none());
}
