//! The record of processing activities (GDPR Art. 30), generated from the data inventory and
//! the upstreams this installation is configured with.

use std::sync::Arc;

use tollgate_domain::{
    organization::OrganizationId,
    privacy::inventory::{self, Category, DataSubject, LegalBasis, Purpose, Recipient, Retention},
};

use crate::{AppError, ports::SettingsStore};

/// An upstream this installation sends personal data to, and the host it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredRecipient {
    pub recipient: Recipient,
    pub host: String,
}

/// Who answers for the processing: from the organization's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    pub name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
}

/// One table's processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub table: &'static str,
    pub subjects: DataSubject,
    pub purpose: Purpose,
    pub basis: LegalBasis,
    pub categories: Vec<Category>,
    pub retention: Retention,
    /// Only the recipients configured here.
    pub recipients: Vec<ConfiguredRecipient>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingRecord {
    pub controller: Controller,
    pub activities: Vec<Activity>,
    /// Every host outside Tollgate that receives personal data.
    pub recipients: Vec<ConfiguredRecipient>,
}

pub struct ProcessingRecordService {
    settings: Arc<dyn SettingsStore>,
    recipients: Vec<ConfiguredRecipient>,
}

impl ProcessingRecordService {
    pub fn new(settings: Arc<dyn SettingsStore>, recipients: Vec<ConfiguredRecipient>) -> Self {
        Self {
            settings,
            recipients,
        }
    }

    /// # Errors
    /// `AppError::Port` when the settings cannot be read.
    pub async fn record(&self, organization: OrganizationId) -> Result<ProcessingRecord, AppError> {
        let settings = self.settings.get(organization).await?;
        let contact = settings.billing_contact;
        let controller = Controller {
            name: settings.display_name,
            contact_name: contact.as_ref().map(|c| c.name.clone()),
            contact_email: contact.map(|c| c.email),
        };
        let activities = inventory::TABLES
            .iter()
            .filter(|table| table.subjects != DataSubject::Nobody)
            .map(|table| Activity {
                table: table.name,
                subjects: table.subjects,
                purpose: table.purpose,
                basis: table.basis,
                categories: table.categories(),
                retention: table.retention,
                recipients: self
                    .recipients
                    .iter()
                    .filter(|configured| table.recipients.contains(&configured.recipient))
                    .cloned()
                    .collect(),
            })
            .collect();
        Ok(ProcessingRecord {
            controller,
            activities,
            recipients: self.recipients.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
