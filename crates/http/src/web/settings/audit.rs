//! `/settings/audit`: the organization's audit log, newest first, paged by sequence (keyset:
//! `?before=<sequence>`), with the state of its hash chain checked end to end on each visit
//! (as `tollgate audit verify` does).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

use super::{Moment, Section, ZoneQuery, moment, sections, zone, zone_suffix};
use crate::{
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

/// Records per page.
const PAGE: i64 = 50;

pub struct AuditRow {
    pub sequence: i64,
    pub occurred_at: Moment,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
    pub request_id: String,
    pub failed: bool,
}

/// The chain's state: intact (how many records) or where it breaks.
pub struct Chain {
    pub intact: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "settings_audit.html")]
struct AuditPage {
    layout: Layout,
    sections: Vec<Section>,
    chain: Chain,
    records: Vec<AuditRow>,
    /// Older records, when there are.
    older: Option<String>,
    /// Back to the newest, when this is not the first page.
    newest: Option<String>,
    tz_error: Option<String>,
    before_error: Option<String>,
    zone: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(flatten)]
    zone: ZoneQuery,
    /// Records before this sequence (the last page's oldest).
    before: Option<String>,
}

/// Where a page ends: the records it shows are those with a sequence below `before`, the
/// newest [`PAGE`] of them.
fn window(before: i64) -> (i64, i64) {
    let after = (before - 1 - PAGE).max(0);
    (after, (before - 1 - after).max(0))
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let organization = visitor.caller.principal.organization;
    let (zone, tz_error) = zone(query.zone.tz.as_deref());
    let (before, before_error) = match query.before.as_deref().map(str::parse::<i64>) {
        None => (None, None),
        Some(Ok(before)) if before > 0 => (Some(before), None),
        Some(_) => (None, Some(t.tr("audit-before-invalid"))),
    };
    let verified = timing
        .measure("audit-verify", state.audit_chain.verify(organization))
        .await?;
    let chain = match verified {
        Ok(count) => {
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            Chain {
                intact: true,
                message: t.tr_count("audit-chain-intact", count),
            }
        }
        Err(broken) => {
            tracing::error!(
                sequence = broken.sequence,
                reason = broken.reason,
                "the audit chain is broken"
            );
            let at = broken.sequence.to_string();
            Chain {
                intact: false,
                message: t.tr_with("audit-chain-broken", &at),
            }
        }
    };
    let last = timing
        .measure("audit", state.audit_chain.last_sequence(organization))
        .await?;
    let before = before.unwrap_or(last + 1).min(last + 1);
    let (after, limit) = window(before);
    let mut records = if limit > 0 {
        timing
            .measure("audit", state.audit.page(organization, after, limit))
            .await?
    } else {
        Vec::new()
    };
    // Gaps in a broken chain could bring records from this page's end: never show one twice.
    records.retain(|record| record.sequence < before);
    records.reverse();
    let suffix = zone_suffix(zone, '&');
    let older = records
        .last()
        .filter(|oldest| oldest.sequence > 1)
        .map(|oldest| format!("/settings/audit?before={}{suffix}", oldest.sequence));
    let newest = (before <= last).then(|| format!("/settings/audit{}", zone_suffix(zone, '?')));
    let records = records
        .into_iter()
        .map(|record| AuditRow {
            sequence: record.sequence,
            occurred_at: moment(record.occurred_at, zone),
            actor: record.actor,
            action: record.action,
            target: record.target.unwrap_or_default(),
            failed: record.result != "success",
            result: record.result,
            request_id: record.request_id.unwrap_or_default(),
        })
        .collect();
    let status = if tz_error.is_some() || before_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        layout: Layout::page(&visitor, &request, key("audit-title"), &timing),
        sections: sections("/settings/audit"),
        chain,
        records,
        older,
        newest,
        tz_error,
        before_error,
        zone: if zone == Tz::UTC {
            String::new()
        } else {
            zone.name().to_owned()
        },
    };
    render(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_newest_records_below_its_end() {
        assert_eq!(window(121), (70, 50));
        assert_eq!(window(30), (0, 29));
        assert_eq!(window(1), (0, 0));
    }
}
