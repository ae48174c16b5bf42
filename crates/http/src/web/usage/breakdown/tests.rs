use std::{collections::BTreeMap, str::FromStr};

use chrono::TimeZone;
use tollgate_application::{
    ports::{UsagePoint, UsageSeries},
    services::metering::UsageSource,
};
use tollgate_domain::metering::Meter;

use super::*;
use crate::web::{
    i18n::catalog,
    usage::view::{UsageForm, View},
};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

fn view(pairs: &[(&str, &str)]) -> View {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let form = actix_web::web::Query::<UsageForm>::from_query(&query)
        .map(actix_web::web::Query::into_inner)
        .unwrap_or_default();
    let (view, errors) = View::read(&form, at(6, 15));
    assert!(errors.is_empty(), "{errors:?}");
    view
}

fn series(meter: Meter, group: Option<&str>, points: &[(DateTime<Utc>, &str)]) -> UsageSeries {
    UsageSeries {
        meter,
        group: group.map(str::to_owned),
        points: points
            .iter()
            .map(|(window_start, value)| UsagePoint {
                window_start: *window_start,
                value: Decimal::from_str(value).unwrap_or_default(),
            })
            .collect(),
    }
}

fn answer(series: Vec<UsageSeries>) -> UsageAnswer {
    UsageAnswer {
        series,
        source: UsageSource::Embedded,
        key_aliases: BTreeMap::new(),
    }
}

#[test]
fn every_window_of_the_range_has_a_bar_and_empty_windows_are_zero() {
    let view = view(&[("period", "7d")]);
    let answer = answer(vec![
        series(
            Meter::CostUsd,
            None,
            &[(at(2, 0), "1.50"), (at(6, 0), "0.25")],
        ),
        series(Meter::Requests, None, &[(at(2, 0), "9")]),
    ]);
    let drawn = breakdown(catalog(), &view, &answer);
    // The last 7 days as the dashboard counts them: from this hour a week ago, so the first
    // day is partial.
    assert_eq!(drawn.categories.len(), 8);
    assert_eq!(drawn.categories.first().map(String::as_str), Some("Nov 29"));
    assert_eq!(drawn.windows.last().map(String::as_str), Some("2026-12-06"));
    assert_eq!(drawn.series.len(), 1);
    let values: Vec<String> = drawn
        .series
        .iter()
        .flat_map(|s| s.values.iter().map(ToString::to_string))
        .collect();
    assert_eq!(values, ["0", "0", "0", "1.5", "0", "0", "0", "0.25"]);
    assert_eq!(drawn.total.to_string(), "1.75");
}

#[test]
fn the_largest_groups_are_named_and_the_rest_summed_as_other() {
    let view = view(&[("period", "today"), ("group_by", "model")]);
    let mut all = Vec::new();
    for (rank, model) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .enumerate()
    {
        let value = (20 - rank).to_string();
        all.push(series(Meter::Requests, Some(model), &[(at(6, 3), &value)]));
    }
    all.push(series(Meter::Requests, Some("idle"), &[(at(6, 3), "0")]));
    let view = View {
        meter: Meter::Requests,
        ..view
    };
    let drawn = breakdown(catalog(), &view, &answer(all));
    // Today until 15:00: fifteen hours, labelled by the hour alone.
    assert_eq!(drawn.categories.len(), 15);
    assert_eq!(drawn.categories.get(3).map(String::as_str), Some("03:00"));
    let names: Vec<&str> = drawn.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e", "f", "g", "Other (2 more)"]);
    assert_eq!(
        drawn
            .series
            .last()
            .and_then(|s| s.values.get(3))
            .map(ToString::to_string),
        Some("25".to_owned())
    );
    // A group with nothing in the range is left out of the totals too.
    assert_eq!(drawn.groups.len(), 9);
    let first = drawn.groups.first();
    assert_eq!(first.map(|g| g.share.as_str()), Some("13.9%"));
    assert_eq!(drawn.total.to_string(), "144");
}

#[test]
fn groups_are_named_as_people_know_them() {
    let t = catalog();
    let mut aliases = BTreeMap::new();
    aliases.insert("abcdef0123456789".to_owned(), "prod-key".to_owned());
    let key = Some(GroupBy::Key);
    assert_eq!(
        group_label(t, key, Some("abcdef0123456789"), &aliases),
        "prod-key (abcdef01)"
    );
    assert_eq!(
        group_label(t, key, Some("99887766554433"), &aliases),
        "Key 99887766"
    );
    assert_eq!(group_label(t, key, Some(""), &aliases), "(none)");
    assert_eq!(
        group_label(t, Some(GroupBy::Status), Some("failure"), &aliases),
        "Failure"
    );
    assert_eq!(group_label(t, None, None, &aliases), "");
}

#[test]
fn hourly_windows_follow_the_zone() {
    // Kolkata is UTC+05:30: its hours start at half past in UTC.
    let view = view(&[("period", "today"), ("tz", "Asia/Kolkata")]);
    let starts = window_starts(&view);
    assert_eq!(
        starts.first(),
        Utc.with_ymd_and_hms(2026, 12, 5, 18, 30, 0)
            .single()
            .as_ref()
    );
    assert_eq!(starts.len(), 21);
}
