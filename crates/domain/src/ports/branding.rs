//! The branding port: an account's logo (its display name and colour are settings).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::types::{AccountId, Timestamp};

/// An account's logo, the PNG [`Logo::from_upload`](crate::branding::Logo::from_upload)
/// made, a row per account that has one.
#[async_trait]
pub trait BrandingStore: Send + Sync {
    /// The account's logo, if it has one.
    async fn account_logo(&self, account: AccountId) -> StoreResult<Option<Vec<u8>>>;
    /// Replaces the logo (`None` removes it) and writes `audit`, in one
    /// transaction. `NotFound`, and nothing written, when no account has this id.
    async fn set_account_logo(
        &self,
        account: AccountId,
        png: Option<Vec<u8>>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()>;
}
