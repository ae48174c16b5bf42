//! The dashboard's period: one of the offered ones or custom dates, in the visitor's time zone
//! (`tz`, default UTC), as the span `[from, to)` the figures cover. Bad fields name themselves
//! so the page can re-render with the field's message and a 400.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::web::i18n::key;

/// The periods offered: query value, label key. `custom` is the date form.
pub const PERIODS: &[(&str, &str)] = &[
    ("today", key("period-today")),
    ("7d", key("period-7d")),
    ("30d", key("period-30d")),
    ("mtd", key("period-mtd")),
    ("last-month", key("period-last-month")),
];

/// The longest custom span: what the API's analytics accept.
const MAX_DAYS: i64 = 3 * 366;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    pub period: Option<String>,
    /// Custom period: first day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// Custom period: last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// IANA time zone the days are counted in.
    pub tz: Option<String>,
}

/// A refused query field and the catalog key of what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The query value (`mtd`, `custom`...).
    pub value: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
    /// The custom form's values, as typed (kept on a refusal).
    pub custom_from: String,
    pub custom_to: String,
}

impl Period {
    /// The days the period touches, in its time zone, first to last.
    pub fn days(&self) -> Vec<NaiveDate> {
        let first = self.from.with_timezone(&self.tz).date_naive();
        let last = (self.to - TimeDelta::nanoseconds(1))
            .with_timezone(&self.tz)
            .date_naive();
        first
            .iter_days()
            .take_while(|day| *day <= last)
            .take(usize::try_from(MAX_DAYS + 1).unwrap_or(usize::MAX))
            .collect()
    }

    /// The query that opens this period again, for links (`period=7d&tz=...`).
    pub fn query(&self, period: &str) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("period", period);
        if period == "custom" {
            query.append_pair("from", &self.custom_from);
            query.append_pair("to", &self.custom_to);
        }
        if self.tz != Tz::UTC {
            query.append_pair("tz", self.tz.name());
        }
        query.finish()
    }
}

/// Midnight starting `day` in `tz` (the first instant of the day, should a clock change skip
/// midnight).
fn midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |local| local.with_timezone(&Utc))
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn offered(value: &str, tz: Tz, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let today = now.with_timezone(&tz).date_naive();
    match value {
        "today" => Some((midnight(tz, today), now)),
        "7d" => Some((now - TimeDelta::days(7), now)),
        "30d" => Some((now - TimeDelta::days(30), now)),
        "mtd" => Some((midnight(tz, first_of_month(today)), now)),
        "last-month" => {
            let this_month = first_of_month(today);
            let last_month = this_month.checked_sub_months(Months::new(1))?;
            Some((midnight(tz, last_month), midnight(tz, this_month)))
        }
        _ => None,
    }
}

fn custom(
    query: &PeriodQuery,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Vec<FieldError>> {
    let date = |field: &'static str, text: Option<&str>| match text.map(str::trim) {
        None | Some("") => Err(FieldError {
            field,
            message: key("period-date-missing"),
        }),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| FieldError {
            field,
            message: key("period-date-invalid"),
        }),
    };
    let (first, last) = match (
        date("from", query.from.as_deref()),
        date("to", query.to.as_deref()),
    ) {
        (Ok(first), Ok(last)) => (first, last),
        (first, last) => {
            return Err([first.err(), last.err()].into_iter().flatten().collect());
        }
    };
    let refuse = |field, message| Err(vec![FieldError { field, message }]);
    if last < first {
        return refuse("to", key("period-to-before-from"));
    }
    if (last - first).num_days() >= MAX_DAYS {
        return refuse("to", key("period-too-long"));
    }
    let from = midnight(tz, first);
    if from >= now {
        return refuse("from", key("period-in-future"));
    }
    let end = last
        .checked_add_days(Days::new(1))
        .map_or(now, |next| midnight(tz, next).min(now));
    Ok((from, end))
}

