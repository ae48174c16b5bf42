//! What `/usage` shows, read from its query: a meter, a period (or custom dates), a
//! granularity, a grouping, a customer and a time zone. A value that cannot be used falls
//! back to its default and leaves the field's message, and the page answers 400 showing both.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::{GroupBy, UsageQuery, Window};
use tollgate_domain::metering::Meter;

use super::super::{i18n::key, when};

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

/// The periods offered, as the dashboard's: value, label key.
pub const PERIODS: &[(&str, &str)] = &[
    ("today", key("period-today")),
    ("7d", key("period-7d")),
    ("30d", key("period-30d")),
    ("mtd", key("period-mtd")),
    ("last_month", key("usage-period-last-month")),
    ("custom", key("usage-period-custom")),
];

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
/// Daily bars over more than a year, likewise; longer spans belong in the export.
const MOST_DAYS: TimeDelta = TimeDelta::days(366);

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
    pub period: &'static str,
    /// The custom period's first and last day (inclusive), as typed dates.
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
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

/// The range a named period covers in `tz` at `now`: whole days, so day bars are whole.
fn period_range(period: &str, now: DateTime<Utc>, tz: Tz) -> Option<(NaiveDate, NaiveDate)> {
    let today = now.with_timezone(&tz).date_naive();
    let first_of_month = today.with_day(1)?;
    Some(match period {
        "today" => (today, today),
        "7d" => (today - TimeDelta::days(6), today),
        "30d" => (today - TimeDelta::days(29), today),
        "mtd" => (first_of_month, today),
        "last_month" => (
            first_of_month.checked_sub_months(Months::new(1))?,
            first_of_month.pred_opt()?,
        ),
        _ => return None,
    })
}

impl View {
    /// The view `form` asks for at `now`, and a message for each field that could not be
    /// used (that field then has its default).
    pub fn read(form: &UsageForm, now: DateTime<Utc>) -> (Self, Vec<FieldError>) {
        let mut errors = Vec::new();
        let tz = when::zone(form.tz.as_deref()).unwrap_or_else(|()| {
            errors.push(("tz", key("usage-error-tz")));
            Tz::UTC
        });
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
        let asked = blank_to_none(form.period.as_ref()).unwrap_or("mtd");
        let (period, (from_day, to_day)) = match PERIODS.iter().find(|(p, _)| *p == asked) {
            Some((period, _)) if *period == "custom" => match custom(form, tz) {
                Ok(days) => (*period, days),
                Err(error) => {
                    errors.push(error);
                    fallback(now, tz)
                }
            },
            Some((period, _)) => match period_range(period, now, tz) {
                Some(days) => (*period, days),
                None => fallback(now, tz),
            },
            None => {
                errors.push(("period", key("usage-error-period")));
                fallback(now, tz)
            }
        };
        let from = when::start_of_day(tz, from_day);
        let end_of_range = when::start_of_day(tz, to_day + TimeDelta::days(1));
        // Periods that include today end now: nothing after it has happened.
        let to = end_of_range.min(now).max(from + TimeDelta::seconds(1));
        let automatic = if end_of_range - from <= TimeDelta::days(2) {
            Window::Hour
        } else {
            Window::Day
        };
        let window = match blank_to_none(form.window.as_ref()) {
            None => automatic,
            Some("hour") if end_of_range - from > MOST_HOURS => {
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
            period,
            from_day,
            to_day,
            from,
            to,
            window,
            group_by,
            customer,
            tz,
        };
        (view, errors)
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
        pairs.append_pair("period", self.period);
        if self.period == "custom" {
            pairs.append_pair("from", &self.from_day.to_string());
            pairs.append_pair("to", &self.to_day.to_string());
        }
        pairs.append_pair("window", window_value(self.window));
        if let Some(group) = self.group_by {
            pairs.append_pair("group_by", group.as_str());
        }
        if let Some(customer) = &self.customer {
            pairs.append_pair("customer", customer);
        }
        if self.tz != Tz::UTC {
            pairs.append_pair("tz", self.tz.name());
        }
        pairs.finish()
    }
}

fn fallback(now: DateTime<Utc>, tz: Tz) -> (&'static str, (NaiveDate, NaiveDate)) {
    let today = now.with_timezone(&tz).date_naive();
    ("mtd", (today.with_day(1).unwrap_or(today), today))
}

/// The custom period's days: both dates, the first not after the last, at most a year.
fn custom(form: &UsageForm, tz: Tz) -> Result<(NaiveDate, NaiveDate), FieldError> {
    let day = |text: Option<&String>, field| {
        let text = blank_to_none(text).ok_or((field, key("usage-error-date-missing")))?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| (field, key("usage-error-date")))
    };
    let from = day(form.from.as_ref(), "from")?;
    let to = day(form.to.as_ref(), "to")?;
    if to < from {
        return Err(("to", key("usage-error-date-order")));
    }
    if when::start_of_day(tz, to) - when::start_of_day(tz, from) >= MOST_DAYS {
        return Err(("to", key("usage-error-date-span")));
    }
    Ok((from, to))
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
        serde_urlencoded_form(&query)
    }

    fn serde_urlencoded_form(query: &str) -> UsageForm {
        actix_web::web::Query::<UsageForm>::from_query(query)
            .map(actix_web::web::Query::into_inner)
            .unwrap_or_default()
    }

    #[test]
    fn the_defaults_are_the_month_so_far_in_days_of_cost() {
        let (view, errors) = View::read(&UsageForm::default(), now());
        assert!(errors.is_empty());
        assert_eq!(view.meter, Meter::CostUsd);
        assert_eq!(view.period, "mtd");
        assert_eq!(view.window, Window::Day);
        assert_eq!(
            view.from,
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(view.to, now());
        assert_eq!(view.query_string(), "meter=cost_usd&period=mtd&window=day");
    }

    #[test]
    fn periods_are_whole_days_in_the_zone_and_today_is_hourly() {
        let (view, errors) = View::read(&form(&[("period", "7d"), ("tz", "Asia/Tokyo")]), now());
        assert!(errors.is_empty());
        // 15:30 UTC is 00:30 on the 7th in Tokyo: the week is the 1st to the 7th there.
        assert_eq!(
            view.from,
            Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap()
        );
        assert_eq!(view.query().time_zone, "Asia/Tokyo");
        let (today, _) = View::read(&form(&[("period", "today")]), now());
        assert_eq!(today.window, Window::Hour);
        let (last, _) = View::read(&form(&[("period", "last_month")]), now());
        assert_eq!(
            last.from,
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(last.to, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
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
            vec![("to", "usage-error-date-order")]
        );
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
            vec![("from", "usage-error-date")]
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
                ("tz", "usage-error-tz"),
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
