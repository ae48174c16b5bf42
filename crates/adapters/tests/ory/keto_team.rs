//! The team in Keto: members listed from `GET /relation-tuples`, changed by one
//! `PATCH /admin/relation-tuples` whose body the stand-in checks against Keto's documented
//! `relationshipPatch` shape; the owner rules refuse before anything is written.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use serde_json::{Value, json};
use tollgate_adapters::ory::{KetoTeam, KetoTeamConfig};
use tollgate_application::{
    PortError,
    ports::{
        AuditContext, AuditEntry, AuditTrail, AuditView, MemberOutcome, MemberWrite, Membership,
        MembershipStore,
    },
};
use tollgate_domain::{access::Role, organization::OrganizationId};
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::*;

#[derive(Default)]
struct Recorded(Mutex<Vec<AuditEntry>>);

#[async_trait]
impl AuditTrail for Recorded {
    async fn append(&self, _: OrganizationId, entry: &AuditEntry) -> Result<(), PortError> {
        self.0
            .lock()
            .map_err(|e| PortError::unavailable("test", e.to_string()))?
            .push(entry.clone());
        Ok(())
    }

    async fn page(&self, _: OrganizationId, _: i64, _: i64) -> Result<Vec<AuditView>, PortError> {
        Ok(Vec::new())
    }
}

fn org() -> OrganizationId {
    OrganizationId::from_uuid(Uuid::from_u128(42))
}

fn tuple(namespace: &str, object: &str, relation: &str, subject: &str) -> Value {
    json!({"namespace": namespace, "object": object, "relation": relation, "subject_id": subject})
}

/// A stand-in for Keto's read API that filters the stored tuples by the query as Keto does
/// (exact `namespace`, `object`, `relation`, `subject_id`; `page_size` required to be sane),
/// and accepts `PATCH /admin/relation-tuples` only as an array of `relationshipPatch`.
async fn keto_with(staff: Vec<Value>, customers: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    let stored: Vec<Value> = staff.into_iter().chain(customers).collect();
    Mock::given(method("GET"))
        .and(path("/relation-tuples"))
        .respond_with(move |request: &wiremock::Request| {
            let query: Vec<(String, String)> = request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let size_ok = query
                .iter()
                .any(|(k, v)| k == "page_size" && v.parse::<u32>().is_ok_and(|n| n > 0));
            if !size_ok {
                return ResponseTemplate::new(400);
            }
            let matching: Vec<&Value> = stored
                .iter()
                .filter(|tuple| {
                    query.iter().all(|(k, v)| match k.as_str() {
                        "namespace" | "object" | "relation" | "subject_id" => {
                            tuple[k.as_str()] == v.as_str()
                        }
                        _ => true,
                    })
                })
                .collect();
            ResponseTemplate::new(200)
                .set_body_json(json!({"relation_tuples": matching, "next_page_token": ""}))
        })
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/admin/relation-tuples"))
        .respond_with(|request: &wiremock::Request| {
            let shaped = request.body_json::<Vec<Value>>().is_ok_and(|patches| {
                patches.iter().all(|p| {
                    matches!(p["action"].as_str(), Some("insert" | "delete"))
                        && ["namespace", "object", "relation", "subject_id"]
                            .iter()
                            .all(|field| p["relation_tuple"][*field].is_string())
                })
            });
            ResponseTemplate::new(if shaped { 204 } else { 400 })
        })
        .mount(&server)
        .await;
    server
}

fn team(
    server: &MockServer,
    writable: bool,
    audit: Arc<Recorded>,
) -> Result<KetoTeam, Box<dyn std::error::Error>> {
    let url = base_url(server)?;
    Ok(KetoTeam::new(
        KetoTeamConfig {
            read_url: url.clone(),
            write_url: writable.then_some(url),
            api_key: None,
            timeout: Duration::from_secs(2),
        },
        audit,
    )?)
}

fn entry() -> AuditEntry {
    AuditEntry::success(
        &AuditContext::default(),
        "membership.role_change",
        Some("user:alice".into()),
    )
}

async fn patches(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| r.body_json::<Value>().unwrap_or(Value::Null))
        .collect()
}

