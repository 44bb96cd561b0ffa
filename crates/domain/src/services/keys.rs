//! The key hierarchy at work: the master key wraps versioned account keys, an
//! account key wraps each message's fresh data key (DEK). Unwrapped keys live only
//! in memory: a data key for one operation, an account key for at most
//! [`ACCOUNT_KEY_SECONDS`] (`AccountKeys`), so a page view, the downloads and the
//! reply form that follow it, and the views of the same account's messages by
//! others meanwhile read and unwrap it once.

use std::collections::HashMap;
use std::sync::Mutex;

use sealpost_crypto::keys::{self, Key256};

use super::Services;
use crate::error::DomainError;
use crate::messages::{AccountKey, Message};
use crate::types::{AccountId, Timestamp};

/// How long an unwrapped account key stays in memory after it was read.
pub const ACCOUNT_KEY_SECONDS: i64 = 60;
/// The most account keys kept at once (one per account and version in use).
const ACCOUNT_KEYS_KEPT: usize = 1024;

/// Unwrapped account keys by (account, version), each with when it was read.
/// A version's wrapped key never changes once stored (rotation adds a version),
/// so a kept key is never stale; it is dropped (and zeroed) once it has been kept
/// for [`ACCOUNT_KEY_SECONDS`], and never written anywhere.
#[derive(Default)]
pub(crate) struct AccountKeys {
    kept: Mutex<HashMap<(AccountId, i64), (Key256, Timestamp)>>,
}

impl AccountKeys {
    fn get(&self, account: AccountId, version: i64, now: Timestamp) -> Option<Key256> {
        let kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.get(&(account, version))
            .filter(|(_, at)| now.seconds_since(*at) < ACCOUNT_KEY_SECONDS)
            .map(|(key, _)| key.clone())
    }

    fn keep(&self, account: AccountId, version: i64, key: &Key256, now: Timestamp) {
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= ACCOUNT_KEYS_KEPT {
            kept.retain(|_, (_, at)| now.seconds_since(*at) < ACCOUNT_KEY_SECONDS);
            if kept.len() >= ACCOUNT_KEYS_KEPT {
                kept.clear();
            }
        }
        kept.insert((account, version), (key.clone(), now));
    }
}

/// A fresh data key and its wrapped form, for a new message.
pub struct NewDataKey {
    pub dek: Key256,
    pub wrapped: Vec<u8>,
    pub key_version: i64,
}

/// What [`Services::check_master_key`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterKeyCheck {
    /// The database was set up with this master key.
    Matches,
    /// Nothing was recorded yet (a first start, or the first since the check
    /// exists, whose account keys this master key opens): recorded now.
    Recorded,
    /// The database's keys are wrapped under another master key: this node must
    /// not start, or it would write keys that no other node can open.
    Mismatch,
}

impl Services {
    /// Checks this node's master key against the one the database was set up with,
    /// recording it on the first start. An installation from before the check
    /// proves its key with its newest account key. Nothing else is written, so a
    /// node with the wrong key can be stopped before it does any harm.
    pub async fn check_master_key(&self) -> Result<MasterKeyCheck, DomainError> {
        let master = &self.messaging().master_key;
        let opens = |wrapped: &[u8]| keys::unwrap(master, wrapped).is_ok();
        if let Some(check) = self.store.master_key_check().await? {
            return Ok(if opens(&check) {
                MasterKeyCheck::Matches
            } else {
                MasterKeyCheck::Mismatch
            });
        }
        if let Some(key) = self.store.newest_account_key().await?
            && !opens(&key.wrapped)
        {
            return Ok(MasterKeyCheck::Mismatch);
        }
        let proof = Key256::generate().map_err(DomainError::internal)?;
        let wrapped = keys::wrap(master, &proof).map_err(DomainError::internal)?;
        let kept = self.store.keep_master_key_check(&wrapped, self.clock.now()).await?;
        Ok(if kept == wrapped {
            MasterKeyCheck::Recorded
        } else if opens(&kept) {
            MasterKeyCheck::Matches
        } else {
            MasterKeyCheck::Mismatch
        })
    }

    /// The account's current key, created (version 1) on first use.
    async fn current_account_key(&self, account: AccountId) -> Result<(Key256, i64), DomainError> {
        let messaging = self.messaging();
        let stored = match self.store.account_key(account, None).await? {
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
                match self.store.insert_account_key(&key).await {
                    Ok(()) => return Ok((fresh, 1)),
                    // Another process created it first: use theirs.
                    Err(DomainError::Conflict { .. }) => self
                        .store
                        .account_key(account, None)
                        .await?
                        .ok_or(DomainError::NotFound)?,
                    Err(other) => return Err(other),
                }
            }
        };
        self.opened(&stored)
    }

    /// A stored account key unwrapped under the master key, with its version.
    fn opened(&self, stored: &AccountKey) -> Result<(Key256, i64), DomainError> {
        let key = keys::unwrap(&self.messaging().master_key, &stored.wrapped).map_err(DomainError::internal)?;
        Ok((key, stored.version))
    }

    /// A new message's data key, wrapped under the account's current key: `known`
    /// when the caller has just read it (with the account), else read here.
    pub(crate) async fn new_data_key(
        &self,
        account: AccountId,
        known: Option<AccountKey>,
    ) -> Result<NewDataKey, DomainError> {
        let (account_key, key_version) = match known {
            Some(stored) if stored.account_id == account => self.opened(&stored)?,
            _ => self.current_account_key(account).await?,
        };
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
        self.unwrap_data_key(message.account_id, message.key_version, wrapped)
            .await
            .map(Some)
    }

    /// Unwraps a data key wrapped under version `key_version` of the account's key.
    pub(crate) async fn unwrap_data_key(
        &self,
        account: AccountId,
        key_version: i64,
        wrapped: &[u8],
    ) -> Result<Key256, DomainError> {
        let now = self.clock.now();
        let account_key = match self.account_keys.get(account, key_version, now) {
            Some(key) => key,
            None => {
                let messaging = self.messaging();
                let stored = self
                    .store
                    .account_key(account, Some(key_version))
                    .await?
                    .ok_or(DomainError::NotFound)?;
                let key = keys::unwrap(&messaging.master_key, &stored.wrapped).map_err(DomainError::internal)?;
                self.account_keys.keep(account, key_version, &key, now);
                key
            }
        };
        keys::unwrap(&account_key, wrapped).map_err(DomainError::internal)
    }
}

