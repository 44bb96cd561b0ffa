//! Account logos, a row each (see `sealpost_domain::branding`).

use async_trait::async_trait;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{BrandingStore, StoreResult};
use sealpost_domain::types::{AccountId, Timestamp};

use crate::statements::{Fetch, Run};
use crate::{SqlStore, accounts};

#[async_trait]
impl BrandingStore for SqlStore {
    async fn account_logo(&self, account: AccountId) -> StoreResult<Option<Vec<u8>>> {
        self.watched(async {
            sqlx::query_scalar("SELECT png FROM account_logos WHERE account_id = $1")
                .bind(account.0)
                .optional(&self.pool)
                .await
        })
        .await
    }

    async fn set_account_logo(
        &self,
        account: AccountId,
        png: Option<Vec<u8>>,
        at: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            accounts::ensure_account(&mut tx, account).await?;
            let query = match png {
                Some(png) => sqlx::query(
                    "INSERT INTO account_logos (account_id, png, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id) DO UPDATE SET png = excluded.png, updated_at = excluded.updated_at",
                )
                .bind(account.0)
                .bind(png)
                .bind(at.0),
                None => sqlx::query("DELETE FROM account_logos WHERE account_id = $1").bind(account.0),
            };
            query.run(&mut *tx).await?;
            tx.commit_audited(&event).await
        })
        .await
    }
}
