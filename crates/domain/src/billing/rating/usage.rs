//! The usage a charge bills: successful calls, and failed ones only when the charge says so.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::{billing::Charge, metering::Meter};

/// What a charge is rated on.
pub trait ChargeUsage {
    /// The quantity of `charge`'s meter it bills (before its free allowance).
    fn billed(&self, charge: &Charge) -> Decimal;
}

/// A span's usage per meter, successful calls apart from failed ones, so that each charge can
/// count failures or not ([`Charge::include_failures`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeteredUsage {
    pub succeeded: BTreeMap<Meter, Decimal>,
    pub failed: BTreeMap<Meter, Decimal>,
}

impl MeteredUsage {
    /// Usage of successful calls only.
    pub fn succeeded(usage: BTreeMap<Meter, Decimal>) -> Self {
        Self {
            succeeded: usage,
            failed: BTreeMap::new(),
        }
    }
}

impl ChargeUsage for MeteredUsage {
    fn billed(&self, charge: &Charge) -> Decimal {
        let meter = charge.meter();
        let succeeded = self.succeeded.get(&meter).copied().unwrap_or_default();
        let failed = self.failed.get(&meter).copied().unwrap_or_default();
        if charge.include_failures() {
            succeeded + failed
        } else {
            succeeded
        }
    }
}

/// A plain map is the usage of successful calls: every quantity in it is billed.
impl ChargeUsage for BTreeMap<Meter, Decimal> {
    fn billed(&self, charge: &Charge) -> Decimal {
        self.get(&charge.meter()).copied().unwrap_or_default()
    }
}
