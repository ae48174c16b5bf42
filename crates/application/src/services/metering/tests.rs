//! What the usage read adds to the readers' answer: the keys' aliases, grouped by key only.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use mockall::predicate::{always, eq};
use rust_decimal::Decimal;
use tollgate_domain::metering::Meter;

use super::*;
use crate::ports::{
    MockClock, MockKeyAliases, MockUsageExport, MockUsageReader, UsagePoint, UsageSeries, Window,
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
    MeteringService::new(
        UsageReaders::embedded(Arc::new(reader)),
        Arc::new(MockUsageExport::new()),
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
