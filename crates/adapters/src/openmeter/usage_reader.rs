//! Usage read back from OpenMeter's meters, behind the same port as the embedded rollups.
//!
//! OpenMeter's `to` is inclusive where Tollgate's is exclusive; the windows asked for start on
//! window boundaries, so a point at exactly `to` is simply dropped. Customers are OpenMeter
//! subjects (see `cloud_event`), so grouping by customer groups by `subject`.

use async_trait::async_trait;
use futures_util::future::try_join_all;
use tollgate_application::{
    PortError,
    ports::{GroupBy, UsagePoint, UsageQuery, UsageReader, UsageSeries, Window},
};
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use super::{MeterQuery, OpenMeterQuery, WindowSize};

pub struct OpenMeterUsageReader {
    query: OpenMeterQuery,
}

impl OpenMeterUsageReader {
    pub fn new(query: OpenMeterQuery) -> Self {
        Self { query }
    }
}

fn group_key(group: GroupBy) -> &'static str {
    match group {
        GroupBy::Customer => "subject",
        GroupBy::Model => "model",
        GroupBy::Key => "key",
        GroupBy::Team => "team",
        GroupBy::Provider => "provider",
        GroupBy::Status => "status",
    }
}

#[async_trait]
impl UsageReader for OpenMeterUsageReader {
    async fn usage(
        &self,
        // One OpenMeter namespace per organization: the organization is the namespace's.
        _organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<Vec<UsageSeries>, PortError> {
        let meter_query = MeterQuery {
            from: Some(query.from),
            to: Some(query.to),
            window_size: Some(match query.window {
                Window::Minute => WindowSize::Minute,
                Window::Hour => WindowSize::Hour,
                Window::Day => WindowSize::Day,
            }),
            window_time_zone: Some(query.time_zone.clone()),
            subjects: query.customer.iter().cloned().collect(),
            group_by: query
                .group_by
                .map(|g| vec![group_key(g).to_owned()])
                .unwrap_or_default(),
        };
        let answers = try_join_all(Meter::ALL.into_iter().map(|meter| {
            let meter_query = &meter_query;
            async move {
                self.query
                    .query(meter, meter_query)
                    .await
                    .map(|a| (meter, a))
            }
        }))
        .await?;
        let mut series: Vec<UsageSeries> = Vec::new();
        for (meter, answer) in answers {
            let mut rows = answer.rows;
            rows.retain(|row| row.window_start < query.to);
            let group_of = |row: &super::MeterQueryRow| {
                query.group_by.map(|g| match g {
                    GroupBy::Customer => row.subject.clone().unwrap_or_default(),
                    other => row
                        .group_by
                        .get(group_key(other))
                        .cloned()
                        .flatten()
                        .unwrap_or_default(),
                })
            };
            rows.sort_by(|a, b| {
                group_of(a)
                    .cmp(&group_of(b))
                    .then(a.window_start.cmp(&b.window_start))
            });
            for row in rows {
                let group = group_of(&row);
                let point = UsagePoint {
                    window_start: row.window_start,
                    value: row.value,
                };
                match series.last_mut() {
                    Some(last) if last.meter == meter && last.group == group => {
                        last.points.push(point);
                    }
                    _ => series.push(UsageSeries {
                        meter,
                        group,
                        points: vec![point],
                    }),
                }
            }
        }
        Ok(series)
    }
}
