//! `/settings/delivery`: what waits in the organization's outbox per target (OpenMeter,
//! Lago, outbound webhooks...), each target's newest dead letters with the reason they were
//! given up, and dead letters sent back for another try (all, a target's, or one), through the
//! same `OutboxAdmin` port as `/api/admin/outbox`.

use std::collections::BTreeMap;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, StatusCode},
    web,
};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::{
    AppError,
    ports::{AuditEntry, DeadLetter},
};

use super::{Moment, Section, moment, sections, see_other};
use crate::{
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

/// Dead letters listed per target; the rest are counted (the API pages through them all).
const LETTERS_PER_TARGET: i64 = 20;

/// The outbox's rows of one target.
#[derive(Default)]
pub struct TargetRow {
    pub target: String,
    pub waiting: i64,
    pub oldest_waiting: String,
    pub dead: i64,
    pub oldest_dead: String,
    /// The newest dead letters, at most [`LETTERS_PER_TARGET`].
    pub letters: Vec<LetterRow>,
    /// Dead letters not listed.
    pub more: i64,
}

/// One dead letter as shown: ids, attempts, the reason kept, when it died.
pub struct LetterRow {
    pub id: i64,
    pub event_id: i64,
    pub attempts: i32,
    pub error: String,
    pub died: Option<Moment>,
    /// The retry button's accessible name (which letter it retries).
    pub retry_label: String,
}

impl From<DeadLetter> for LetterRow {
    fn from(letter: DeadLetter) -> Self {
        Self {
            id: letter.outbox_id,
            event_id: letter.event_id,
            attempts: letter.attempts,
            error: letter.last_error.unwrap_or_default(),
            died: letter.died_at.map(|at| moment(at, Tz::UTC)),
            retry_label: catalog()
                .tr_with("delivery-retry-letter-label", &letter.outbox_id.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "settings_delivery.html")]
struct DeliveryPage {
    layout: Layout,
    sections: Vec<Section>,
    targets: Vec<TargetRow>,
    dead_total: i64,
    retried: Option<String>,
    /// Retrying needs `settings:write`, which a session narrowed to reading lacks: the
    /// buttons it would be refused are not shown to it.
    can_retry: bool,
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
    let mut targets: Vec<TargetRow> = targets.into_values().collect();
    // One bounded read per target with dead letters: a handful of targets at most.
    for target in targets.iter_mut().filter(|t| t.dead > 0) {
        let letters = timing
            .measure(
                "dead_letters",
                state.outbox.dead_letters(
                    visitor.caller.principal.organization,
                    Some(target.target.clone()),
                    None,
                    LETTERS_PER_TARGET,
                ),
            )
            .await
            .map_err(AppError::from)?;
        target.more = (target.dead - i64::try_from(letters.len()).unwrap_or(i64::MAX)).max(0);
        target.letters = letters.into_iter().map(LetterRow::from).collect();
    }
    let page = DeliveryPage {
        layout: Layout::page(&visitor, &request, key("delivery-title"), &timing),
        sections: sections("/settings/delivery"),
        dead_total: targets.iter().map(|t| t.dead).sum(),
        can_retry: visitor.may(&Method::POST, "/settings/delivery/retry"),
        targets,
        retried: query.retried.map(|count| match count {
            0 => catalog().tr("delivery-retried-none"),
            count => catalog().tr_count("delivery-retried", count),
        }),
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

#[derive(Deserialize)]
pub struct RetryOneForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/delivery/dead-letters/{id}/retry`: one dead letter back to pending, due
/// now (audited as the API's); one already sent back counts zero.
pub async fn retry_one(
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<RetryOneForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    // Not a number: nothing of the organization's, as a letter already sent back.
    let Ok(id) = id.parse::<i64>() else {
        return Ok(see_other("/settings/delivery?retried=0"));
    };
    let audit = crate::routes::api::outbox::retry_one_audit(&visitor.caller, id);
    let revived = timing
        .measure(
            "outbox",
            state
                .outbox
                .retry_dead_letter(visitor.caller.principal.organization, id, &audit),
        )
        .await
        .map_err(AppError::from)?;
    Ok(see_other(&format!(
        "/settings/delivery?retried={}",
        i64::from(revived)
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
