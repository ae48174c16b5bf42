//! `/settings/delivery`: what waits in the organization's outbox per target (OpenMeter,
//! Lago, outbound webhooks...), and its dead letters sent back for another try, through the
//! same `OutboxAdmin` port as `/api/admin/outbox`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use tollgate_application::{AppError, ports::AuditEntry};

use super::{Section, sections, see_other};
use crate::{
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

/// The outbox's rows of one target.
#[derive(Default)]
pub struct TargetRow {
    pub target: String,
    pub waiting: i64,
    pub oldest_waiting: String,
    pub dead: i64,
    pub oldest_dead: String,
}

#[derive(Template)]
#[template(path = "settings_delivery.html")]
struct DeliveryPage {
    layout: Layout,
    sections: Vec<Section>,
    targets: Vec<TargetRow>,
    dead_total: i64,
    retried: Option<String>,
}

/// An age for reading: the largest unit or two.
fn age(seconds: i64) -> String {
    let t = catalog();
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => t.tr_count("age-seconds", seconds),
        (0, 0, m) => t.tr_count("age-minutes", m),
        (0, h, m) => format!(
            "{} {}",
            t.tr_count("age-hours", h),
            t.tr_count("age-minutes", m)
        ),
        (d, h, _) => format!(
            "{} {}",
            t.tr_count("age-days", d),
            t.tr_count("age-hours", h)
        ),
    }
}

#[derive(Deserialize)]
pub struct DeliveryQuery {
    retried: Option<i64>,
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, WebError> {
    let rows = timing
        .measure(
            "outbox",
            state
                .outbox
                .depth(Some(visitor.caller.principal.organization)),
        )
        .await
        .map_err(AppError::from)?;
    let mut targets: BTreeMap<String, TargetRow> = BTreeMap::new();
    for row in rows {
        let target = targets
            .entry(row.target.clone())
            .or_insert_with(|| TargetRow {
                target: row.target.clone(),
                ..TargetRow::default()
            });
        if row.state == "dead" {
            target.dead += row.count;
            target.oldest_dead = age(row.oldest_age_secs);
        } else {
            // Pending, or being delivered now: both still on their way.
            target.waiting += row.count;
            target.oldest_waiting = age(row.oldest_age_secs);
        }
    }
    let targets: Vec<TargetRow> = targets.into_values().collect();
    let page = DeliveryPage {
        layout: Layout::page(&visitor, &request, key("delivery-title"), &timing),
        sections: sections("/settings/delivery"),
        dead_total: targets.iter().map(|t| t.dead).sum(),
        targets,
        retried: query
            .retried
            .map(|count| catalog().tr_count("delivery-retried", count)),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    /// One target's dead letters, or every target's when absent.
    target: Option<String>,
}

/// `POST /settings/delivery/retry`: dead letters back to pending, due now (audited).
pub async fn retry(
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let target = form.target.clone().filter(|t| !t.is_empty());
    let audit = AuditEntry::success(
        &visitor.caller.audit,
        "outbox.retry_dead",
        Some(format!("outbox:{}", target.as_deref().unwrap_or("*"))),
    );
    let revived = timing
        .measure(
            "outbox",
            state
                .outbox
                .retry_dead(visitor.caller.principal.organization, target, &audit),
        )
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!(
        "/settings/delivery?retried={}",
        i64::try_from(revived).unwrap_or(i64::MAX)
    )))
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_read_in_their_largest_units() {
        assert_eq!(age(42), "42 s");
        assert_eq!(age(125), "2 min");
        assert_eq!(age(3 * 3600 + 60), "3 h 1 min");
        assert_eq!(age(2 * 86_400 + 5 * 3600), "2 d 5 h");
    }
}
