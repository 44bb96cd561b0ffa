//! Envelope profiles, a row each; at most one default per account (a partial
//! unique index), switched in one transaction.

use async_trait::async_trait;
use sealpost_domain::DomainError;
use sealpost_domain::messages::{DeliveryMode, MessageOptions};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{ProfileStore, StoreResult};
use sealpost_domain::profiles::{EnvelopeProfile, ProfileId, SecurityLevel};
use sealpost_domain::types::{AccountId, EmailAddress, Locale, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::columns::from_rows;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, audit, db_error, insert_error, touched};

const COLUMNS: &str = "id, account_id, name, is_default, security_level, remember_days, delivery_mode, options, \
     expiry_days, file_name, subject, help_url, contact, recipient_locale, updated_at, subject_tag";

/// A unique violation names the field the form shows it on: the subject tag's
/// index, or the name.
fn profile_conflict(error: sqlx::Error) -> DomainError {
    let on_tag = match &error {
        sqlx::Error::Database(e) => {
            e.constraint() == Some("envelope_profiles_subject_tag")
                || e.message().contains("envelope_profiles_subject_tag")
        }
        _ => false,
    };
    insert_error(if on_tag { "subject_tag" } else { "name" })(error)
}

fn profile_from_row(row: &AnyRow) -> Result<EnvelopeProfile, sqlx::Error> {
    let days = |column: &str| -> Result<Option<u32>, sqlx::Error> {
        Ok(row
            .try_get::<Option<i64>, _>(column)?
            .and_then(|d| u32::try_from(d).ok()))
    };
    Ok(EnvelopeProfile {
        id: Some(ProfileId(row.try_get("id")?)),
        account_id: AccountId(row.try_get("account_id")?),
        name: row.try_get("name")?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        security: SecurityLevel::from_stored(row.try_get::<Option<String>, _>("security_level")?.as_deref()),
        remember_days: days("remember_days")?.unwrap_or(1),
        delivery_mode: row
            .try_get::<Option<String>, _>("delivery_mode")?
            .as_deref()
            .and_then(DeliveryMode::parse),
        options: MessageOptions::from_bits(row.try_get("options")?),
        expiry_days: days("expiry_days")?,
        file_name: row.try_get("file_name")?,
        subject: row.try_get("subject")?,
        help_url: row.try_get("help_url")?,
        contact: row
            .try_get::<Option<String>, _>("contact")?
            .map(EmailAddress::from_trusted),
        recipient_locale: Locale::from_tag(row.try_get("recipient_locale")?).unwrap_or_default(),
        updated_at: row.try_get::<Option<i64>, _>("updated_at")?.map(Timestamp),
        subject_tag: row.try_get("subject_tag")?,
    })
}

/// Something that takes bind parameters: a query or a scalar query.
trait Bind<'q>: Sized {
    fn bind_value<T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>>(self, value: T) -> Self;
}

impl<'q> Bind<'q> for crate::AnyQuery<'q> {
    fn bind_value<T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, O> Bind<'q> for sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    fn bind_value<T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>>(self, value: T) -> Self {
        self.bind(value)
    }
}

/// Binds `$3` to `$15` of an insert or update of `profile`: everything an
/// administrator edits, from its name to its subject tag, in that order.
fn bind_fields<'q, Q: Bind<'q>>(query: Q, profile: &'q EnvelopeProfile) -> Q {
    query
        .bind_value(profile.name.as_str())
        .bind_value(profile.security.as_str())
        .bind_value(i64::from(profile.remember_days))
        .bind_value(profile.delivery_mode.map(DeliveryMode::as_str))
        .bind_value(profile.options.to_bits())
        .bind_value(profile.expiry_days.map(i64::from))
        .bind_value(profile.file_name.as_str())
        .bind_value(profile.subject.as_deref())
        .bind_value(profile.help_url.as_deref())
        .bind_value(profile.contact.as_ref().map(EmailAddress::as_str))
        .bind_value(profile.recipient_locale.tag())
        .bind_value(profile.updated_at.map(|t| t.0))
        .bind_value(profile.subject_tag.as_deref())
}

