//! Name resolution through the operating system's resolver.

use std::net::IpAddr;

use async_trait::async_trait;
use tollgate_application::{PortError, ports::HostResolver};

pub struct SystemResolver;

#[async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, PortError> {
        let addresses = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| PortError::unavailable("dns", e.to_string()))?;
        Ok(addresses.map(|address| address.ip()).collect())
    }
}
