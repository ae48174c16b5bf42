//! Times on pages: shown in the zone the `tz` query parameter names (IANA, UTC when absent),
//! and read back from date and datetime-local fields in that same zone, so what a person
//! typed is what they saw.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone `text` names; UTC for none or blank. `Err` with the refused name (for the
/// page's message) for a name that is not one. Every page reads its `tz` through this.
pub fn zone(text: Option<&str>) -> Result<Tz, String> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(Tz::UTC),
        Some(name) => name.parse().map_err(|_| name.to_owned()),
    }
}

/// The first instant of `date` in `tz` (a day that starts in a DST gap starts when the
/// clocks resume).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local(tz, date.and_time(NaiveTime::MIN))
}

/// `at` in `tz`: the earliest of two readings in a DST fold, the first valid minute after a
/// gap.
pub fn local(tz: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = at;
    // A gap is never longer than a few hours; stepping by minutes finds its end.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(found) | LocalResult::Ambiguous(found, _) => {
                return found.with_timezone(&Utc);
            }
            LocalResult::None => probe += chrono::TimeDelta::minutes(1),
        }
    }
    at.and_utc()
}

/// `at` as a person reads it in `tz`: `2026-12-06 14:03:12`.
pub fn show(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A time typed in a field: RFC 3339 as is, else a datetime-local value or a bare date
/// (its midnight) read in `tz`. `None` for anything else.
pub fn parse(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(local(tz, at));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|date| start_of_day(tz, date))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn fields_are_read_in_the_zone_they_were_shown_in() {
        let paris = zone(Some("Europe/Paris")).unwrap_or(Tz::UTC);
        assert_eq!(paris, Tz::Europe__Paris);
        let at = parse("2026-12-06T14:30", paris);
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 12, 6, 13, 30, 0).single());
        let at = at.unwrap_or_default();
        assert_eq!(show(at, paris), "2026-12-06 14:30:00");
        assert_eq!(
            parse("2026-12-06", paris),
            Utc.with_ymd_and_hms(2026, 12, 5, 23, 0, 0).single()
        );
        assert_eq!(
            parse("2026-12-06T10:00:00Z", paris),
            Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).single()
        );
        assert_eq!(parse("yesterday", paris), None);
        assert_eq!(zone(Some(" Mars/Olympus ")), Err("Mars/Olympus".to_owned()));
        assert_eq!(zone(None), Ok(Tz::UTC));
        assert_eq!(zone(Some(" ")), Ok(Tz::UTC));
    }

    #[test]
    fn a_day_that_starts_in_a_gap_starts_when_the_clocks_resume() {
        // Santiago skipped from 00:00 to 01:00 on 2026-09-06.
        let santiago: Tz = "America/Santiago".parse().unwrap_or(Tz::UTC);
        let date = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap_or_default();
        let start = start_of_day(santiago, date);
        assert_eq!(show(start, santiago), "2026-09-06 01:00:00");
    }
}
