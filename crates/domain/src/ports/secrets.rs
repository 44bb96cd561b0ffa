//! The recipient-secret port (No Password Required): what the service keeps of
//! each recipient's secret. Rows are written with their message
//! ([`super::MessageStore::insert_message`]) and destroyed with its data key.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{MessageId, StoredRecipientSecret};

/// Looks up a presented secret by its verifier.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The recipient of `message` whose secret has this verifier, with the data
    /// key wrapped for them; `None` when no recipient's does (a wrong secret, a
    /// message of another level, or a data key destroyed since).
    async fn recipient_secret(&self, message: MessageId, verifier: &[u8])
    -> StoreResult<Option<StoredRecipientSecret>>;
}