#[tokio::test]
async fn a_role_change_is_one_patch_deleting_the_old_tuple_and_inserting_the_new() -> TestResult {
    let o = org().to_string();
    let server = keto_with(
        vec![
            tuple("organizations", &o, "owner", "olivia"),
            tuple("organizations", &o, "admin", "alice"),
        ],
        vec![],
    )
    .await;
    let audit = Arc::new(Recorded::default());
    let outcome = team(&server, true, audit.clone())?
        .write(
            org(),
            "alice",
            &MemberWrite::Update(Membership {
                role: Role::Viewer,
                customer: None,
            }),
            false,
            &entry(),
        )
        .await?;
    assert_eq!(
        outcome,
        MemberOutcome::Done {
            previous: Some(Membership {
                role: Role::Admin,
                customer: None
            })
        }
    );
    assert_eq!(
        patches(&server).await,
        [json!([
            {"action": "delete", "relation_tuple": tuple("organizations", &o, "admin", "alice")},
            {"action": "insert", "relation_tuple": tuple("organizations", &o, "viewer", "alice")},
        ])]
    );
    assert_eq!(audit.0.lock().map(|a| a.len()).unwrap_or(0), 1);
    Ok(())
}

#[tokio::test]
async fn a_customer_member_is_a_customers_tuple_of_the_organization() -> TestResult {
    let o = org().to_string();
    let server = keto_with(vec![tuple("organizations", &o, "owner", "olivia")], vec![]).await;
    let audit = Arc::new(Recorded::default());
    let wanted = Membership {
        role: Role::Customer,
        customer: Some("cust_1".into()),
    };
    let outcome = team(&server, true, audit)?
        .write(org(), "carla", &MemberWrite::Add(wanted), false, &entry())
        .await?;
    assert_eq!(outcome, MemberOutcome::Done { previous: None });
    assert_eq!(
        patches(&server).await,
        [json!([{"action": "insert",
                 "relation_tuple": tuple("customers", &format!("{o}/cust_1"), "member", "carla")}])]
    );
    Ok(())
}

#[tokio::test]
async fn owners_are_touched_by_owners_only_and_the_last_one_stays() -> TestResult {
    let o = org().to_string();
    let server = keto_with(
        vec![
            tuple("organizations", &o, "owner", "olivia"),
            tuple("organizations", &o, "admin", "adam"),
        ],
        vec![],
    )
    .await;
    let audit = Arc::new(Recorded::default());
    let team = team(&server, true, audit.clone())?;
    let demote = MemberWrite::Update(Membership {
        role: Role::Admin,
        customer: None,
    });
    assert_eq!(
        team.write(org(), "olivia", &demote, false, &entry())
            .await?,
        MemberOutcome::OwnerOnly
    );
    assert_eq!(
        team.write(org(), "olivia", &MemberWrite::Remove, true, &entry())
            .await?,
        MemberOutcome::LastOwner
    );
    assert_eq!(
        team.write(org(), "nobody", &MemberWrite::Remove, true, &entry())
            .await?,
        MemberOutcome::NotMember
    );
    assert!(patches(&server).await.is_empty(), "nothing written");
    assert_eq!(audit.0.lock().map(|a| a.len()).unwrap_or(1), 0);
    Ok(())
}

#[tokio::test]
async fn members_are_listed_from_staff_and_customer_tuples_by_subject() -> TestResult {
    let o = org().to_string();
    let server = keto_with(
        vec![
            tuple("organizations", &o, "owner", "olivia"),
            tuple("organizations", &o, "viewer", "olivia"),
            tuple("organizations", &o, "billing", "bob"),
        ],
        vec![
            tuple("customers", &format!("{o}/cust_1"), "member", "carla"),
            // Another organization's customer: not a member here.
            tuple(
                "customers",
                "00000000-0000-0000-0000-000000000001/cust_9",
                "member",
                "zed",
            ),
        ],
    )
    .await;
    let members = team(&server, false, Arc::new(Recorded::default()))?
        .members(org(), None, 10)
        .await?;
    let listed: Vec<(String, Role, Option<String>)> = members
        .into_iter()
        .map(|m| (m.subject, m.membership.role, m.membership.customer))
        .collect();
    assert_eq!(
        listed,
        [
            ("bob".to_owned(), Role::Billing, None),
            (
                "carla".to_owned(),
                Role::Customer,
                Some("cust_1".to_owned())
            ),
            ("olivia".to_owned(), Role::Owner, None),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn without_the_write_api_changes_are_refused_as_unavailable() -> TestResult {
    let o = org().to_string();
    let server = keto_with(vec![tuple("organizations", &o, "owner", "olivia")], vec![]).await;
    let result = team(&server, false, Arc::new(Recorded::default()))?
        .write(
            org(),
            "vera",
            &MemberWrite::Add(Membership {
                role: Role::Viewer,
                customer: None,
            }),
            false,
            &entry(),
        )
        .await;
    assert!(
        matches!(
            result,
            Err(PortError::Unavailable {
                service: "keto",
                ..
            })
        ),
        "{result:?}"
    );
    Ok(())
}
