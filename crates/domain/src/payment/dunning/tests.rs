use chrono::{TimeDelta, TimeZone};

use super::*;
use crate::ErrorCode;

fn offsets(hours: &[u32]) -> Vec<RetryOffset> {
    hours.iter().copied().map(RetryOffset::hours).collect()
}

fn refusal(offsets_text: &str) -> DunningError {
    match DunningPolicy::parse(offsets_text, "none") {
        Err(DomainError::InvalidDunning(error)) => error,
        other => panic!("{offsets_text}: {other:?}"),
    }
}

#[test]
fn the_default_retries_at_0_1_3_7_14_days_and_then_does_nothing() {
    let policy = DunningPolicy::default();
    assert_eq!(policy.offsets_text(), "0, 1d, 3d, 7d, 14d");
    assert_eq!(policy.attempts(), 5);
    assert_eq!(policy.after_last(), AfterLastAttempt::None);
    // The default passes its own validation.
    assert_eq!(
        DunningPolicy::new(policy.offsets().to_vec(), AfterLastAttempt::None),
        Ok(policy)
    );
}

#[test]
fn attempts_are_due_at_offsets_from_the_first_until_the_schedule_ends() {
    let policy = DunningPolicy::default();
    let first = Utc.with_ymd_and_hms(2026, 1, 31, 9, 30, 0).unwrap();
    let due: Vec<_> = (0..6)
        .map(|made| policy.next_attempt_at(first, made))
        .collect();
    assert_eq!(
        due,
        [
            Some(first),
            Some(first + TimeDelta::days(1)),
            Some(first + TimeDelta::days(3)),
            Some(first + TimeDelta::days(7)),
            Some(Utc.with_ymd_and_hms(2026, 2, 14, 9, 30, 0).unwrap()),
            None,
        ]
    );
    assert!(!policy.is_exhausted(4) && policy.is_exhausted(5) && policy.is_exhausted(99));
    assert_eq!(policy.next_attempt_at(first, usize::MAX), None);
}

#[test]
fn a_policy_has_one_to_ten_attempts() {
    assert_eq!(refusal(""), DunningError::NoAttempts);
    assert_eq!(refusal(" , "), DunningError::NoAttempts);
    let ten: Vec<u32> = (0..10).collect();
    assert!(DunningPolicy::new(offsets(&ten), AfterLastAttempt::None).is_ok());
    let eleven: Vec<u32> = (0..11).collect();
    assert_eq!(
        DunningPolicy::new(offsets(&eleven), AfterLastAttempt::None),
        Err(DomainError::InvalidDunning(DunningError::TooManyAttempts {
            count: 11
        }))
    );
    assert!(DunningPolicy::parse("0", "suspend").is_ok());
}

#[test]
fn the_first_attempt_is_immediate() {
    assert_eq!(
        refusal("1h, 1d"),
        DunningError::FirstNotImmediate {
            first: RetryOffset::hours(1)
        }
    );
    assert!(DunningPolicy::parse("0h, 1d", "none").is_ok());
    assert!(DunningPolicy::parse("0d, 1d", "none").is_ok());
}

#[test]
fn offsets_must_strictly_increase() {
    let error = refusal("0, 3d, 2d");
    assert_eq!(
        error,
        DunningError::NotIncreasing {
            attempt: 3,
            offset: RetryOffset::days(2),
            previous: RetryOffset::days(3),
        }
    );
    assert_eq!(
        error.to_string(),
        "attempt 3 at 2d must come after attempt 2 at 3d: list offsets in increasing order"
    );
    assert!(matches!(
        refusal("0, 1d, 24h"),
        DunningError::NotIncreasing { attempt: 3, .. }
    ));
    assert!(matches!(
        refusal("0, 0"),
        DunningError::NotIncreasing { attempt: 2, .. }
    ));
}

