//! Managing an organization's billing customers: create, read, list, change.

use std::sync::Arc;

use tollgate_domain::{
    DomainError,
    billing::{Address, BillingEmail, Customer, Metadata, NetTerms, TaxId, TaxRate, Timezone},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{AuditContext, AuditEntry, BillingEngine, CustomerRecord, CustomerStore},
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
    /// `Some(None)` removes the customer's own rate: the installation's default applies.
    pub tax_rate: Option<Option<TaxRate>>,
    /// `Some(None)` removes the customer's own terms: the organization's apply.
    pub net_terms: Option<Option<NetTerms>>,
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
        if let Some(tax_rate) = self.tax_rate.unwrap_or_else(|| customer.tax_rate()) {
            changed = changed.with_tax_rate(tax_rate);
        }
        if let Some(terms) = self.net_terms.unwrap_or_else(|| customer.net_terms()) {
            changed = changed.with_net_terms(terms);
        }
        Ok(changed)
    }
}

/// With a billing engine (Lago mode), every customer is pushed to it before it is stored, so
/// the engine is never behind what Tollgate shows: nothing is stored when the engine refuses
/// the customer or cannot be reached, and the push is an upsert, so trying again converges.
pub struct CustomerService {
    store: Arc<dyn CustomerStore>,
    engine: Option<Arc<dyn BillingEngine>>,
}

impl CustomerService {
    pub fn new(store: Arc<dyn CustomerStore>) -> Self {
        Self {
            store,
            engine: None,
        }
    }

    /// Pushes customers to `engine` before storing them (none: embedded mode).
    #[must_use]
    pub fn with_engine(mut self, engine: Option<Arc<dyn BillingEngine>>) -> Self {
        self.engine = engine;
        self
    }

    /// `None` when the organization already has a customer with this external id.
    ///
    /// # Errors
    /// `AppError::Port` when the engine refuses the customer or cannot be reached (nothing is
    /// stored then), or when the store fails.
    pub async fn create(
        &self,
        organization: OrganizationId,
        customer: Customer,
        context: &AuditContext,
    ) -> Result<Option<CustomerRecord>, AppError> {
        if let Some(engine) = &self.engine {
            engine.upsert_customer(&customer).await?;
        }
        let id = Uuid::now_v7();
        let audit = AuditEntry::success(context, "customer.create", Some(target(id)));
        let created = self
            .store
            .create(organization, id, &customer, &audit)
            .await?;
        if created.is_none() {
            self.restore_engine_copy(organization, &customer).await;
        }
        Ok(created)
    }

    /// The external id was taken, but the refused customer already went to the engine (an
    /// upsert by that id): push the stored customer again so the engine holds what Tollgate
    /// holds. Rare (a conflict), so the stored one is found by paging through the list.
    async fn restore_engine_copy(&self, organization: OrganizationId, refused: &Customer) {
        let Some(engine) = &self.engine else {
            return;
        };
        let mut after = None;
        loop {
            let page = match self.store.list(organization, after, MAX_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, external_id = refused.external_id().as_str(),
                        "cannot restore the billing engine's copy of a customer");
                    return;
                }
            };
            let found = page
                .iter()
                .find(|r| r.customer.external_id() == refused.external_id());
            if let Some(stored) = found {
                if let Err(error) = engine.upsert_customer(&stored.customer).await {
                    tracing::error!(%error, customer = %stored.id,
                        "cannot restore the billing engine's copy of a customer");
                }
                return;
            }
            match page.last() {
                Some(last) if i64::try_from(page.len()).unwrap_or(i64::MAX) >= MAX_PAGE => {
                    after = Some(last.id);
                }
                _ => return,
            }
        }
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

    /// As [`Self::list`], only the customers whose external id, name or billing e-mail
    /// contains `search` (any case); every customer for a blank `search`.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn search(
        &self,
        organization: OrganizationId,
        search: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, AppError> {
        let search = search.trim();
        if search.is_empty() {
            return self.list(organization, after, limit).await;
        }
        Ok(self
            .store
            .search(organization, search, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// The customer usage events name `external_id` (a customer member's portal knows its
    /// customer by it); `None` when the organization has none.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn by_external_id(
        &self,
        organization: OrganizationId,
        external_id: &CustomerId,
    ) -> Result<Option<CustomerRecord>, AppError> {
        Ok(self.store.by_external_id(organization, external_id).await?)
    }

    /// `None` when the organization has no such customer.
    ///
    /// # Errors
    /// `AppError::Invalid` when the changed customer is not valid, `AppError::Port` when the
    /// engine refuses the change or cannot be reached (nothing is stored then), or when the
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
        if let Some(engine) = &self.engine {
            engine.upsert_customer(&changed).await?;
        }
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
mod tests;