/// What a key rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The account key version now current.
    pub version: i64,
    /// Data keys re-wrapped under it in this run.
    pub rewrapped: usize,
}

impl Services {
    /// Creates a new version of the account's key and re-wraps every data key under
    /// it. Resumable: if interrupted, [`Services::rewrap_account_keys`] finishes the
    /// work; old versions stay readable until then.
    pub async fn rotate_account_key(&self, number: crate::types::AccountNumber) -> Result<Rotation, DomainError> {
        let messaging = self.messaging();
        let account = self.store.account_by_number(number).await?;
        let current = self
            .store
            .account_key(account.id, None)
            .await?
            .map(|k| k.version)
            .unwrap_or(0);
        let fresh = Key256::generate().map_err(DomainError::internal)?;
        let wrapped = keys::wrap(&messaging.master_key, &fresh).map_err(DomainError::internal)?;
        let key = AccountKey {
            account_id: account.id,
            version: current + 1,
            wrapped,
            created_at: self.clock.now(),
        };
        self.store.insert_account_key(&key).await?;
        self.store
            .record_audit(self.event(
                None,
                Some(account.id),
                "account.key_rotated",
                &format!("version {}", key.version),
                None,
            ))
            .await?;
        self.rewrap_account_keys(number).await
    }

    /// Re-wraps every data key of the account still under an older key version
    /// with the current one, in batches (each committed on its own).
    pub async fn rewrap_account_keys(&self, number: crate::types::AccountNumber) -> Result<Rotation, DomainError> {
        let messaging = self.messaging();
        let account = self.store.account_by_number(number).await?;
        let Some(current) = self.store.account_key(account.id, None).await? else {
            return Ok(Rotation {
                version: 0,
                rewrapped: 0,
            });
        };
        let current_key = keys::unwrap(&messaging.master_key, &current.wrapped).map_err(DomainError::internal)?;
        let mut old_keys: std::collections::HashMap<i64, Key256> = std::collections::HashMap::new();
        let mut rewrapped = 0;
        loop {
            let batch = self.store.stale_data_keys(account.id, current.version, 500).await?;
            if batch.is_empty() {
                return Ok(Rotation {
                    version: current.version,
                    rewrapped,
                });
            }
            for stale in batch {
                if let std::collections::hash_map::Entry::Vacant(slot) = old_keys.entry(stale.key_version) {
                    let stored = self
                        .store
                        .account_key(account.id, Some(stale.key_version))
                        .await?
                        .ok_or(DomainError::NotFound)?;
                    slot.insert(keys::unwrap(&messaging.master_key, &stored.wrapped).map_err(DomainError::internal)?);
                }
                let old = old_keys.get(&stale.key_version).ok_or(DomainError::NotFound)?;
                let dek = keys::unwrap(old, &stale.wrapped).map_err(DomainError::internal)?;
                let wrapped = keys::wrap(&current_key, &dek).map_err(DomainError::internal)?;
                if self
                    .store
                    .rewrap_data_key(stale.message, stale.key_version, current.version, &wrapped)
                    .await?
                {
                    rewrapped += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn key() -> Key256 {
        Key256::generate().unwrap_or_else(|_| Key256::from_bytes([7; 32]))
    }

    #[test]
    fn an_account_key_is_kept_for_a_minute_by_account_and_version() {
        let kept = AccountKeys::default();
        let (acme, other) = (AccountId(1), AccountId(2));
        let first = key();
        kept.keep(acme, 1, &first, T0);
        let again = kept.get(acme, 1, T0.plus_seconds(ACCOUNT_KEY_SECONDS - 1));
        assert_eq!(again.map(|k| *k.expose()), Some(*first.expose()));
        assert!(kept.get(acme, 2, T0).is_none(), "another version is another key");
        assert!(kept.get(other, 1, T0).is_none(), "another account's is another key");
        assert!(
            kept.get(acme, 1, T0.plus_seconds(ACCOUNT_KEY_SECONDS)).is_none(),
            "after a minute the key is read and unwrapped again"
        );
    }

    #[test]
    fn a_full_cache_makes_room_instead_of_growing() {
        let kept = AccountKeys::default();
        for n in 0..(ACCOUNT_KEYS_KEPT as i64 + 10) {
            kept.keep(AccountId(n), 1, &key(), T0);
        }
        let held = kept.kept.lock().map(|k| k.len()).unwrap_or(usize::MAX);
        assert!(held <= ACCOUNT_KEYS_KEPT, "{held} keys held");
        assert!(kept.get(AccountId(ACCOUNT_KEYS_KEPT as i64 + 9), 1, T0).is_some());
    }
}
