//! What `/usage` shows, read from its query: a meter, the dashboard's period (or custom
//! dates) in the `tz` zone, a granularity, a grouping and a customer. A value that cannot be
//! used falls back to its default and leaves the field's message, and the page answers 400
//! showing both.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::{GroupBy, UsageQuery, Window};
use tollgate_domain::metering::Meter;

use super::super::{
    dashboard::period::{self, Period, PeriodQuery},
    i18n::key,
};

/// The meters offered, in the menu's order: value, label key.
pub const METERS: &[(Meter, &str)] = &[
    (Meter::CostUsd, key("meter-cost_usd")),
    (Meter::Requests, key("meter-requests")),
    (Meter::InputTokens, key("meter-input_tokens")),
    (Meter::OutputTokens, key("meter-output_tokens")),
    (Meter::CachedTokens, key("meter-cached_tokens")),
    (Meter::ReasoningTokens, key("meter-reasoning_tokens")),
    (Meter::CacheHits, key("meter-cache_hits")),
];

/// The periods offered: the dashboard's, so a period means the same span on both pages, and
/// custom dates.
pub fn periods() -> impl Iterator<Item = (&'static str, &'static str)> {
    period::PERIODS
        .iter()
        .copied()
        .chain([("custom", key("period-custom"))])
}

/// The groupings offered: value (empty for none), label key.
pub const GROUPINGS: &[(&str, &str)] = &[
    ("", key("usage-group-none")),
    ("model", key("usage-group-model")),
    ("customer", key("usage-group-customer")),
    ("key", key("usage-group-key")),
    ("team", key("usage-group-team")),
    ("provider", key("usage-group-provider")),
    ("status", key("usage-group-status")),
];

/// The granularities offered: value, label key.
pub const WINDOWS: &[(&str, &str)] = &[
    ("hour", key("usage-window-hour")),
    ("day", key("usage-window-day")),
];

/// Hourly bars over more than a week are too thin to read (and the table too long).
const MOST_HOURS: TimeDelta = TimeDelta::days(7);
/// Daily bars over more than a year, likewise; longer spans belong in the API's export.
const MOST_DAYS: TimeDelta = TimeDelta::days(367);

/// The query as sent: every field text, so that nothing a person typed makes the page fail
/// before it can say what is wrong with it.
#[derive(Debug, Default, Deserialize)]
pub struct UsageForm {
    pub meter: Option<String>,
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub window: Option<String>,
    pub group_by: Option<String>,
    pub customer: Option<String>,
    pub tz: Option<String>,
}

/// A field's message: (field name, catalog key).
pub type FieldError = (&'static str, &'static str);

/// What the page shows, every value usable.
#[derive(Debug, Clone)]
pub struct View {
    pub meter: Meter,
    /// The span, its zone, and the custom dates as typed.
    pub period: Period,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub window: Window,
    pub group_by: Option<GroupBy>,
    pub customer: Option<String>,
    pub tz: Tz,
}

fn blank_to_none(text: Option<&String>) -> Option<&str> {
    text.map(|t| t.trim()).filter(|t| !t.is_empty())
}

fn group_by(text: &str) -> Option<Option<GroupBy>> {
    Some(Some(match text {
        "" => return Some(None),
        "model" => GroupBy::Model,
        "customer" => GroupBy::Customer,
        "key" => GroupBy::Key,
        "team" => GroupBy::Team,
        "provider" => GroupBy::Provider,
        "status" => GroupBy::Status,
        _ => return None,
    }))
}

pub fn window_value(window: Window) -> &'static str {
    match window {
        Window::Minute => "minute",
        Window::Hour => "hour",
        Window::Day => "day",
    }
}

impl View {
    /// The view `form` asks for at `now`, and a message for each field that could not be
    /// used (that field then has its default).
    pub fn read(form: &UsageForm, now: DateTime<Utc>) -> (Self, Vec<FieldError>) {
        let (mut period, refused) = period::parse(
            &PeriodQuery {
                period: blank_to_none(form.period.as_ref()).map(str::to_owned),
                from: form.from.clone(),
                to: form.to.clone(),
                tz: form.tz.clone(),
            },
            now,
        );
        let mut errors: Vec<FieldError> = refused
            .into_iter()
            .map(|error| (error.field, error.message))
            .collect();
        if period.to - period.from > MOST_DAYS {
            errors.push(("to", key("usage-error-date-span")));
            let (month, _) = period::parse(
                &PeriodQuery {
                    tz: form.tz.clone(),
                    ..PeriodQuery::default()
                },
                now,
            );
            period = Period {
                custom_from: period.custom_from,
                custom_to: period.custom_to,
                ..month
            };
        }
        let meter = match blank_to_none(form.meter.as_ref()) {
            None => Meter::CostUsd,
            Some(slug) => Meter::parse(slug).unwrap_or_else(|| {
                errors.push(("meter", key("usage-error-meter")));
                Meter::CostUsd
            }),
        };
        let group_by = group_by(blank_to_none(form.group_by.as_ref()).unwrap_or(""))
            .unwrap_or_else(|| {
                errors.push(("group_by", key("usage-error-group-by")));
                None
            });
        let customer = blank_to_none(form.customer.as_ref()).map(str::to_owned);
        let span = period.to - period.from;
        let automatic = if span <= TimeDelta::days(2) {
            Window::Hour
        } else {
            Window::Day
        };
        let window = match blank_to_none(form.window.as_ref()) {
            None => automatic,
            Some("hour") if span > MOST_HOURS => {
                errors.push(("window", key("usage-error-window-hours")));
                Window::Day
            }
            Some("hour") => Window::Hour,
            Some("day") => Window::Day,
            Some(_) => {
                errors.push(("window", key("usage-error-window")));
                automatic
            }
        };
        let view = Self {
            meter,
            from: period.from,
            // An empty span (a period starting now) still asks for something valid.
            to: period.to.max(period.from + TimeDelta::seconds(1)),
            tz: period.tz,
            period,
            window,
            group_by,
            customer,
        };
        (view, errors)
    }

