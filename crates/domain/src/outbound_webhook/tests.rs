use super::*;

#[test]
fn every_event_type_parses_back_and_unknown_names_are_refused() {
    assert_eq!(EventType::ALL.len(), 27);
    for event in EventType::ALL {
        assert_eq!(EventType::parse(event.as_str()), Ok(*event));
    }
    assert_eq!(
        EventType::parse("invoice.exploded"),
        Err(DomainError::UnknownEventType("invoice.exploded".into()))
    );
}

#[test]
fn an_empty_filter_takes_everything_and_the_test_event_ignores_filters() {
    let paid = [EventType::InvoicePaid];
    assert!(accepts(&[], EventType::InvoiceVoided));
    assert!(accepts(&paid, EventType::InvoicePaid));
    assert!(!accepts(&paid, EventType::InvoiceVoided));
    assert!(accepts(&paid, EventType::WebhookTest));
}

#[test]
fn statuses_are_classified_with_redirects_as_failures() {
    assert_eq!(AttemptOutcome::of_status(200), AttemptOutcome::Delivered);
    assert_eq!(AttemptOutcome::of_status(204), AttemptOutcome::Delivered);
    assert_eq!(AttemptOutcome::of_status(301), AttemptOutcome::Failed);
    assert_eq!(AttemptOutcome::of_status(410), AttemptOutcome::Gone);
    assert_eq!(AttemptOutcome::of_status(500), AttemptOutcome::Failed);
}

#[test]
fn retries_follow_the_schedule_with_jitter_and_retry_after_then_stop() {
    assert_eq!(next_delay(0, None, 0.5), Some(Duration::ZERO));
    assert_eq!(next_delay(1, None, 0.0), Some(Duration::from_secs(5)));
    assert_eq!(next_delay(1, None, 1.0), Some(Duration::from_millis(5500)));
    assert_eq!(
        next_delay(2, None, 0.0),
        Some(Duration::from_secs(300)),
        "5 minutes"
    );
    // A receiver asking for longer than the step is waited for; a shorter ask changes nothing.
    assert_eq!(
        next_delay(1, Some(Duration::from_secs(60)), 0.0),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        next_delay(2, Some(Duration::from_secs(1)), 0.0),
        Some(Duration::from_secs(300))
    );
    assert_eq!(next_delay(7, None, 0.0), Some(Duration::from_secs(36_000)));
    assert_eq!(next_delay(8, None, 0.0), None);
}

#[test]
fn targets_must_be_https_and_public_unless_private_targets_are_allowed() {
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/x",
        "https://10.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/",
        "https://user:pass@hooks.example.com/",
        "ftp://hooks.example.com/",
        "not a url",
    ] {
        assert!(
            matches!(
                endpoint_target(url, false),
                Err(DomainError::UnsafeUrl { .. })
            ),
            "{url}"
        );
    }
    let named = endpoint_target("https://Hooks.Example.com/in", false).unwrap();
    assert_eq!(
        named,
        EndpointTarget {
            host: "hooks.example.com".into(),
            port: 443,
            literal: None
        }
    );
    let local = endpoint_target("http://127.0.0.1:8080/in", true).unwrap();
    assert_eq!(local.port, 8080);
    assert_eq!(local.literal, Some("127.0.0.1".parse().unwrap()));
    assert!(endpoint_target("https://u:p@127.0.0.1/", true).is_err());
}

#[test]
fn resolved_addresses_must_all_be_public() {
    let public: IpAddr = "93.184.216.34".parse().unwrap();
    let private: IpAddr = "10.0.0.7".parse().unwrap();
    assert!(check_resolved("https://h/", &[public], false).is_ok());
    let refused = check_resolved("https://h/", &[public, private], false).unwrap_err();
    assert!(refused.to_string().contains("10.0.0.7"), "{refused}");
    assert!(check_resolved("https://h/", &[], false).is_err());
    assert!(check_resolved("https://h/", &[private], true).is_ok());
}
