//! Recipient secrets (No Password Required): a row per recipient of such a
//! message, written with it; a trigger deletes them when its data key is destroyed.

use async_trait::async_trait;
use sealpost_domain::messages::{MessageId, StoredRecipientSecret};
use sealpost_domain::ports::{SecretStore, StoreResult};
use sealpost_domain::types::EmailAddress;
use sqlx::Row;

use crate::{SqlStore, db_error};

#[async_trait]
impl SecretStore for SqlStore {
    async fn recipient_secret(
        &self,
        message: MessageId,
        verifier: &[u8],
    ) -> StoreResult<Option<StoredRecipientSecret>> {
        self.watched(async {
            let row = sqlx::query(
                "SELECT email, verifier, wrapped_dek FROM recipient_secrets WHERE message_id = $1 AND verifier = $2",
            )
            .bind(message.0)
            .bind(verifier.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
            let Some(row) = row else {
                return Ok(None);
            };
            let email: String = row.try_get("email").map_err(db_error)?;
            Ok(Some(StoredRecipientSecret {
                email: EmailAddress::from_trusted(email),
                verifier: row.try_get("verifier").map_err(db_error)?,
                wrapped_dek: row.try_get("wrapped_dek").map_err(db_error)?,
            }))
        })
        .await
    }
}
