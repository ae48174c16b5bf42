//! The audit trail: who did what to which organization, chained by hashes per organization so
//! that a removed, changed or re-ordered record is detected.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The hash before an organization's first record.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// One recorded action, as chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub sequence: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub request_id: Option<String>,
    pub result: String,
    pub client_address_hash: Option<String>,
}

impl AuditRecord {
    /// `sha256(previous || fields)`, each field length-prefixed so that moving text from one
    /// field to the next changes the hash.
    pub fn chain_hash(&self, previous: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(previous);
        hasher.update(self.sequence.to_be_bytes());
        // Microseconds: what PostgreSQL keeps, so the hash survives a round trip.
        hasher.update(self.occurred_at.timestamp_micros().to_be_bytes());
        for field in [
            Some(self.actor.as_str()),
            Some(self.action.as_str()),
            self.target.as_deref(),
            self.request_id.as_deref(),
            Some(self.result.as_str()),
            self.client_address_hash.as_deref(),
        ] {
            match field {
                Some(text) => {
                    hasher.update([1]);
                    hasher.update((text.len() as u64).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update([0]),
            }
        }
        hasher.finalize().into()
    }
}

/// Where a chain stops being what its hashes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub sequence: i64,
    pub reason: &'static str,
}

/// Checks records given in sequence order with the hashes stored beside them.
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = (&'a AuditRecord, [u8; 32], [u8; 32])>,
) -> Result<usize, BrokenLink> {
    let mut previous = GENESIS_HASH;
    let mut count = 0;
    for (expected_sequence, (record, stored_previous, stored_hash)) in (1..).zip(records) {
        if record.sequence != expected_sequence {
            return Err(BrokenLink {
                sequence: record.sequence,
                reason: "a record is missing before this one",
            });
        }
        if stored_previous != previous {
            return Err(BrokenLink {
                sequence: record.sequence,
                reason: "the previous hash does not match the record before",
            });
        }
        if record.chain_hash(&previous) != stored_hash {
            return Err(BrokenLink {
                sequence: record.sequence,
                reason: "the record's content does not match its hash",
            });
        }
        previous = stored_hash;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn record(sequence: i64, action: &str) -> AuditRecord {
        AuditRecord {
            sequence,
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
            actor: "user:alice".into(),
            action: action.into(),
            target: Some("api_key:1".into()),
            request_id: None,
            result: "success".into(),
            client_address_hash: None,
        }
    }

    fn chain(records: &[AuditRecord]) -> Vec<(AuditRecord, [u8; 32], [u8; 32])> {
        let mut previous = GENESIS_HASH;
        records
            .iter()
            .map(|r| {
                let hash = r.chain_hash(&previous);
                let link = (r.clone(), previous, hash);
                previous = hash;
                link
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_any_tamper_is_located() {
        let records = [record(1, "a"), record(2, "b"), record(3, "c")];
        let links = chain(&records);
        let view = |links: &[(AuditRecord, [u8; 32], [u8; 32])]| {
            verify_chain(links.iter().map(|(r, p, h)| (r, *p, *h)))
        };
        assert_eq!(view(&links), Ok(3));

        let mut edited = links.clone();
        edited[1].0.action = "z".into();
        assert_eq!(view(&edited).unwrap_err().sequence, 2);

        let mut removed = links.clone();
        removed.remove(1);
        assert_eq!(view(&removed).unwrap_err().sequence, 3);

        let mut moved = links;
        moved[2].0.target = None;
        moved[2].0.request_id = Some("api_key:1".into());
        assert_eq!(view(&moved).unwrap_err().sequence, 3);
    }
}
