//! Privacy and compliance: the record of processing activities.

use super::{Answer, Operation};
use crate::{openapi::schemas::dto, routes::api::privacy::ProcessingRecordResponse};

pub fn operations() -> Vec<Operation> {
    vec![Operation {
        method: "GET",
        path: "/api/privacy/records",
        id: "processingRecord",
        tag: "privacy",
        summary: "The record of processing activities (GDPR Art. 30): per table of personal \
            data its subjects, purpose, legal basis, categories, retention and the configured \
            recipients' hosts",
        query: None,
        paged: false,
        request: None,
        answer: Answer::Json {
            status: 200,
            schema: dto::<ProcessingRecordResponse>,
            example: r#"{"controller": {"name": "Acme AI", "contact_name": "Dana Privacy",
                "contact_email": "dpo@acme.example"},
              "activities": [{"table": "billing_customers", "data_subjects": "customers",
                "purpose": "billing",
                "purpose_description": "rate usage, issue invoices and credit notes, record payments",
                "legal_basis": "contract", "legal_basis_article": "Art. 6(1)(b) GDPR",
                "categories": ["contact", "identifier", "financial"],
                "retention": {"kind": "while_active", "description": "while the account exists"},
                "recipients": [{"name": "lago", "host": "lago.acme.example"}]}],
              "recipients": [{"name": "lago", "host": "lago.acme.example"}]}"#,
        },
    }]
}
