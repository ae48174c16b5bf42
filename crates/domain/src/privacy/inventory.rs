//! Every column of every table, classified. The Art. 30 record, the notice's data section, the
//! export manifest and `docs/compliance.md` are generated from this list, and a test compares
//! it with the database's `information_schema`, so a new column cannot go unclassified.

mod document;
mod tables;

pub use document::compliance_markdown;
pub use tables::TABLES;

/// What a column holds, as far as data protection is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Names, e-mail and postal addresses, tax ids: who a customer is.
    Contact,
    /// Ids that single out a person without naming them: a customer's external id, LiteLLM's
    /// end-user and team ids, an identity provider's subject.
    Identifier,
    /// What a person's calls used and cost: tokens, models, amounts.
    Usage,
    /// Invoices, credit notes, payments and their amounts.
    Financial,
    /// Digests of secrets and addresses: they prove or tell apart, they cannot be reversed.
    Credential,
    /// Who did what and when, kept as evidence.
    Audit,
    /// Minimized content of refused input, kept to diagnose it.
    Diagnostic,
    /// Ids, states and times of Tollgate's own records: nobody's personal data on their own.
    Technical,
}

impl Category {
    /// Whether the category is personal data (alone or joined with a customer record).
    pub fn personal(self) -> bool {
        !matches!(self, Category::Technical)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Contact => "contact",
            Category::Identifier => "identifier",
            Category::Usage => "usage",
            Category::Financial => "financial",
            Category::Credential => "credential",
            Category::Audit => "audit",
            Category::Diagnostic => "diagnostic",
            Category::Technical => "technical",
        }
    }
}

/// Why a table is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// Counting what customers' calls used.
    Metering,
    /// Rating usage, invoicing and collecting.
    Billing,
    /// Deciding who may do what.
    AccessControl,
    /// Evidence of who did what.
    Accountability,
    /// Keeping the service running: delivery, retries, diagnostics.
    Operations,
    /// Recording what people consented to, so optional processing runs only with consent.
    ConsentManagement,
    /// Answering people's requests about their data (access, portability).
    SubjectRights,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Metering => "metering",
            Purpose::Billing => "billing",
            Purpose::AccessControl => "access_control",
            Purpose::Accountability => "accountability",
            Purpose::Operations => "operations",
            Purpose::ConsentManagement => "consent_management",
            Purpose::SubjectRights => "subject_rights",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Purpose::Metering => "count what each customer's AI calls used",
            Purpose::Billing => "rate usage, issue invoices and credit notes, record payments",
            Purpose::AccessControl => "authenticate members and keys and decide what they may do",
            Purpose::Accountability => "keep tamper-evident evidence of every user action",
            Purpose::Operations => {
                "operate the service: deliver usage, raise budget alerts, replay retried requests, diagnose refused input"
            }
            Purpose::ConsentManagement => {
                "prove what each person consented to or withdrew, under which notice"
            }
            Purpose::SubjectRights => {
                "build the copy of their data a person asked for, and keep it for them to download"
            }
        }
    }
}

/// GDPR Art. 6(1) basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LegalBasis {
    /// Art. 6(1)(b): needed to perform the contract with the customer.
    Contract,
    /// Art. 6(1)(c): bookkeeping and tax law (invoices).
    LegalObligation,
    /// Art. 6(1)(f): security and evidence.
    LegitimateInterests,
}

impl LegalBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal_obligation",
            LegalBasis::LegitimateInterests => "legitimate_interests",
        }
    }

    pub fn article(self) -> &'static str {
        match self {
            LegalBasis::Contract => "Art. 6(1)(b) GDPR",
            LegalBasis::LegalObligation => "Art. 6(1)(c) GDPR",
            LegalBasis::LegitimateInterests => "Art. 6(1)(f) GDPR",
        }
    }
}

/// How long rows are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// A fixed number of days after the row stops being needed.
    Days(u32),
    /// As long as the customer, member or organization it belongs to exists.
    WhileActive,
    /// Finalized invoices and credit notes: until the end of the statutory bookkeeping period
    /// (6 to 10 years after the end of the issue year, by country).
    StatutoryHold,
}

impl Retention {
    pub fn describe(self) -> String {
        match self {
            Retention::Days(1) => "1 day".to_owned(),
            Retention::Days(days) => format!("{days} days"),
            Retention::WhileActive => "while the account exists".to_owned(),
            Retention::StatutoryHold => {
                "until the statutory bookkeeping period after the issue year ends (6-10 years by country)".to_owned()
            }
        }
    }
}

/// Who besides Tollgate receives rows of a table, when that upstream is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    OpenMeter,
    Lago,
    /// The payment provider: a customer's name and e-mail, its cards, its payments.
    Stripe,
}

impl Recipient {
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::OpenMeter => "openmeter",
            Recipient::Lago => "lago",
            Recipient::Stripe => "stripe",
        }
    }
}

/// Whose data a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataSubject {
    /// The operator's customers and their end users.
    Customers,
    /// People who sign in to Tollgate: the operator's staff and customer members.
    Members,
    /// Both: records about either (consents).
    MembersAndCustomers,
    /// Nobody: configuration and bookkeeping of Tollgate itself.
    Nobody,
}

impl DataSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            DataSubject::Customers => "customers",
            DataSubject::Members => "members",
            DataSubject::MembersAndCustomers => "members_and_customers",
            DataSubject::Nobody => "nobody",
        }
    }
}

/// One table: why it is kept, and each column's category.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub subjects: DataSubject,
    pub purpose: Purpose,
    pub basis: LegalBasis,
    pub retention: Retention,
    pub recipients: &'static [Recipient],
    pub columns: &'static [(&'static str, Category)],
}

impl Table {
    /// The table's personal-data categories, each once, in order.
    pub fn categories(&self) -> Vec<Category> {
        let mut categories: Vec<Category> = self
            .columns
            .iter()
            .map(|(_, category)| *category)
            .filter(|category| category.personal())
            .collect();
        categories.sort();
        categories.dedup();
        categories
    }

    pub fn category_of(&self, column: &str) -> Option<Category> {
        self.columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, category)| *category)
    }
}

/// The table of that name.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.name == name)
}

/// The inventory against the database's columns: each column that is not classified, and each
/// classified one the database does not have, as `table.column`.
pub fn differences<'a>(
    columns: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<String>, Vec<String>) {
    let actual: std::collections::BTreeSet<(String, String)> = columns
        .into_iter()
        .map(|(table, column)| (table.to_owned(), column.to_owned()))
        .collect();
    let classified: std::collections::BTreeSet<(String, String)> = TABLES
        .iter()
        .flat_map(|table| {
            table
                .columns
                .iter()
                .map(|(column, _)| (table.name.to_owned(), (*column).to_owned()))
        })
        .collect();
    let name = |(table, column): &(String, String)| format!("{table}.{column}");
    (
        actual.difference(&classified).map(name).collect(),
        classified.difference(&actual).map(name).collect(),
    )
}

#[cfg(test)]
mod tests;
