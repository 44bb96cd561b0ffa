//! Whether the service can do its job right now, for monitoring (`/healthz`).

use super::Services;
use crate::error::DomainError;

impl Services {
    /// Checks that the storage answers and takes a write, as a person's next
    /// request would need: a full disk is [`DomainError::Unavailable`], a database
    /// that does not answer is [`DomainError::Internal`].
    pub async fn check_health(&self) -> Result<(), DomainError> {
        self.store.probe_write(self.clock.now()).await
    }
}