#[async_trait]
impl ProfileStore for SqlStore {
    async fn envelope_profiles(&self, account: AccountId) -> StoreResult<Vec<EnvelopeProfile>> {
        self.watched(async {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM envelope_profiles WHERE account_id = $1 ORDER BY is_default DESC, name, id"
            ))
            .bind(account.0)
            .all(&self.pool)
            .await?;
            from_rows(&rows, profile_from_row)
        })
        .await
    }

    async fn envelope_profile(&self, account: AccountId, id: ProfileId) -> StoreResult<EnvelopeProfile> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM envelope_profiles WHERE id = $1 AND account_id = $2"
            ))
            .bind(id.0)
            .bind(account.0)
            .one(&self.pool)
            .await?;
            profile_from_row(&row).map_err(db_error)
        })
        .await
    }

    async fn insert_envelope_profile(
        &self,
        profile: &EnvelopeProfile,
        audit: AuditEvent,
    ) -> StoreResult<EnvelopeProfile> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            if profile.is_default {
                sqlx::query("UPDATE envelope_profiles SET is_default = 0 WHERE account_id = $1")
                    .bind(profile.account_id.0)
                    .run(&mut *tx)
                    .await?;
            }
            let insert = sqlx::query_scalar(
                "INSERT INTO envelope_profiles (account_id, is_default, name, security_level, remember_days, \
                 delivery_mode, options, expiry_days, file_name, subject, help_url, contact, recipient_locale, \
                 updated_at, subject_tag) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 RETURNING id",
            )
            .bind(profile.account_id.0)
            .bind(i64::from(profile.is_default));
            let id: i64 = bind_fields(insert, profile)
                .fetch_one(&mut *tx)
                .await
                .map_err(profile_conflict)?;
            audit::insert_event(&mut tx, &audit).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(EnvelopeProfile {
                id: Some(ProfileId(id)),
                ..profile.clone()
            })
        })
        .await
    }

    async fn update_envelope_profile(&self, profile: &EnvelopeProfile, audit: AuditEvent) -> StoreResult<()> {
        let Some(id) = profile.id else {
            return Err(DomainError::NotFound);
        };
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let update = sqlx::query(
                "UPDATE envelope_profiles SET name = $3, security_level = $4, remember_days = $5, \
                 delivery_mode = $6, options = $7, expiry_days = $8, file_name = $9, subject = $10, help_url = $11, \
                 contact = $12, recipient_locale = $13, updated_at = $14, subject_tag = $15 \
                 WHERE id = $1 AND account_id = $2",
            )
            .bind(id.0)
            .bind(profile.account_id.0);
            let done = bind_fields(update, profile)
                .execute(&mut *tx)
                .await
                .map_err(profile_conflict)?;
            touched(&done)?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn delete_envelope_profile(&self, account: AccountId, id: ProfileId, audit: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done =
                sqlx::query("DELETE FROM envelope_profiles WHERE id = $1 AND account_id = $2 AND is_default = 0")
                    .bind(id.0)
                    .bind(account.0)
                    .run(&mut *tx)
                    .await?;
            touched(&done)?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn make_default_envelope_profile(
        &self,
        account: AccountId,
        id: ProfileId,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM envelope_profiles WHERE id = $1 AND account_id = $2")
                    .bind(id.0)
                    .bind(account.0)
                    .optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(DomainError::NotFound);
            }
            sqlx::query("UPDATE envelope_profiles SET is_default = 0 WHERE account_id = $1")
                .bind(account.0)
                .run(&mut *tx)
                .await?;
            sqlx::query("UPDATE envelope_profiles SET is_default = 1 WHERE id = $1 AND account_id = $2")
                .bind(id.0)
                .bind(account.0)
                .run(&mut *tx)
                .await?;
            tx.commit_audited(&audit).await
        })
        .await
    }
}
