//! The key hierarchy at work: the master key wraps versioned account keys, an
//! account key wraps each message's fresh data key (DEK). Unwrapped keys live only
//! in memory, for one operation.

use sealpost_crypto::keys::{self, Key256};

use super::Services;
use crate::error::DomainError;
use crate::messages::{AccountKey, Message};
use crate::types::AccountId;

/// A fresh data key and its wrapped form, for a new message.
pub struct NewDataKey {
    pub dek: Key256,
    pub wrapped: Vec<u8>,
    pub key_version: i64,
}

impl Services {
    /// The account's current key, created (version 1) on first use.
    async fn current_account_key(&self, account: AccountId) -> Result<(Key256, i64), DomainError> {
        let messaging = self.messaging()?;
        let stored = match messaging.store.account_key(account, None).await? {
            Some(key) => key,
            None => {
                let fresh = Key256::generate().map_err(DomainError::internal)?;
                let wrapped = keys::wrap(&messaging.master_key, &fresh).map_err(DomainError::internal)?;
                let key = AccountKey {
                    account_id: account,
                    version: 1,
                    wrapped,
                    created_at: self.clock.now(),
                };
                match messaging.store.insert_account_key(&key).await {
                    Ok(()) => return Ok((fresh, 1)),
                    // Another process created it first: use theirs.
                    Err(DomainError::Conflict { .. }) => messaging
                        .store
                        .account_key(account, None)
                        .await?
                        .ok_or(DomainError::NotFound)?,
                    Err(other) => return Err(other),
                }
            }
        };
        let key = keys::unwrap(&messaging.master_key, &stored.wrapped).map_err(DomainError::internal)?;
        Ok((key, stored.version))
    }

    /// A new message's data key, wrapped under the account's current key.
    pub(crate) async fn new_data_key(&self, account: AccountId) -> Result<NewDataKey, DomainError> {
        let (account_key, key_version) = self.current_account_key(account).await?;
        let dek = Key256::generate().map_err(DomainError::internal)?;
        let wrapped = keys::wrap(&account_key, &dek).map_err(DomainError::internal)?;
        Ok(NewDataKey {
            dek,
            wrapped,
            key_version,
        })
    }

    /// A stored message's data key; `None` when it has been destroyed.
    pub(crate) async fn data_key(&self, message: &Message) -> Result<Option<Key256>, DomainError> {
        let Some(wrapped) = &message.wrapped_dek else {
            return Ok(None);
        };
        let messaging = self.messaging()?;
        let stored = messaging
            .store
            .account_key(message.account_id, Some(message.key_version))
            .await?
            .ok_or(DomainError::NotFound)?;
        let account_key = keys::unwrap(&messaging.master_key, &stored.wrapped).map_err(DomainError::internal)?;
        keys::unwrap(&account_key, wrapped)
            .map(Some)
            .map_err(DomainError::internal)
    }
}
