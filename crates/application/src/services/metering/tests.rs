//! What the usage read adds to the readers' answer: the keys' aliases, grouped by key only.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use mockall::predicate::{always, eq};
use rust_decimal::Decimal;
use tollgate_domain::metering::Meter;

use super::*;
use crate::ports::{
    EventDetail, EventFilter, MockClock, MockEventLog, MockKeyAliases, MockUsageExport,
    MockUsageReader, UsagePoint, UsageSeries, Window,
};

fn series(group: Option<&str>) -> UsageSeries {
    UsageSeries {
        meter: Meter::Requests,
        group: group.map(str::to_owned),
        points: vec![UsagePoint {
            window_start: Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap(),
            value: Decimal::ONE,
        }],
    }
}

fn query(group_by: Option<GroupBy>) -> UsageQuery {
    UsageQuery {
        from: Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
        window: Window::Day,
        time_zone: "UTC".into(),
        group_by,
        customer: None,
    }
}

fn service(reader: MockUsageReader, aliases: MockKeyAliases) -> MeteringService {
    with_events(reader, aliases, MockEventLog::new())
}

fn with_events(
    reader: MockUsageReader,
    aliases: MockKeyAliases,
    events: MockEventLog,
) -> MeteringService {
    MeteringService::new(
        UsageReaders::embedded(Arc::new(reader)),
        Arc::new(MockUsageExport::new()),
        Arc::new(events),
        Arc::new(aliases),
        Arc::new(MockClock::new()),
    )
}

#[tokio::test]
async fn grouped_by_key_the_answer_names_each_keys_alias() {
    let mut reader = MockUsageReader::new();
    reader.expect_usage().returning(|_, _| {
        Ok(vec![
            series(Some("")),
            series(Some("bee0")),
            series(Some("bee1")),
            series(Some("bee0")),
        ])
    });
    let mut aliases = MockKeyAliases::new();
    // Each key once, never the empty group of calls without a key.
    aliases
        .expect_aliases()
        .with(always(), eq(vec!["bee0".to_owned(), "bee1".to_owned()]))
        .times(1)
        .returning(|_, _| Ok(BTreeMap::from([("bee0".to_owned(), "prod".to_owned())])));

    let answer = service(reader, aliases)
        .usage(OrganizationId::new(), &query(Some(GroupBy::Key)))
        .await
        .unwrap();
    assert_eq!(
        answer.key_aliases,
        BTreeMap::from([("bee0".to_owned(), "prod".to_owned())])
    );
    assert_eq!(answer.series.len(), 4);
}

#[tokio::test]
async fn other_groupings_and_keyless_answers_look_up_no_alias() {
    for (group_by, group) in [
        (None, None),
        (Some(GroupBy::Team), Some("team-a")),
        (Some(GroupBy::Key), Some("")),
    ] {
        let mut reader = MockUsageReader::new();
        reader
            .expect_usage()
            .returning(move |_, _| Ok(vec![series(group)]));
        let mut aliases = MockKeyAliases::new();
        aliases.expect_aliases().never();
        let answer = service(reader, aliases)
            .usage(OrganizationId::new(), &query(group_by))
            .await
            .unwrap();
        assert!(answer.key_aliases.is_empty(), "{group_by:?}");
    }
}

fn event_of(customer: Option<&str>) -> ExportRow {
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    ExportRow {
        id: 7,
        idempotency_key: "call-7".into(),
        occurred_at: at,
        received_at: at,
        customer: customer.map(str::to_owned),
        model: Some("gpt-4o".into()),
        provider: None,
        api_key_hash: None,
        api_key_alias: None,
        user: None,
        team: None,
        org: None,
        provider_model: None,
        call_type: None,
        status: "success".into(),
        error_code: None,
        input_tokens: 1,
        output_tokens: 2,
        total_tokens: 3,
        cached_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: Decimal::ONE,
        cache_hit: false,
        stream: false,
        trace_id: None,
        tags: Vec::new(),
    }
}

#[tokio::test]
async fn a_customer_member_lists_only_its_customers_events_whatever_it_asks() {
    let mut events = MockEventLog::new();
    events
        .expect_recent()
        .withf(|_, filter: &EventFilter, _, limit| {
            filter.customer.as_deref() == Some("acme")
                && filter.model.as_deref() == Some("gpt-4o")
                && *limit == 11
        })
        .times(1)
        .returning(|_, _, _, _| Ok(vec![event_of(Some("acme"))]));
    let asked = EventFilter {
        customer: Some("globex".into()),
        model: Some("gpt-4o".into()),
        ..EventFilter::default()
    };
    let rows = with_events(MockUsageReader::new(), MockKeyAliases::new(), events)
        .events(OrganizationId::new(), Some("acme"), asked, None, 11)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn another_customers_event_is_not_found_for_a_customer_member() {
    let mut events = MockEventLog::new();
    events.expect_event().returning(|_, _| {
        Ok(Some(EventDetail {
            event: event_of(Some("globex")),
            deliveries: Vec::new(),
        }))
    });
    let service = with_events(MockUsageReader::new(), MockKeyAliases::new(), events);
    let organization = OrganizationId::new();
    assert!(
        service
            .event(organization, Some("acme"), 7)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        service
            .event(organization, Some("globex"), 7)
            .await
            .unwrap()
            .is_some()
    );
    // Staff see every customer's.
    assert!(
        service
            .event(organization, None, 7)
            .await
            .unwrap()
            .is_some()
    );
}
