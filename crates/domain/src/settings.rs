//! An organization's settings, and which addresses are public (outbound webhook targets must
//! be: see [`crate::outbound_webhook`]).

use std::net::IpAddr;

use crate::{
    billing::{NetTerms, TaxId},
    money::UsdAmount,
};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BillingContact {
    pub name: String,
    pub email: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrganizationSettings {
    pub display_name: Option<String>,
    pub billing_contact: Option<BillingContact>,
    /// The organization's tax id (VAT, GST...), printed as the seller's on its invoices.
    pub tax_id: Option<TaxId>,
    /// Days the organization's invoices are due after their issue, unless the customer has
    /// terms of its own; `None`: [`NetTerms::DEFAULT`].
    pub net_terms: Option<NetTerms>,
    /// Shows LLM traces in the dashboard; off by default (traces may hold personal data).
    pub debug_mode: bool,
    /// Spend levels (USD per customer and month) that raise an alert, ascending.
    pub alert_thresholds: Vec<UsdAmount>,
}

/// A top-level field of the settings document: what a partial change names, and what the
/// audit record of a change lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettingsField {
    DisplayName,
    BillingContact,
    TaxId,
    NetTermsDays,
    DebugMode,
    AlertThresholds,
}

impl SettingsField {
    /// Every field, in the document's order.
    pub const ALL: [Self; 6] = [
        Self::DisplayName,
        Self::BillingContact,
        Self::TaxId,
        Self::NetTermsDays,
        Self::DebugMode,
        Self::AlertThresholds,
    ];

    /// The field's name in the API's JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::BillingContact => "billing_contact",
            Self::TaxId => "tax_id",
            Self::NetTermsDays => "net_terms_days",
            Self::DebugMode => "debug_mode",
            Self::AlertThresholds => "alert_thresholds",
        }
    }

    /// The field named `name` in the API's JSON.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == name)
    }
}

impl OrganizationSettings {
    /// The fields whose values differ in `other`, in the document's order.
    pub fn changed_fields(&self, other: &Self) -> Vec<SettingsField> {
        SettingsField::ALL
            .into_iter()
            .filter(|field| match field {
                SettingsField::DisplayName => self.display_name != other.display_name,
                SettingsField::BillingContact => self.billing_contact != other.billing_contact,
                SettingsField::TaxId => self.tax_id != other.tax_id,
                SettingsField::NetTermsDays => self.net_terms != other.net_terms,
                SettingsField::DebugMode => self.debug_mode != other.debug_mode,
                SettingsField::AlertThresholds => self.alert_thresholds != other.alert_thresholds,
            })
            .collect()
    }
}

/// Whether `ip` is an address on the public internet. Everything an attacker could use to make
/// Tollgate call inside its own network (SSRF) is not: loopback, private, link-local (cloud
/// metadata lives there), unique-local, carrier-grade NAT, multicast, unspecified, broadcast,
/// documentation and benchmarking ranges, and IPv4 hidden inside IPv6.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_name_each_field_that_differs_by_its_json_name() {
        let before = OrganizationSettings::default();
        let after = OrganizationSettings {
            display_name: Some("Acme".into()),
            debug_mode: true,
            alert_thresholds: vec![UsdAmount::parse_json_number("t", "10").unwrap()],
            ..before.clone()
        };
        let changed: Vec<&str> = before
            .changed_fields(&after)
            .into_iter()
            .map(SettingsField::as_str)
            .collect();
        assert_eq!(changed, ["display_name", "debug_mode", "alert_thresholds"]);
        assert!(after.changed_fields(&after).is_empty());
        for field in SettingsField::ALL {
            assert_eq!(SettingsField::parse(field.as_str()), Some(field));
        }
        assert_eq!(SettingsField::parse("nope"), None);
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public_address(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public_address(ip.parse().unwrap()), "{ip}");
        }
    }
}
