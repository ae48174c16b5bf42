//! Roles and scopes: what a member of an organization, or a machine key, may do.

use std::fmt;

use crate::DomainError;

/// A person's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Owner,
    Admin,
    Billing,
    Viewer,
    /// A member of one of the organization's customers: sees only that customer (the portal).
    Customer,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Owner,
        Self::Admin,
        Self::Billing,
        Self::Viewer,
        Self::Customer,
    ];

    /// # Errors
    /// `DomainError::UnknownRole` for anything but the five role names.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| DomainError::UnknownRole(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Billing => "billing",
            Self::Viewer => "viewer",
            Self::Customer => "customer",
        }
    }

    /// The scopes a person with this role holds (tokens may narrow them, never widen).
    pub fn scopes(&self) -> &'static [Scope] {
        match self {
            Self::Owner | Self::Admin => &Scope::ALL,
            Self::Billing => &[Scope::UsageRead, Scope::BillingRead, Scope::BillingWrite],
            Self::Viewer | Self::Customer => &[Scope::UsageRead, Scope::BillingRead],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability an API key or an OAuth2 token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    UsageRead,
    BillingRead,
    BillingWrite,
    SettingsWrite,
    EventsWrite,
}

impl Scope {
    pub const ALL: [Self; 5] = [
        Self::UsageRead,
        Self::BillingRead,
        Self::BillingWrite,
        Self::SettingsWrite,
        Self::EventsWrite,
    ];

    /// # Errors
    /// `DomainError::UnknownScope` for anything but the five scope names.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| DomainError::UnknownScope(text.to_owned()))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UsageRead => "usage:read",
            Self::BillingRead => "billing:read",
            Self::BillingWrite => "billing:write",
            Self::SettingsWrite => "settings:write",
            Self::EventsWrite => "events:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()).unwrap(), scope);
        }
        assert!(Role::parse("root").is_err());
        assert!(Scope::parse("usage:write").is_err());
    }

    #[test]
    fn only_owners_and_admins_may_change_settings() {
        for role in Role::ALL {
            let may = role.scopes().contains(&Scope::SettingsWrite);
            assert_eq!(may, matches!(role, Role::Owner | Role::Admin), "{role}");
        }
    }
}
