//! Groups of an account and their members.
//!
//! Every look-up of a group by id also names the account, so a group id from another
//! account answers `NotFound`. Removing a member of a built-in group locks the group
//! row first; that serializes concurrent removals, so two administrators removing each
//! other at the same moment cannot leave the account without one.

use async_trait::async_trait;
use sealpost_domain::error::{DomainError, ValidationError};
use sealpost_domain::model::{AuditEvent, Group, Member};
use sealpost_domain::ports::{GroupStore, StoreResult};
use sealpost_domain::types::{AccountId, GroupId, GroupName, Timestamp, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::columns::{Columns, from_rows};
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{SqlStore, audit, db_error, get_bool, insert_error, limit, touched};

/// The columns [`group_from_row`] reads, for queries that alias `groups` as `g`.
const GROUP_COLUMNS: &str = "g.id, g.account_id, g.name, g.builtin, g.created_at, \
     (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id) AS member_count";

/// Builds a [`Group`] from a row holding [`GROUP_COLUMNS`].
fn group_from_row(row: &AnyRow) -> Result<Group, sqlx::Error> {
    Ok(Group {
        id: GroupId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        name: row.try_get("name")?,
        builtin: get_bool(row, "builtin")?,
        created_at: Timestamp(row.try_get("created_at")?),
        member_count: row.try_get("member_count")?,
    })
}

#[async_trait]
impl GroupStore for SqlStore {
    /// Built-in groups first, then by name ignoring (ASCII) case, with member counts.
    async fn list_groups(&self, account: AccountId) -> StoreResult<Vec<Group>> {
        self.watched(async {
            let rows = sqlx::query(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.account_id = $1 \
                 ORDER BY g.builtin DESC, LOWER(g.name), g.name"
            ))
            .bind(account.0)
            .all(&self.pool)
            .await?;
            from_rows(&rows, group_from_row)
        })
        .await
    }

    /// One group of this account; `NotFound` for another account's group.
    async fn group(&self, account: AccountId, id: GroupId) -> StoreResult<Group> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = $1 AND g.account_id = $2"
            ))
            .bind(id.0)
            .bind(account.0)
            .one(&self.pool)
            .await?;
            group_from_row(&row).map_err(db_error)
        })
        .await
    }

    /// The account's built-in Account Administrators group.
    async fn admin_group(&self, account: AccountId) -> StoreResult<Group> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {GROUP_COLUMNS} FROM groups g \
                 WHERE g.account_id = $1 AND g.builtin AND g.name = $2"
            ))
            .bind(account.0)
            .bind(GroupName::ACCOUNT_ADMINISTRATORS)
            .one(&self.pool)
            .await?;
            group_from_row(&row).map_err(db_error)
        })
        .await
    }

    /// A custom group; `Conflict { field: "group_name" }` when the account has one so named.
    async fn create_group(
        &self,
        account: AccountId,
        name: &GroupName,
        at: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<Group> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO groups (account_id, name, builtin, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(account.0)
            .bind(name.as_str())
            .bind(false)
            .bind(at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_error("group_name"))?;
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(Group {
                id: GroupId(id),
                account_id: account,
                name: name.as_str().to_owned(),
                builtin: false,
                created_at: at,
                member_count: 0,
            })
        })
        .await
    }

    /// Deletes a custom group; its memberships go with it (`ON DELETE CASCADE`). A
    /// built-in group is refused here too, whatever the caller checked.
    async fn delete_group(&self, account: AccountId, id: GroupId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query("SELECT builtin FROM groups WHERE id = $1 AND account_id = $2")
                .bind(id.0)
                .bind(account.0)
                .optional(&mut *tx)
                .await?
                .ok_or(DomainError::NotFound)?;
            if row.flag("builtin")? {
                return Err(ValidationError::BuiltinGroup.into());
            }
            sqlx::query("DELETE FROM groups WHERE id = $1")
                .bind(id.0)
                .run(&mut *tx)
                .await?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// Members by address, after `after`. The `(group_id, user_email)` index yields them
    /// in order, so only as many rows as asked for are read, however big the group.
    async fn list_members(&self, group: GroupId, after: Option<&str>, page: u32) -> StoreResult<Vec<Member>> {
        self.watched(async {
            let sql = format!(
                "SELECT {USER_COLUMNS}, gm.added_at, gm.added_by \
                 FROM group_members gm JOIN users u ON u.id = gm.user_id \
                 WHERE gm.group_id = $1 AND gm.user_email > $2 ORDER BY gm.user_email LIMIT $3"
            );
            let rows = sqlx::query(&sql)
                .bind(group.0)
                .bind(after.unwrap_or(""))
                .bind(limit(page))
                .all(&self.pool)
                .await?;
            from_rows(&rows, |row| {
                Ok(Member {
                    user: user_from_row(row)?,
                    added_at: Timestamp(row.try_get("added_at")?),
                    added_by: row.try_get::<Option<i64>, _>("added_by")?.map(UserId),
                })
            })
        })
        .await
    }

    /// `Conflict { field: "member" }` when already in; `NotFound` for an unknown group or user.
    async fn add_member(
        &self,
        group: GroupId,
        user: UserId,
        added_by: Option<UserId>,
        at: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            insert_member(&mut tx, group, user, added_by, at).await?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// Removes a member. The group row is locked first; then, for a built-in group, the
    /// removal is undone when nobody would be left (`Validation(LastAdministrator)`).
    async fn remove_member(&self, group: GroupId, user: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(&format!(
                "SELECT builtin FROM groups WHERE id = $1{}",
                self.for_update()
            ))
            .bind(group.0)
            .optional(&mut *tx)
            .await?
            .ok_or(DomainError::NotFound)?;
            let builtin = row.flag("builtin")?;
            let removed = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(group.0)
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            touched(&removed)?;
            if builtin {
                let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
                    .bind(group.0)
                    .one(&mut *tx)
                    .await?;
                if left == 0 {
                    tx.rollback().await.map_err(db_error)?;
                    return Err(ValidationError::LastAdministrator.into());
                }
            }
            tx.commit_audited(&event).await
        })
        .await
    }
}

/// Inserts one membership, copying the member's address next to it (see the
/// migration). `NotFound` for an unknown user or group, `Conflict { field: "member" }`
/// when already in.
pub(crate) async fn insert_member(
    conn: &mut AnyConnection,
    group: GroupId,
    user: UserId,
    added_by: Option<UserId>,
    at: Timestamp,
) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, user_email, added_by, added_at) \
         SELECT $1, u.id, u.email, $3, $4 FROM users u WHERE u.id = $2",
    )
    .bind(group.0)
    .bind(user.0)
    .bind(added_by.map(|u| u.0))
    .bind(at.0)
    .execute(conn)
    .await
    .map_err(insert_error("member"))?;
    touched(&inserted)?;
    Ok(())
}
