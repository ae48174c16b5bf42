use chrono::{DateTime, TimeZone, Utc};
use tollgate_domain::{
    access::Scope,
    privacy::consent::{ConsentDecision, ConsentMethod, ConsentPurpose},
};

use super::*;
use crate::ports::{
    ApiKeyRecord, AuditView, ConsentRecord, MockClock, MockConsentStore, MockExportStore,
    MockMemberRecords, SessionSummary, SignInMethod,
};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
}

fn clock() -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(at);
    Arc::new(clock)
}

fn context() -> AuditContext {
    AuditContext {
        actor: "user:olivia".to_owned(),
        request_id: None,
        client_address_hash: None,
    }
}

fn record(organization: OrganizationId, status: ExportStatus, attempts: i32) -> ExportRecord {
    ExportRecord {
        id: Uuid::new_v4(),
        organization,
        subject: Subject::member("olivia"),
        format: ExportFormat::Json,
        member_role: Some(Role::Admin),
        member_customer: None,
        status,
        requested_by: "user:olivia".to_owned(),
        requested_at: at(),
        due_at: at() + days(DUE_DAYS),
        attempts,
        completed_at: None,
        expires_at: None,
        content_sha256: None,
        content_bytes: None,
    }
}

fn empty_members() -> MockMemberRecords {
    let mut members = MockMemberRecords::new();
    members.expect_sessions().returning(|_, _| Ok(vec![]));
    members
        .expect_api_keys_created_by()
        .returning(|_, _| Ok(vec![]));
    members.expect_audit_by_actor().returning(|_, _| Ok(vec![]));
    members
}

fn no_consents() -> MockConsentStore {
    let mut consents = MockConsentStore::new();
    consents.expect_history().returning(|_, _, _| Ok(vec![]));
    consents
}

#[tokio::test]
async fn a_second_request_while_one_is_open_is_refused_as_export_pending() {
    let organization = OrganizationId::new();
    let mut store = MockExportStore::new();
    store
        .expect_request()
        .withf(|_, export, audit| {
            export.subject == Subject::member("olivia")
                && export.due_at == at() + days(30)
                && export.member_role == Some(Role::Admin)
                && audit.action == "privacy_export.request"
        })
        .returning(move |organization, _, _| {
            Ok(ExportRequested::AlreadyOpen(record(
                organization,
                ExportStatus::Running,
                0,
            )))
        });
    let service = ExportService::new(
        Arc::new(store),
        Arc::new(MockMemberRecords::new()),
        Arc::new(MockConsentStore::new()),
        clock(),
    );

    let error = service
        .request_own(organization, "olivia", Role::Admin, None, &context())
        .await
        .unwrap_err();

    assert!(
        matches!(error, AppError::Conflict { code, .. } if code == ErrorCode::ExportPending),
        "{error:?}"
    );
}