    /// The first and last day the view covers, in its zone (the custom fields' values when
    /// they were not typed, and the download's name).
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        let days = self.period.days();
        let today = self.to.with_timezone(&self.tz).date_naive();
        (
            days.first().copied().unwrap_or(today),
            days.last().copied().unwrap_or(today),
        )
    }

    /// The metering service's query for this view.
    pub fn query(&self) -> UsageQuery {
        UsageQuery {
            from: self.from,
            to: self.to,
            window: self.window,
            time_zone: self.tz.name().to_owned(),
            group_by: self.group_by,
            customer: self.customer.clone(),
        }
    }

    /// The query string that opens this view again (every value as understood), for links.
    pub fn query_string(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("meter", self.meter.slug());
        let period = self.period.query(&self.period.value);
        let mut pairs =
            url::form_urlencoded::Serializer::new(format!("{}&{period}", pairs.finish()));
        pairs.append_pair("window", window_value(self.window));
        if let Some(group) = self.group_by {
            pairs.append_pair("group_by", group.as_str());
        }
        if let Some(customer) = &self.customer {
            pairs.append_pair("customer", customer);
        }
        pairs.finish()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 15, 30, 0)
            .single()
            .unwrap_or_default()
    }

    fn form(pairs: &[(&str, &str)]) -> UsageForm {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        actix_web::web::Query::<UsageForm>::from_query(&query)
            .map(actix_web::web::Query::into_inner)
            .unwrap_or_default()
    }

    #[test]
    fn the_defaults_are_the_month_so_far_in_days_of_cost() {
        let (view, errors) = View::read(&UsageForm::default(), now());
        assert!(errors.is_empty());
        assert_eq!(view.meter, Meter::CostUsd);
        assert_eq!(view.period.value, "mtd");
        assert_eq!(view.window, Window::Day);
        assert_eq!(
            view.from,
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(view.to, now());
        assert_eq!(view.query_string(), "meter=cost_usd&period=mtd&window=day");
    }

    #[test]
    fn periods_are_the_dashboards_in_the_zone_and_today_is_hourly() {
        let (view, errors) = View::read(&form(&[("period", "7d"), ("tz", "Asia/Tokyo")]), now());
        assert!(errors.is_empty());
        assert_eq!(view.from, now() - TimeDelta::days(7));
        assert_eq!(view.query().time_zone, "Asia/Tokyo");
        assert_eq!(
            view.query_string(),
            "meter=cost_usd&period=7d&tz=Asia%2FTokyo&window=day"
        );
        let (today, _) = View::read(&form(&[("period", "today")]), now());
        assert_eq!(today.window, Window::Hour);
        let (last, _) = View::read(&form(&[("period", "last-month")]), now());
        assert_eq!(
            last.from,
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(last.to, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(
            last.days(),
            (
                NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
            )
        );
    }

    #[test]
    fn a_custom_period_takes_both_days_and_refuses_a_reversed_or_long_one() {
        let (view, errors) = View::read(
            &form(&[
                ("period", "custom"),
                ("from", "2026-11-02"),
                ("to", "2026-11-03"),
                ("group_by", "model"),
            ]),
            now(),
        );
        assert!(errors.is_empty());
        assert_eq!(view.to, Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).unwrap());
        assert_eq!(view.window, Window::Hour);
        assert_eq!(
            view.query_string(),
            "meter=cost_usd&period=custom&from=2026-11-02&to=2026-11-03&window=hour&group_by=model"
        );
        let refused = |pairs: &[(&str, &str)]| View::read(&form(pairs), now()).1;
        assert_eq!(
            refused(&[
                ("period", "custom"),
                ("from", "2026-11-05"),
                ("to", "2026-11-03")
            ]),
            vec![("to", "period-to-before-from")]
        );
        // Longer than a year: the dashboard takes it, the chart's daily bars cannot.
        assert_eq!(
            refused(&[
                ("period", "custom"),
                ("from", "2024-01-01"),
                ("to", "2026-11-03")
            ]),
            vec![("to", "usage-error-date-span")]
        );
        assert_eq!(
            refused(&[("period", "custom"), ("from", "soon"), ("to", "2026-11-03")]),
            vec![("from", "period-date-invalid")]
        );
    }

    #[test]
    fn each_unusable_field_has_its_message_and_its_default() {
        let (view, errors) = View::read(
            &form(&[
                ("meter", "watts"),
                ("group_by", "planet"),
                ("tz", "Mars/Olympus"),
                ("period", "30d"),
                ("window", "hour"),
            ]),
            now(),
        );
        assert_eq!(
            errors,
            vec![
                ("tz", "period-tz-invalid"),
                ("meter", "usage-error-meter"),
                ("group_by", "usage-error-group-by"),
                ("window", "usage-error-window-hours"),
            ]
        );
        assert_eq!(view.meter, Meter::CostUsd);
        assert_eq!(view.group_by, None);
        assert_eq!(view.tz, Tz::UTC);
        assert_eq!(view.window, Window::Day);
    }
}
