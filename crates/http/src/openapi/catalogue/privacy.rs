//! Privacy and compliance: the record of processing activities, consents, exports.

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{dto, parses},
    routes::api::privacy::{
        ProcessingRecordResponse,
        consents::{ConsentListResponse, ConsentRequest, ConsentsRecorded},
        exports::ExportResponse,
    },
};

const CONSENT_REQUEST: &str = r#"{"subject": "customer:acme", "purposes": ["langfuse_export"],
    "notice_version": "2026-12-07"}"#;

const EXPORT: &str = r#"{"id": "0193f4c2-7d1e-7a51-9c0e-3f8b2a6d4e10",
    "subject": "member:olivia", "format": "json", "status": "done",
    "requested_at": "2026-12-07T10:00:00Z", "due_at": "2027-01-06T10:00:00Z",
    "completed_at": "2026-12-07T10:00:01Z", "expires_at": "2026-12-14T10:00:01Z",
    "bytes": 5120,
    "sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
    "download_url": "/api/privacy/exports/0193f4c2-7d1e-7a51-9c0e-3f8b2a6d4e10/download"}"#;

fn operation(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    answer: Answer,
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag: "privacy",
        summary,
        query: None,
        paged: false,
        request: None,
        answer,
    }
}

const RECORDED: &str = r#"{"data": [{"id": 41, "subject": "customer:acme",
    "purpose": "langfuse_export", "decision": "granted", "notice_version": "2026-12-07",
    "notice_sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
    "method": "api", "actor": "api_key:0193f4c2-7d1e-7a51-9c0e-3f8b2a6d4e10",
    "recorded_at": "2026-12-07T10:00:00Z", "request_id": "b7c9e3a0"}]}"#;

pub fn operations() -> Vec<Operation> {
    vec![
        operation(
            "GET",
            "/api/privacy/records",
            "processingRecord",
            "The record of processing activities (GDPR Art. 30): per table of personal \
            data its subjects, purpose, legal basis, categories, retention and the configured \
            recipients' hosts",
            Answer::Json {
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
        ),
        Operation {
            query: Some(|| {
                vec![serde_json::json!({
                    "name": "subject", "in": "query", "required": true,
                    "description": "`member:<identity subject>` or `customer:<customer id>`.",
                    "schema": {"type": "string"},
                })]
            }),
            ..operation(
                "GET",
                "/api/privacy/consents",
                "listConsents",
                "A subject's consent records, newest first (the first per purpose stands), \
                 with the notice version in force",
                Answer::Json {
                    status: 200,
                    schema: dto::<ConsentListResponse>,
                    example: r#"{"subject": "customer:acme", "notice_version": "2026-12-07",
                    "notice_sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
                    "data": []}"#,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<ConsentRequest>,
                example: CONSENT_REQUEST,
                parses: parses::<ConsentRequest>,
            }),
            ..operation(
                "POST",
                "/api/privacy/consents",
                "grantConsent",
                "Records that a subject consented to purposes under the notice in force \
                 (append-only, audited as `consent.grant`); 422 `unknown_purpose`, \
                 `stale_notice_version`",
                Answer::Json {
                    status: 201,
                    schema: dto::<ConsentsRecorded>,
                    example: RECORDED,
                },
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<ConsentRequest>,
                example: CONSENT_REQUEST,
                parses: parses::<ConsentRequest>,
            }),
            ..operation(
                "POST",
                "/api/privacy/consents/withdraw",
                "withdrawConsent",
                "Records that a subject withdrew (or refused) consent to purposes (a new \
                 record, audited as `consent.withdraw`); 422 `unknown_purpose`, \
                 `stale_notice_version`",
                Answer::Json {
                    status: 201,
                    schema: dto::<ConsentsRecorded>,
                    example: RECORDED,
                },
            )
        },
        operation(
            "POST",
            "/api/me/export",
            "requestOwnExport",
            "Asks for an export of everything Tollgate holds about the caller (a person, \
             not an API key), built by the workers; 409 `export_pending` while one is open",
            Answer::Json {
                status: 202,
                schema: dto::<ExportResponse>,
                example: EXPORT,
            },
        ),
        operation(
            "GET",
            "/api/privacy/exports/{id}",
            "showExport",
            "Where an export stands, with its download URL once built (its subject, owners \
             and admins only; 404 for anyone else)",
            Answer::Json {
                status: 200,
                schema: dto::<ExportResponse>,
                example: EXPORT,
            },
        ),
        operation(
            "GET",
            "/api/privacy/exports/{id}/download",
            "downloadExport",
            "The export's JSON document, for 7 days after it is built (409 `export_pending` \
             before, 410 `download_expired` after)",
            Answer::File {
                media_type: "application/json",
            },
        ),
    ]
}
