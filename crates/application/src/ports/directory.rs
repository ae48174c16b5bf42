//! Where people are looked up by e-mail: Ory Kratos's identities when its admin API is
//! configured, nowhere otherwise (members are then named by subject only, as the tokens name
//! them).

use std::collections::HashMap;

use async_trait::async_trait;

use crate::PortError;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityDirectory: Send + Sync {
    /// Whether people can be named by e-mail here at all: without a directory an e-mail is
    /// just text, and a subject that looks like one (the embedded identity allows it) must
    /// stay a subject.
    fn resolves_emails(&self) -> bool;

    /// The identity id (the subject its sessions and tokens carry) of the person whose login
    /// e-mail is exactly `email`, `None` when nobody's is.
    ///
    /// # Errors
    /// `PortError` when the directory gives no usable answer (503, 504, or 502 for an answer
    /// that cannot be read).
    async fn identity_by_email(&self, email: &str) -> Result<Option<String>, PortError>;

    /// The e-mail of each of `ids` the directory knows (ids it does not know are left out).
    ///
    /// # Errors
    /// `PortError` when the directory gives no usable answer.
    async fn emails_of(&self, ids: &[String]) -> Result<HashMap<String, String>, PortError>;
}

/// No directory: nobody is found by e-mail, no subject has one.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDirectory;

#[async_trait]
impl IdentityDirectory for NoDirectory {
    fn resolves_emails(&self) -> bool {
        false
    }

    async fn identity_by_email(&self, _: &str) -> Result<Option<String>, PortError> {
        Ok(None)
    }

    async fn emails_of(&self, _: &[String]) -> Result<HashMap<String, String>, PortError> {
        Ok(HashMap::new())
    }
}
