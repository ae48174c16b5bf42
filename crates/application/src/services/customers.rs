//! Managing an organization's billing customers: create, read, list, change.

use std::sync::Arc;

use tollgate_domain::{
    DomainError,
    billing::{Address, BillingEmail, Customer, Metadata, TaxId, Timezone},
    organization::OrganizationId,
};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{AuditContext, AuditEntry, CustomerRecord, CustomerStore},
};

/// Most customers one page lists.
pub const MAX_PAGE: i64 = 1000;

/// What a change sets; `None` leaves a detail as it is. The external id and the currency are
/// not here: usage events carry the one, and every plan of the customer is priced in the
/// other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerChanges {
    pub name: Option<String>,
    pub billing_email: Option<BillingEmail>,
    /// `Some(None)` removes the address.
    pub address: Option<Option<Address>>,
    /// `Some(None)` removes the tax id.
    pub tax_id: Option<Option<TaxId>>,
    pub timezone: Option<Timezone>,
    /// Replaces the whole metadata.
    pub metadata: Option<Metadata>,
}

impl CustomerChanges {
    /// `customer` with these changes.
    ///
    /// # Errors
    /// `Empty` or `TooLong` for a new name that is blank or past 255 characters.
    pub fn apply(self, customer: &Customer) -> Result<Customer, DomainError> {
        let mut changed = Customer::new(
            customer.external_id().clone(),
            self.name.as_deref().unwrap_or(customer.name()),
            self.billing_email
                .unwrap_or_else(|| customer.billing_email().clone()),
            customer.currency(),
        )?
        .with_timezone(self.timezone.unwrap_or_else(|| customer.timezone().clone()))
        .with_metadata(self.metadata.unwrap_or_else(|| customer.metadata().clone()));
        if let Some(address) = self.address.unwrap_or_else(|| customer.address().cloned()) {
            changed = changed.with_address(address);
        }
        if let Some(tax_id) = self.tax_id.unwrap_or_else(|| customer.tax_id().cloned()) {
            changed = changed.with_tax_id(tax_id);
        }
        Ok(changed)
    }
}

pub struct CustomerService {
    store: Arc<dyn CustomerStore>,
}

impl CustomerService {
    pub fn new(store: Arc<dyn CustomerStore>) -> Self {
        Self { store }
    }

    /// `None` when the organization already has a customer with this external id.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn create(
        &self,
        organization: OrganizationId,
        customer: Customer,
        context: &AuditContext,
    ) -> Result<Option<CustomerRecord>, AppError> {
        let id = Uuid::now_v7();
        let audit = AuditEntry::success(context, "customer.create", Some(target(id)));
        Ok(self
            .store
            .create(organization, id, &customer, &audit)
            .await?)
    }

    /// `None` when the organization has no such customer.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CustomerRecord>, AppError> {
        Ok(self.store.get(organization, id).await?)
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) customers after `after`, by id.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, AppError> {
        Ok(self
            .store
            .list(organization, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// `None` when the organization has no such customer.
    ///
    /// # Errors
    /// `AppError::Invalid` when the changed customer is not valid, `AppError::Port` when the
    /// store fails.
    pub async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        changes: CustomerChanges,
        context: &AuditContext,
    ) -> Result<Option<CustomerRecord>, AppError> {
        let Some(current) = self.store.get(organization, id).await? else {
            return Ok(None);
        };
        let changed = changes.apply(&current.customer)?;
        let audit = AuditEntry::success(context, "customer.update", Some(target(id)));
        Ok(self
            .store
            .update(organization, id, &changed, &audit)
            .await?)
    }
}

fn target(id: Uuid) -> String {
    format!("customer:{id}")
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use tollgate_domain::{
        billing::{CountryCode, Currency},
        usage::CustomerId,
    };

    use super::*;
    use crate::ports::MockCustomerStore;

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
}
