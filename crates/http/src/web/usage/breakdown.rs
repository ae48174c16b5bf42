//! One meter of a usage answer as the page draws it: a bar per window (every window of the
//! range, empty ones as zero), stacked by group, the largest groups named and the rest summed
//! as "other", and every group's total beside it.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use rust_decimal::Decimal;
use tollgate_application::{
    ports::{GroupBy, Window},
    services::metering::UsageAnswer,
};

use super::{
    super::{
        i18n::{Catalog, key},
        when,
    },
    view::View,
};
use crate::charts::{Series, format_decimal};

/// Groups drawn on their own; the others are summed as one. Eight colours in the palette:
/// seven groups and "other" never share one.
const NAMED_GROUPS: usize = 7;
/// How many hex digits of a key's hash tell it apart beside its alias (as the API does).
const KEY_HASH_PREFIX_LEN: usize = 8;

/// A group's share of the whole.
pub struct GroupTotal {
    pub label: String,
    pub total: String,
    /// Percent with one decimal, or empty when the whole is zero.
    pub share: String,
}

pub struct Breakdown {
    /// A short label per window, for the chart's axis.
    pub categories: Vec<String>,
    /// The full label per window (date, and hour for hourly windows), for the table.
    pub windows: Vec<String>,
    /// The named groups, then "other" when there are more (the chart's series).
    pub series: Vec<Series>,
    /// Every group, largest first.
    pub groups: Vec<GroupTotal>,
    pub total: Decimal,
}

/// The start of every window of `view`'s range, aligned in its zone as the meters align them.
pub fn window_starts(view: &View) -> Vec<DateTime<Utc>> {
    let local = view.from.with_timezone(&view.tz).naive_local();
    let mut starts = Vec::new();
    match view.window {
        Window::Day => {
            let mut day = local.date();
            loop {
                let start = when::start_of_day(view.tz, day);
                if start >= view.to {
                    break;
                }
                starts.push(start);
                day += TimeDelta::days(1);
            }
        }
        Window::Hour | Window::Minute => {
            let step = if view.window == Window::Hour {
                TimeDelta::hours(1)
            } else {
                TimeDelta::minutes(1)
            };
            let truncated = local
                .with_second(0)
                .and_then(|at| at.with_nanosecond(0))
                .and_then(|at| {
                    if view.window == Window::Hour {
                        at.with_minute(0)
                    } else {
                        Some(at)
                    }
                })
                .unwrap_or(local);
            let mut start = when::local(view.tz, truncated);
            while start < view.to {
                starts.push(start);
                start += step;
            }
        }
    }
    starts
}

/// A group as people know it: the key's alias (with the start of its hash, aliases need not
/// be unique), a status's word, "(none)" for calls without the attribute.
pub fn group_label(
    t: &Catalog,
    group_by: Option<GroupBy>,
    group: Option<&str>,
    aliases: &BTreeMap<String, String>,
) -> String {
    let Some(group) = group.filter(|g| !g.is_empty()) else {
        return if group_by.is_some() {
            t.tr("usage-group-empty")
        } else {
            String::new()
        };
    };
    match group_by {
        Some(GroupBy::Key) => {
            let prefix: String = group.chars().take(KEY_HASH_PREFIX_LEN).collect();
            match aliases.get(group) {
                Some(alias) => format!("{alias} ({prefix})"),
                None => t.tr_with("usage-key-unnamed", &prefix),
            }
        }
        Some(GroupBy::Status) => status_label(t, group),
        _ => group.to_owned(),
    }
}

/// `success` and `failure` in words; anything else as sent.
pub fn status_label(t: &Catalog, status: &str) -> String {
    match status {
        "success" => t.tr("status-success"),
        "failure" => t.tr("status-failure"),
        other => other.to_owned(),
    }
}

fn window_labels(view: &View, starts: &[DateTime<Utc>]) -> (Vec<String>, Vec<String>) {
    let one_day = starts
        .first()
        .zip(starts.last())
        .is_some_and(|(first, last)| {
            first.with_timezone(&view.tz).date_naive() == last.with_timezone(&view.tz).date_naive()
        });
    let (short, long) = match (view.window, one_day) {
        (Window::Day, _) => ("%b %-d", "%Y-%m-%d"),
        (_, true) => ("%H:%M", "%Y-%m-%d %H:%M"),
        (_, false) => ("%b %-d %Hh", "%Y-%m-%d %H:%M"),
    };
    let format = |pattern: &str| -> Vec<String> {
        starts
            .iter()
            .map(|start| start.with_timezone(&view.tz).format(pattern).to_string())
            .collect()
    };
    (format(short), format(long))
}

/// `view.meter` of `answer`, drawn by window and group.
pub fn breakdown(t: &Catalog, view: &View, answer: &UsageAnswer) -> Breakdown {
    let starts = window_starts(view);
    let (categories, windows) = window_labels(view, &starts);
    // Group → its value per window.
    let mut by_group: BTreeMap<Option<&str>, Vec<Decimal>> = BTreeMap::new();
    for series in answer.series.iter().filter(|s| s.meter == view.meter) {
        let values = by_group
            .entry(series.group.as_deref())
            .or_insert_with(|| vec![Decimal::ZERO; starts.len()]);
        for point in &series.points {
            // The window the point falls in (the meters' windows start on these times).
            let index = starts.partition_point(|start| *start <= point.window_start);
            if let Some(slot) = index.checked_sub(1).and_then(|i| values.get_mut(i)) {
                *slot += point.value;
            }
        }
    }
    let mut ranked: Vec<(String, Vec<Decimal>, Decimal)> = by_group
        .into_iter()
        .map(|(group, values)| {
            let total: Decimal = values.iter().sum();
            let label = group_label(t, view.group_by, group, &answer.key_aliases);
            (label, values, total)
        })
        .filter(|(_, _, total)| !total.is_zero() || view.group_by.is_none())
        .collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let total: Decimal = ranked.iter().map(|(_, _, total)| *total).sum();
    let groups = ranked
        .iter()
        .map(|(label, _, group_total)| GroupTotal {
            label: label.clone(),
            total: format_decimal(&group_total.normalize()),
            share: if total.is_zero() {
                String::new()
            } else {
                format!(
                    "{}%",
                    (*group_total * Decimal::ONE_HUNDRED / total).round_dp(1)
                )
            },
        })
        .collect();
    let mut series: Vec<Series> = Vec::new();
    let mut other = vec![Decimal::ZERO; starts.len()];
    let mut others = 0_i64;
    for (position, (label, values, _)) in ranked.into_iter().enumerate() {
        if position < NAMED_GROUPS {
            let values = values.into_iter().map(|v| v.normalize()).collect();
            series.push(Series::new(label, values));
        } else {
            others += 1;
            for (slot, value) in other.iter_mut().zip(values) {
                *slot += value;
            }
        }
    }
    if others > 0 {
        let values = other.into_iter().map(|v| v.normalize()).collect();
        series.push(Series::new(t.tr_count("usage-group-other", others), values));
    }
    Breakdown {
        categories,
        windows,
        series,
        groups,
        total: total.normalize(),
    }
}

/// The label key of the meter's unit in the table's header.
pub fn window_header(window: Window) -> &'static str {
    match window {
        Window::Day => key("usage-table-day"),
        Window::Hour | Window::Minute => key("usage-table-hour"),
    }
}

#[cfg(test)]
mod tests;