/// The period the query asks for, or the month to date with what was wrong with the query.
pub fn parse(query: &PeriodQuery, now: DateTime<Utc>) -> (Period, Vec<FieldError>) {
    let mut errors = Vec::new();
    let tz = match query.tz.as_deref().map(str::trim) {
        None | Some("") => Tz::UTC,
        Some(name) => name.parse::<Tz>().unwrap_or_else(|_| {
            errors.push(FieldError {
                field: "tz",
                message: key("period-tz-invalid"),
            });
            Tz::UTC
        }),
    };
    let asked = query.period.as_deref().unwrap_or("mtd");
    let custom_from = query.from.clone().unwrap_or_default();
    let custom_to = query.to.clone().unwrap_or_default();
    let span = if asked == "custom" {
        custom(query, tz, now).map_err(|found| errors.extend(found))
    } else {
        offered(asked, tz, now).ok_or_else(|| {
            errors.push(FieldError {
                field: "period",
                message: key("period-invalid"),
            });
        })
    };
    let (value, (from, to)) = match span {
        Ok(span) => (asked, span),
        Err(()) if asked == "custom" => ("custom", offered("mtd", tz, now).unwrap_or((now, now))),
        Err(()) => ("mtd", offered("mtd", tz, now).unwrap_or((now, now))),
    };
    let period = Period {
        value: value.to_owned(),
        from,
        to,
        tz,
        custom_from,
        custom_to,
    };
    (period, errors)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 15, 30, 0).unwrap()
    }

    fn ask(period: &str, from: Option<&str>, to: Option<&str>, tz: Option<&str>) -> PeriodQuery {
        PeriodQuery {
            period: Some(period.to_owned()),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            tz: tz.map(str::to_owned),
        }
    }

    #[test]
    fn offered_periods_end_now_and_start_at_local_midnights() {
        let (period, errors) = parse(&ask("today", None, None, Some("Europe/Paris")), now());
        assert!(errors.is_empty());
        // Midnight in Paris is 23:00 UTC the day before (winter time).
        assert_eq!(
            period.from,
            Utc.with_ymd_and_hms(2026, 12, 5, 23, 0, 0).unwrap()
        );
        assert_eq!(period.to, now());
        let (period, _) = parse(&ask("mtd", None, None, None), now());
        assert_eq!(
            period.from,
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        let (period, _) = parse(&ask("7d", None, None, None), now());
        assert_eq!(period.to - period.from, TimeDelta::days(7));
        assert_eq!(period.days().len(), 8);
    }

    #[test]
    fn last_month_is_the_whole_previous_calendar_month() {
        let (period, errors) = parse(&ask("last-month", None, None, None), now());
        assert!(errors.is_empty());
        assert_eq!(
            (period.from, period.to),
            (
                Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
            )
        );
        assert_eq!(period.days().len(), 30);
        let january = Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).unwrap();
        let (period, _) = parse(&ask("last-month", None, None, None), january);
        assert_eq!(
            period.from,
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn custom_dates_are_whole_days_up_to_now() {
        let (period, errors) = parse(
            &ask("custom", Some("2026-11-20"), Some("2026-11-21"), None),
            now(),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            (period.from, period.to),
            (
                Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap()
            )
        );
        assert_eq!(period.days().len(), 2);
        let (period, _) = parse(
            &ask("custom", Some("2026-12-01"), Some("2026-12-31"), None),
            now(),
        );
        assert_eq!(period.to, now());
        assert_eq!(
            period.query("custom"),
            "period=custom&from=2026-12-01&to=2026-12-31"
        );
    }

    #[test]
    fn bad_fields_are_named_and_the_month_to_date_is_shown() {
        let field = |query: PeriodQuery| {
            let (period, errors) = parse(&query, now());
            (
                period.from,
                errors
                    .iter()
                    .map(|e| (e.field, e.message))
                    .collect::<Vec<_>>(),
            )
        };
        let mtd = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        assert_eq!(
            field(ask("fortnight", None, None, None)),
            (mtd, vec![("period", "period-invalid")])
        );
        assert_eq!(
            field(ask("custom", Some("2026-13-01"), None, None)),
            (
                mtd,
                vec![
                    ("from", "period-date-invalid"),
                    ("to", "period-date-missing")
                ]
            )
        );
        assert_eq!(
            field(ask("custom", Some("2026-11-02"), Some("2026-11-01"), None)).1,
            vec![("to", "period-to-before-from")]
        );
        assert_eq!(
            field(ask("custom", Some("2020-01-01"), Some("2026-11-01"), None)).1,
            vec![("to", "period-too-long")]
        );
        assert_eq!(
            field(ask("custom", Some("2027-01-01"), Some("2027-01-02"), None)).1,
            vec![("from", "period-in-future")]
        );
        assert_eq!(
            field(ask("mtd", None, None, Some("Mars/Olympus"))).1,
            vec![("tz", "period-tz-invalid")]
        );
    }
}
