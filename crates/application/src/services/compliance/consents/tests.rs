use chrono::Utc;
use tollgate_domain::privacy::consent::Standing;

use super::*;
use crate::ports::MockConsentStore;

fn notice() -> Arc<Notice> {
    Arc::new(Notice::parse("---\nversion: 2026-12-07\n---\n# Privacy\n").unwrap())
}

fn context() -> AuditContext {
    AuditContext {
        actor: "user:olivia".to_owned(),
        request_id: Some("req-1".to_owned()),
        client_address_hash: None,
    }
}

fn echo_store() -> MockConsentStore {
    let mut store = MockConsentStore::new();
    store.expect_append().returning(|_, consents| {
        Ok(consents
            .iter()
            .enumerate()
            .map(|(i, (c, audit))| ConsentRecord {
                id: i64::try_from(i).unwrap() + 1,
                subject: c.subject.clone(),
                purpose: c.purpose,
                decision: c.decision,
                notice_version: c.notice_version.clone(),
                notice_sha256: c.notice_sha256,
                method: c.method,
                actor: audit.context.actor.clone(),
                recorded_at: Utc::now(),
                request_id: audit.context.request_id.clone(),
            })
            .collect())
    });
    store
}

fn change(version: &str, decision: ConsentDecision) -> ConsentChange<'_> {
    ConsentChange {
        subject: Subject::member("olivia"),
        purposes: vec![
            ConsentPurpose::PromptCapture,
            ConsentPurpose::LangfuseExport,
            ConsentPurpose::PromptCapture,
        ],
        decision,
        notice_version: version,
        method: ConsentMethod::Banner,
    }
}

#[tokio::test]
async fn each_purpose_is_recorded_once_under_the_notice_in_force_with_its_audit_record() {
    let mut store = MockConsentStore::new();
    store
        .expect_append()
        .withf(|_, consents| {
            consents.len() == 2
                && consents.iter().all(|(c, audit)| {
                    audit.action == "consent.withdraw"
                        && audit.target.as_deref()
                            == Some(&format!("member:olivia {}", c.purpose.as_str()) as &str)
                        && c.notice_version == "2026-12-07"
                        && c.decision == ConsentDecision::Withdrawn
                })
        })
        .times(1)
        .returning(|_, _| Ok(Vec::new()));
    let service = ConsentService::new(Arc::new(store), notice(), vec![]);

    service
        .record(
            OrganizationId::new(),
            change("2026-12-07", ConsentDecision::Withdrawn),
            &context(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_decision_under_another_notice_is_refused_and_nothing_is_written() {
    let mut store = MockConsentStore::new();
    store.expect_append().never();
    let service = ConsentService::new(Arc::new(store), notice(), vec![]);

    let error = service
        .record(
            OrganizationId::new(),
            change("2026-01-01", ConsentDecision::Granted),
            &context(),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(error, AppError::Unprocessable { code, .. } if code == ErrorCode::StaleNoticeVersion),
        "{error:?}"
    );
}

#[tokio::test]
async fn granted_records_carry_the_notice_digest_and_the_actor() {
    let service = ConsentService::new(Arc::new(echo_store()), notice(), vec![]);

    let records = service
        .record(
            OrganizationId::new(),
            change("2026-12-07", ConsentDecision::Granted),
            &context(),
        )
        .await
        .unwrap();

    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.notice_sha256 == notice().sha256));
    assert!(records.iter().all(|r| r.actor == "user:olivia"));
}

#[test]
fn only_the_three_purposes_are_known() {
    assert_eq!(
        ConsentService::purpose("langfuse_export").unwrap(),
        ConsentPurpose::LangfuseExport
    );
    let error = ConsentService::purpose("marketing").unwrap_err();
    assert!(
        matches!(error, AppError::Unprocessable { code, .. } if code == ErrorCode::UnknownPurpose)
    );
}

#[tokio::test]
async fn the_banner_asks_only_when_something_optional_is_configured_and_unanswered() {
    let organization = OrganizationId::new();
    let olivia = Subject::member("olivia");

    let mut untouched = MockConsentStore::new();
    untouched.expect_standing().never();
    let nothing_optional = ConsentService::new(Arc::new(untouched), notice(), vec![]);
    assert!(
        !nothing_optional
            .banner_needed(organization, &olivia)
            .await
            .unwrap()
    );

    let mut answered = MockConsentStore::new();
    answered.expect_standing().returning(|_, _| {
        Ok(Standing {
            decisions: vec![(
                ConsentPurpose::LangfuseExport,
                ConsentDecision::Withdrawn,
                "2026-12-07".to_owned(),
            )],
        })
    });
    let service = ConsentService::new(
        Arc::new(answered),
        notice(),
        vec![ConsentPurpose::LangfuseExport],
    );
    assert!(!service.banner_needed(organization, &olivia).await.unwrap());

    let mut unanswered = MockConsentStore::new();
    unanswered
        .expect_standing()
        .returning(|_, _| Ok(Standing::default()));
    let service = ConsentService::new(
        Arc::new(unanswered),
        notice(),
        vec![ConsentPurpose::LangfuseExport],
    );
    assert!(service.banner_needed(organization, &olivia).await.unwrap());
}
