//! The keys port: accounts' wrapped keys, their rotation and the shredding of data keys.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{AccountKey, MessageId, PublicId, WrappedDataKey};
use crate::types::{AccountId, Timestamp};

/// The stored half of the key hierarchy: account keys (wrapped under the master
/// key) and messages' data keys (wrapped under an account key).
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The key of `version`, or the newest one when `version` is `None`.
    async fn account_key(&self, account: AccountId, version: Option<i64>) -> StoreResult<Option<AccountKey>>;
    /// Stores a new key version; `Conflict { field: "key_version" }` if another
    /// process stored that version first (the caller reads it back).
    async fn insert_account_key(&self, key: &AccountKey) -> StoreResult<()>;

    /// Data keys of the account still wrapped under a key version older than
    /// `current` (and not destroyed), oldest message first: the work list of a key
    /// rotation.
    async fn stale_data_keys(&self, account: AccountId, current: i64, limit: u32) -> StoreResult<Vec<WrappedDataKey>>;
    /// Replaces one message's wrapped data key, only if it is still wrapped under
    /// `from_version` (a concurrent rotation or shredding wins); `true` if replaced.
    async fn rewrap_data_key(
        &self,
        message: MessageId,
        from_version: i64,
        to_version: i64,
        wrapped: &[u8],
    ) -> StoreResult<bool>;
    /// Destroys the data keys of messages that expired before `cutoff` and still have
    /// one; returns their public ids (whose stored blobs can then be deleted).
    async fn shred_expired(&self, cutoff: Timestamp, limit: u32) -> StoreResult<Vec<PublicId>>;

    /// The stored master-key check (a random key wrapped under the master key), if
    /// one was recorded.
    async fn master_key_check(&self) -> StoreResult<Option<Vec<u8>>>;
    /// Records `wrapped` as the master-key check unless one is recorded already,
    /// and returns the one recorded (another node's, if it came first).
    async fn keep_master_key_check(&self, wrapped: &[u8], at: Timestamp) -> StoreResult<Vec<u8>>;
    /// The most recently created account key of any account: what an installation
    /// from before the check proves its master key with.
    async fn newest_account_key(&self) -> StoreResult<Option<AccountKey>>;
}