#[tokio::test]
async fn only_the_subject_or_an_admin_sees_a_request() {
    let organization = OrganizationId::new();
    let stored = record(organization, ExportStatus::Done, 1);
    let id = stored.id;
    let mut store = MockExportStore::new();
    store
        .expect_get()
        .returning(move |_, _| Ok(Some(stored.clone())));
    let service = ExportService::new(
        Arc::new(store),
        Arc::new(MockMemberRecords::new()),
        Arc::new(MockConsentStore::new()),
        clock(),
    );
    let reader = |subject: &str, admin| ExportReader {
        subject: Some(Subject::member(subject)),
        admin,
    };

    assert!(
        service
            .get(organization, id, &reader("olivia", false))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        service
            .get(organization, id, &reader("victor", false))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        service
            .get(organization, id, &reader("alice", true))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_worker_builds_the_members_document_without_secrets_and_stores_its_digest() {
    let organization = OrganizationId::new();
    let claimed = ClaimedExport {
        record: record(organization, ExportStatus::Running, 0),
        claim: Uuid::new_v4(),
    };
    let mut store = MockExportStore::new();
    let handed = claimed.clone();
    store
        .expect_claim()
        .returning(move |_, _| Ok(Some(handed.clone())));
    store
        .expect_complete()
        .withf(|_, content, sha256, completed_at, expires_at| {
            let document: serde_json::Value = serde_json::from_slice(content).unwrap();
            let digest: [u8; 32] = Sha256::digest(content).into();
            document["format"] == MEMBER_EXPORT_FORMAT
                && document["memberships"][0]["role"] == "admin"
                && document["sessions"][0]["method"] == "dev_link"
                && document["api_keys"][0]["display_prefix"] == "tg_live_ab12"
                && document["api_keys"][0].get("secret_sha256").is_none()
                && document["consents"][0]["decision"] == "granted"
                && document["audit"][0]["action"] == "api_key.create"
                && *sha256 == digest
                && *expires_at == *completed_at + days(7)
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(true));
    let mut members = MockMemberRecords::new();
    members.expect_sessions().returning(|_, _| {
        Ok(vec![SessionSummary {
            method: SignInMethod::DevLink,
            role: Role::Admin,
            created_at: at(),
            last_seen_at: at(),
            revoked_at: None,
        }])
    });
    members
        .expect_api_keys_created_by()
        .withf(|_, actor| actor == "user:olivia")
        .returning(move |organization, _| {
            Ok(vec![ApiKeyRecord {
                id: Uuid::new_v4(),
                organization,
                name: "ci".to_owned(),
                display_prefix: "tg_live_ab12".to_owned(),
                scopes: vec![Scope::UsageRead],
                created_by: "user:olivia".to_owned(),
                created_at: at(),
                expires_at: None,
                last_used_at: None,
                revoked_at: None,
            }])
        });
    members.expect_audit_by_actor().returning(|_, _| {
        Ok(vec![AuditView {
            sequence: 3,
            occurred_at: at(),
            actor: "user:olivia".to_owned(),
            action: "api_key.create".to_owned(),
            target: None,
            request_id: None,
            result: "success".to_owned(),
        }])
    });
    let mut consents = MockConsentStore::new();
    consents.expect_history().returning(|_, subject, _| {
        Ok(vec![ConsentRecord {
            id: 1,
            subject: subject.clone(),
            purpose: ConsentPurpose::LangfuseExport,
            decision: ConsentDecision::Granted,
            notice_version: "2026-12-07".to_owned(),
            notice_sha256: [7; 32],
            method: ConsentMethod::Banner,
            actor: "user:olivia".to_owned(),
            recorded_at: at(),
            request_id: None,
        }])
    });
    let service = ExportService::new(
        Arc::new(store),
        Arc::new(members),
        Arc::new(consents),
        clock(),
    );

    let built = service.run_once(Duration::from_secs(60)).await.unwrap();

    assert_eq!(built, Some(claimed.record.id));
}

#[tokio::test]
async fn a_build_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let organization = OrganizationId::new();
    let mut zip = record(organization, ExportStatus::Running, MAX_ATTEMPTS - 1);
    zip.format = ExportFormat::Zip;
    let claimed = ClaimedExport {
        record: zip,
        claim: Uuid::new_v4(),
    };
    let mut store = MockExportStore::new();
    store
        .expect_claim()
        .returning(move |_, _| Ok(Some(claimed.clone())));
    store.expect_complete().never();
    store
        .expect_fail()
        .withf(|_, _, give_up| *give_up)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let service = ExportService::new(
        Arc::new(store),
        Arc::new(empty_members()),
        Arc::new(no_consents()),
        clock(),
    );

    service.run_once(Duration::from_secs(60)).await.unwrap();
}

#[tokio::test]
async fn an_expired_export_is_gone_and_an_open_one_is_pending() {
    let organization = OrganizationId::new();
    let done = record(organization, ExportStatus::Done, 1);
    let open = record(organization, ExportStatus::Pending, 0);
    let (done_id, open_id) = (done.id, open.id);
    let mut store = MockExportStore::new();
    store.expect_get().returning(move |_, id| {
        Ok(Some(if id == done_id {
            done.clone()
        } else {
            open.clone()
        }))
    });
    store.expect_content().returning(|_, _, _, _| Ok(None));
    let service = ExportService::new(
        Arc::new(store),
        Arc::new(MockMemberRecords::new()),
        Arc::new(MockConsentStore::new()),
        clock(),
    );
    let olivia = ExportReader {
        subject: Some(Subject::member("olivia")),
        admin: false,
    };

    let gone = service
        .download(organization, done_id, &olivia, &context())
        .await
        .unwrap_err();
    let pending = service
        .download(organization, open_id, &olivia, &context())
        .await
        .unwrap_err();

    assert!(matches!(gone, AppError::Gone { code, .. } if code == ErrorCode::DownloadExpired));
    assert!(matches!(pending, AppError::Conflict { code, .. } if code == ErrorCode::ExportPending));
}
