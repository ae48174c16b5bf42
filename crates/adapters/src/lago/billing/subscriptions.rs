//! Subscriptions in Lago: `POST /subscriptions` keyed by the subscription's `external_id` for
//! every change, `DELETE /subscriptions/{external_id}` to end one.
//!
//! Lago, not the caller, decides when a plan change takes effect: onto a plan whose yearly
//! base fee is at least the current one's, at once (prorated); onto a cheaper one, at the end
//! of the period (a `pending` subscription). So an upgrade or a downgrade is checked against
//! that rule first, and one Lago would carry out differently is refused before anything
//! changes, rather than letting Tollgate and Lago disagree about the plan the customer is on.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tollgate_application::{
    PortError,
    ports::{SubscriptionChangeKind, SubscriptionSync},
};

use super::client::{LagoClient, Repeat, Reply, refused};

#[derive(Deserialize)]
struct SubscriptionAnswer {
    subscription: Subscription,
}

#[derive(Deserialize)]
struct Subscription {
    plan_code: String,
    next_plan_code: Option<String>,
}

#[derive(Deserialize)]
struct PlanAnswer {
    plan: Plan,
}

#[derive(Deserialize)]
struct Plan {
    amount_cents: i64,
    interval: String,
}

impl Plan {
    /// What Lago compares to tell an upgrade from a downgrade.
    fn yearly_amount_cents(&self) -> Option<i64> {
        let per_year = match self.interval.as_str() {
            "weekly" => 52,
            "monthly" => 12,
            "quarterly" => 4,
            "semiannual" => 2,
            _ => 1,
        };
        self.amount_cents.checked_mul(per_year)
    }
}

pub(super) async fn apply(client: &LagoClient, change: &SubscriptionSync) -> Result<(), PortError> {
    let mut fields = json!({
        "external_customer_id": change.external_customer_id,
        "plan_code": change.plan_engine_code,
        "external_id": change.external_id,
    });
    match change.kind {
        SubscriptionChangeKind::Create => {
            if let Some(fields) = fields.as_object_mut() {
                // Periods run from the subscription's start, as Tollgate's own billing cycles.
                fields.insert("billing_time".into(), json!("anniversary"));
                fields.insert(
                    "subscription_at".into(),
                    json!(change.starts_at.to_rfc3339()),
                );
            }
        }
        SubscriptionChangeKind::Upgrade | SubscriptionChangeKind::Downgrade => {
            if already_applied(client, change).await? {
                return Ok(());
            }
        }
        // A newer version of the same plan, applied when the period renews: Lago's own rule
        // decides (a cheaper version waits for the end of the period that just started).
        SubscriptionChangeKind::Renewal => {}
    }
    let url = client.url(&["subscriptions"], &[])?;
    let body = json!({ "subscription": fields });
    match client
        .send(Method::POST, url, Some(&body), Repeat::Safe)
        .await?
    {
        Reply::Done(_) => Ok(()),
        Reply::Refused(refusal) => Err(refusal.into_port()),
        Reply::NotFound => Err(refused(format!(
            "Lago knows no customer `{}` or plan `{}`",
            change.external_customer_id, change.plan_engine_code
        ))),
    }
}

/// Whether the change is already what Lago holds (a retry); an error when Lago would carry it
/// out otherwise than asked.
async fn already_applied(
    client: &LagoClient,
    change: &SubscriptionSync,
) -> Result<bool, PortError> {
    let url = client.url(&["subscriptions", &change.external_id], &[])?;
    let Some(current) = client.get::<SubscriptionAnswer>(url).await? else {
        return Err(refused(format!(
            "Lago has no active subscription `{}` to change",
            change.external_id
        )));
    };
    let current = current.subscription;
    let target = change.plan_engine_code.as_str();
    let upgrade = change.kind == SubscriptionChangeKind::Upgrade;
    if current.plan_code == target
        || (!upgrade && current.next_plan_code.as_deref() == Some(target))
    {
        return Ok(true);
    }
    let (from, to) = (
        plan(client, &current.plan_code).await?,
        plan(client, target).await?,
    );
    let at_once = match (from.yearly_amount_cents(), to.yearly_amount_cents()) {
        (Some(from), Some(to)) => from <= to,
        _ => {
            return Err(refused(
                "the plans' base fees are too large to compare".into(),
            ));
        }
    };
    if at_once != upgrade {
        let (asked, lago) = if upgrade {
            (
                "at once",
                "at the end of the period, as its yearly base fee is lower",
            )
        } else {
            (
                "at the end of the period",
                "at once, as its yearly base fee is not lower",
            )
        };
        return Err(refused(format!(
            "moving `{}` from `{}` to `{target}` was asked {asked}, but Lago would apply it {lago}",
            change.external_id, current.plan_code
        )));
    }
    Ok(false)
}

async fn plan(client: &LagoClient, code: &str) -> Result<Plan, PortError> {
    let url = client.url(&["plans", code], &[])?;
    client
        .get::<PlanAnswer>(url)
        .await?
        .map(|answer| answer.plan)
        .ok_or_else(|| refused(format!("Lago has no plan `{code}`")))
}

/// Ends the subscription: the active one, else a pending one; one already ended is done.
pub(super) async fn terminate(client: &LagoClient, external_id: &str) -> Result<(), PortError> {
    let path = ["subscriptions", external_id];
    for status in [None, Some("pending")] {
        let query: Vec<(&str, String)> = status
            .map(|s| ("status", s.to_owned()))
            .into_iter()
            .collect();
        let url = client.url(&path, &query)?;
        match client.send(Method::DELETE, url, None, Repeat::Safe).await? {
            Reply::Done(_) => return Ok(()),
            Reply::NotFound => {}
            Reply::Refused(refusal) => return Err(refusal.into_port()),
        }
    }
    for status in ["terminated", "canceled"] {
        let url = client.url(&path, &[("status", status.to_owned())])?;
        if client.get::<serde_json::Value>(url).await?.is_some() {
            return Ok(());
        }
    }
    Err(refused(format!("Lago has no subscription `{external_id}`")))
}