#[test]
fn the_last_attempt_is_at_most_60_days_after_the_first() {
    assert!(DunningPolicy::parse("0, 60d", "terminate").is_ok());
    assert!(DunningPolicy::parse("0, 1440h", "terminate").is_ok());
    assert_eq!(
        refusal("0, 1441h"),
        DunningError::TooLate {
            offset: RetryOffset::hours(1441)
        }
    );
    assert!(matches!(refusal("0, 61d"), DunningError::TooLate { .. }));
    // A day count that overflows hours is refused as too late, not wrapped round.
    assert_eq!(RetryOffset::days(u32::MAX).as_hours(), u32::MAX);
    assert!(
        DunningPolicy::new(
            vec![RetryOffset::ZERO, RetryOffset::days(u32::MAX)],
            AfterLastAttempt::None
        )
        .is_err()
    );
}

#[test]
fn offsets_read_as_zero_hours_or_days_and_print_back() {
    for (text, hours, printed) in [
        ("0", 0, "0"),
        ("0h", 0, "0"),
        ("36h", 36, "36h"),
        ("48h", 48, "2d"),
        (" 3d ", 72, "3d"),
        ("1d", 24, "1d"),
    ] {
        let offset: RetryOffset = text.parse().unwrap();
        assert_eq!(offset.as_hours(), hours, "{text}");
        assert_eq!(offset.to_string(), printed, "{text}");
        assert_eq!(printed.parse::<RetryOffset>(), Ok(offset));
    }
    assert_eq!(RetryOffset::hours(36).as_time_delta(), TimeDelta::hours(36));
}

#[test]
fn anything_else_is_an_unreadable_offset_with_its_code() {
    for text in [
        "",
        "d",
        "1",
        "1.5d",
        "-1d",
        "+1d",
        "1 d",
        "1w",
        "3D",
        "١d",
        "99999999999h",
        "178956971d",
    ] {
        let error = text.parse::<RetryOffset>().unwrap_err();
        assert_eq!(
            error,
            DomainError::InvalidDunning(DunningError::UnreadableOffset { text: text.into() }),
            "{text}"
        );
        assert_eq!(error.code(), ErrorCode::InvalidDunningPolicy);
    }
    let message = refusal("0, 1x").to_string();
    assert_eq!(
        message,
        "`1x` is not an offset: give 0, hours (36h) or days (3d)"
    );
}

#[test]
fn what_follows_the_last_attempt_reads_from_its_name() {
    for after in AfterLastAttempt::ALL {
        assert_eq!(after.as_str().parse(), Ok(after));
        assert_eq!(after.to_string(), after.as_str());
    }
    let policy = DunningPolicy::parse("0, 2d", "suspend").unwrap();
    assert_eq!(policy.after_last(), AfterLastAttempt::Suspend);
    let error = DunningPolicy::parse("0, 2d", "cancel").unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidDunningPolicy);
    assert_eq!(
        error.to_string(),
        "dunning policy: `cancel` is not one of none, suspend, terminate"
    );
}

#[test]
fn hard_declines_and_the_networks_advice_stop_the_schedule() {
    for code in [
        "lost_card",
        "stolen_card",
        "pickup_card",
        "fraudulent",
        "incorrect_number",
        "do_not_try_again",
    ] {
        assert!(DunningPolicy::stops_retrying(None, Some(code)), "{code}");
    }
    assert!(DunningPolicy::stops_retrying(
        Some("do_not_try_again"),
        None
    ));
    assert!(DunningPolicy::stops_retrying(
        Some("do_not_try_again"),
        Some("insufficient_funds")
    ));
    for code in [
        "insufficient_funds",
        "generic_decline",
        "do_not_honor",
        "expired_card",
    ] {
        assert!(!DunningPolicy::stops_retrying(None, Some(code)), "{code}");
    }
    assert!(!DunningPolicy::stops_retrying(
        Some("try_again_later"),
        None
    ));
    assert!(!DunningPolicy::stops_retrying(
        Some("confirm_card_data"),
        None
    ));
    assert!(!DunningPolicy::stops_retrying(None, None));
}
