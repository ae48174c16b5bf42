//! The ingest scenarios' events: the shared LiteLLM events, their times spread over the ten
//! minutes before the run started (so that the same seq is the same body all run long, and
//! scenario c's duplicates are exact copies).

use bytes::Bytes;

use crate::support::events::{EventFactory, unix_seconds};

pub struct Events {
    factory: EventFactory,
    base_ts: u64,
}

impl Events {
    pub fn new(run_id: u64, customers: u64) -> Result<Self, String> {
        Ok(Self {
            factory: EventFactory::new(run_id, customers)?,
            base_ts: unix_seconds(),
        })
    }

    pub fn max_event_len(&self) -> usize {
        self.factory.max_event_len()
    }

    fn stamp(&self, seq: u64) -> u64 {
        self.base_ts.saturating_sub(seq.wrapping_mul(7919) % 600)
    }

    /// Event `seq` alone, as a JSON object.
    pub fn single(&self, seq: u64) -> Bytes {
        let mut out = Vec::with_capacity(self.max_event_len());
        self.factory.write_event(&mut out, seq, self.stamp(seq));
        Bytes::from(out)
    }

    /// A JSON array of the `n` events `first..first + n`.
    pub fn batch(&self, first: u64, n: u64) -> Bytes {
        self.factory.batch(first, n, |seq| self.stamp(seq))
    }
}
