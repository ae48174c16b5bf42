//! Which meters answer a usage read: the system that meters (OpenMeter when configured, else
//! the embedded rollups), and the embedded rollups in its stead when it cannot answer and they
//! are kept current too.

use std::{collections::BTreeMap, sync::Arc};

use async_trait::async_trait;
use tollgate_domain::organization::OrganizationId;

use crate::{
    PortError,
    ports::{UsageQuery, UsageReader, UsageSeries},
};

/// Where a usage answer came from; said to the client (a field and a header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSource {
    Embedded,
    OpenMeter,
}

impl UsageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::OpenMeter => "openmeter",
        }
    }
}

/// Usage read back, with who answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageAnswer {
    pub series: Vec<UsageSeries>,
    pub source: UsageSource,
    /// Grouped by key: the alias of each key (group) that has one. Empty otherwise.
    pub key_aliases: BTreeMap<String, String>,
}

/// The readers usage may come from.
pub struct UsageReaders {
    /// The system that meters, and which one it is.
    pub primary: Arc<dyn UsageReader>,
    pub primary_source: UsageSource,
    /// The embedded rollups, only when they are current while another system meters (every
    /// event also goes to the embedded meters: OpenMeter without Lago, where the embedded
    /// period close bills from them). `None` otherwise: stale rollups would be wrong figures
    /// presented as right ones, worse than a 503.
    pub embedded_fallback: Option<Arc<dyn UsageReader>>,
}

impl UsageReaders {
    /// Only the embedded rollups, nothing to fall back to.
    pub fn embedded(reader: Arc<dyn UsageReader>) -> Self {
        Self {
            primary: reader,
            primary_source: UsageSource::Embedded,
            embedded_fallback: None,
        }
    }

    /// Reads from the primary; when it cannot answer (unreachable, failing, too slow, or
    /// answering nonsense) and the embedded rollups are current, from them.
    ///
    /// # Errors
    /// The primary's error when there is no fallback, when the error is not the primary's
    /// inability to answer, or when the fallback fails too.
    pub async fn read(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<UsageAnswer, PortError> {
        let error = match self.primary.usage(organization, query).await {
            Ok(series) => {
                return Ok(UsageAnswer {
                    series,
                    source: self.primary_source,
                    key_aliases: BTreeMap::new(),
                });
            }
            Err(error) => error,
        };
        let Some(fallback) = self
            .embedded_fallback
            .as_ref()
            .filter(|_| cannot_answer(&error))
        else {
            return Err(error);
        };
        match fallback.usage(organization, query).await {
            Ok(series) => {
                tracing::info!(%error, "usage read from the embedded rollups instead");
                Ok(UsageAnswer {
                    series,
                    source: UsageSource::Embedded,
                    key_aliases: BTreeMap::new(),
                })
            }
            Err(fallback_error) => {
                tracing::warn!(%error, %fallback_error, "usage cannot be read from either");
                Err(error)
            }
        }
    }
}

/// The primary could not give an answer; any other error (a query it refused, a bug) would
/// be hidden by answering from elsewhere.
fn cannot_answer(error: &PortError) -> bool {
    matches!(
        error,
        PortError::Unavailable { .. }
            | PortError::TimedOut { .. }
            | PortError::InvalidAnswer { .. }
    )
}

/// The readers as one `UsageReader`, for the analytics summary (which does not say its
/// source).
pub(super) struct WithFallback(pub Arc<UsageReaders>);

#[async_trait]
impl UsageReader for WithFallback {
    async fn usage(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<Vec<UsageSeries>, PortError> {
        Ok(self.0.read(organization, query).await?.series)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use tollgate_domain::metering::Meter;

    use super::*;
    use crate::ports::{MockUsageReader, Window};

    fn query() -> UsageQuery {
        UsageQuery {
            from: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap(),
            window: Window::Day,
            time_zone: "UTC".into(),
            group_by: None,
            customer: None,
        }
    }

    fn answering(result: Result<Vec<UsageSeries>, PortError>) -> Arc<dyn UsageReader> {
        let mut reader = MockUsageReader::new();
        reader.expect_usage().returning(move |_, _| result.clone());
        Arc::new(reader)
    }

    fn rollups() -> Vec<UsageSeries> {
        vec![UsageSeries {
            meter: Meter::Requests,
            group: None,
            points: vec![],
        }]
    }

    fn readers(primary: Result<Vec<UsageSeries>, PortError>, fallback: bool) -> UsageReaders {
        UsageReaders {
            primary: answering(primary),
            primary_source: UsageSource::OpenMeter,
            embedded_fallback: fallback.then(|| answering(Ok(rollups()))),
        }
    }

    #[tokio::test]
    async fn openmeter_unable_to_answer_is_replaced_by_current_rollups_and_says_so() {
        for error in [
            PortError::unavailable("openmeter", "503"),
            PortError::TimedOut {
                service: "openmeter",
                reason: "10 s".into(),
            },
            PortError::InvalidAnswer {
                service: "openmeter",
                reason: "not rows".into(),
            },
        ] {
            let answer = readers(Err(error), true)
                .read(OrganizationId::new(), &query())
                .await
                .unwrap();
            assert_eq!(answer.source, UsageSource::Embedded);
            assert_eq!(answer.series, rollups());
        }
        let answer = readers(Ok(vec![]), true)
            .read(OrganizationId::new(), &query())
            .await
            .unwrap();
        assert_eq!(answer.source, UsageSource::OpenMeter);
    }

    #[tokio::test]
    async fn without_current_rollups_or_for_a_refused_query_the_error_stands() {
        let unavailable = PortError::unavailable("openmeter", "503");
        let error = readers(Err(unavailable.clone()), false)
            .read(OrganizationId::new(), &query())
            .await
            .unwrap_err();
        assert_eq!(error, unavailable);
        let refused = PortError::Internal {
            service: "openmeter",
            reason: "400 unknown meter".into(),
        };
        let error = readers(Err(refused.clone()), true)
            .read(OrganizationId::new(), &query())
            .await
            .unwrap_err();
        assert_eq!(error, refused);
    }
}
