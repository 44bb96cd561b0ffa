//! Recipient secrets (No Password Required): a row per recipient of such a
//! message, written with it; a trigger deletes them when its data key is destroyed.

use async_trait::async_trait;
use sealpost_domain::messages::{MessageId, StoredRecipientSecret};
use sealpost_domain::ports::{SecretStore, StoreResult};
use sealpost_domain::types::EmailAddress;

use crate::SqlStore;
use crate::columns::Columns;
use crate::statements::Fetch;

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
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let email: String = row.col("email")?;
            Ok(Some(StoredRecipientSecret {
                email: EmailAddress::from_trusted(email),
                verifier: row.col("verifier")?,
                wrapped_dek: row.col("wrapped_dek")?,
            }))
        })
        .await
    }
}
