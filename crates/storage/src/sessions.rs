//! Server-side sessions and login throttling: the small, hot tables every request
//! and every login touches.
//!
//! Sessions are found by the hash of the cookie value (the primary key); an expired
//! session reads as absent even before anything deletes it. Throttling keeps one
//! counter per key, bumped with a single upsert so concurrent failures all count.

use std::sync::LazyLock;

use async_trait::async_trait;
use sealpost_domain::model::{Roles, Session, SessionKind, User};
use sealpost_domain::ports::{SessionStore, StoreResult};
use sealpost_domain::types::GroupName;
use sealpost_domain::types::{Timestamp, UserId};

use crate::columns::Columns;
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{AnyQuery, SqlStore, db_error, insert_error, touched};

#[async_trait]
impl SessionStore for SqlStore {
    /// Stores a new session; `NotFound` when its user does not exist.
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.watched(async {
            bind_session(
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, kind, created_at, last_seen_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                ),
                session,
            )
            .execute(&self.pool)
            .await
            .map_err(insert_error("session"))?;
            Ok(())
        })
        .await
    }

    /// Stores a login's session in the same statement that checks the user's password
    /// hash is still the one the login verified; `NotFound` otherwise.
    async fn insert_login_session(&self, session: &Session, password_hash: &str) -> StoreResult<()> {
        self.watched(async {
            let result = bind_session(
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, kind, created_at, last_seen_at, \
                     expires_at) SELECT $1, id, $3, $4, $5, $6, $7 FROM users WHERE id = $2 AND password_hash = $8",
                ),
                session,
            )
            .bind(password_hash)
            .execute(&self.pool)
            .await
            .map_err(insert_error("session"))?;
            touched(&result)?;
            Ok(())
        })
        .await
    }

    /// The session with this id hash unless it expired at or before `now`.
    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        self.watched(session(self, id_hash, now)).await
    }

    async fn session_with_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User, Roles)>> {
        self.watched(session_with_user(self, id_hash, now)).await
    }

    /// Moves the idle expiry forward. A session ended meanwhile stays ended: no error,
    /// nothing to move.
    async fn touch_session(&self, id_hash: &str, now: Timestamp, expires_at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now.0)
                .bind(expires_at.0)
                .run(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    /// Ends one session; ending an unknown one is not an error (logging out twice).
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.watched(async {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .run(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    /// Deletes dead sessions, old login-failure counters and remembered devices
    /// past their days.
    async fn purge_stale(
        &self,
        now: Timestamp,
        oldest_allowed: Timestamp,
        throttle_before: Timestamp,
    ) -> StoreResult<u64> {
        self.watched(async {
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR created_at < $2")
                .bind(now.0)
                .bind(oldest_allowed.0)
                .run(&self.pool)
                .await?;
            let throttles = sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1")
                .bind(throttle_before.0)
                .run(&self.pool)
                .await?;
            let devices = sqlx::query("DELETE FROM remembered_devices WHERE expires_at <= $1")
                .bind(now.0)
                .run(&self.pool)
                .await?;
            let challenges = sqlx::query("DELETE FROM two_step_challenges WHERE expires_at <= $1")
                .bind(now.0)
                .run(&self.pool)
                .await?;
            let ceremonies = sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
                .bind(now.0)
                .run(&self.pool)
                .await?;
            Ok(sessions.rows_affected()
                + throttles.rows_affected()
                + devices.rows_affected()
                + challenges.rows_affected()
                + ceremonies.rows_affected())
        })
        .await
    }

    /// Failures under `key` and when the last one happened.
    async fn throttle_state(&self, key: &str) -> StoreResult<Option<(i64, Timestamp)>> {
        self.watched(async {
            let row = sqlx::query("SELECT failures, last_failure_at FROM login_throttle WHERE key = $1")
                .bind(key)
                .optional(&self.pool)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let failures: i64 = row.col("failures")?;
            let last: i64 = row.col("last_failure_at")?;
            Ok(Some((failures, Timestamp(last))))
        })
        .await
    }

    async fn throttle_states(&self, keys: &[&str]) -> StoreResult<Vec<Option<(i64, Timestamp)>>> {
        self.watched(async {
            let sql = format!(
                "SELECT key, failures, last_failure_at FROM login_throttle WHERE key IN ({})",
                crate::placeholders(1, 1, keys.len())
            );
            let rows = keys
                .iter()
                .fold(sqlx::query(&sql), |query, key| query.bind(*key))
                .all(&self.pool)
                .await?;
            let mut states = vec![None; keys.len()];
            for row in &rows {
                let key: String = row.col("key")?;
                let failures: i64 = row.col("failures")?;
                let last: i64 = row.col("last_failure_at")?;
                for (state, _) in states.iter_mut().zip(keys).filter(|(_, k)| **k == key) {
                    *state = Some((failures, Timestamp(last)));
                }
            }
            Ok(states)
        })
        .await
    }

    /// One more failure under `key`, in one atomic statement.
    async fn throttle_failure(&self, key: &str, at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            sqlx::query(
                "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, \
                 last_failure_at = excluded.last_failure_at",
            )
            .bind(key)
            .bind(at.0)
            .run(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// Forgets the failures under `key`.
    /// Most clears find nothing (a client that never failed: a mail server
    /// authenticating for each message): a read answers that without writing.
    /// Otherwise the delete takes the writer's turn like every write, rather than
    /// waiting for SQLite's lock in its busy handler.
    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.watched(async {
            let noted = sqlx::query("SELECT 1 FROM login_throttle WHERE key = $1")
                .bind(key)
                .optional(&self.pool)
                .await?;
            if noted.is_none() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                .bind(key)
                .run(&mut *tx)
                .await?;
            tx.commit().await.map_err(db_error)
        })
        .await
    }
}

/// Binds `$1`…`$7` of a session insert: id hash, user, csrf token, kind, created,
/// last seen, expires.
fn bind_session<'q>(query: AnyQuery<'q>, session: &'q Session) -> AnyQuery<'q> {
    query
        .bind(&session.id_hash)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(session.kind.as_str())
        .bind(session.created_at.0)
        .bind(session.last_seen_at.0)
        .bind(session.expires_at.0)
}

/// The session with this id hash unless it expired at or before `now`.
pub(crate) async fn session(store: &SqlStore, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id_hash = $1 AND s.expires_at > $2"
    ))
    .bind(id_hash)
    .bind(now.0)
    .optional(&store.pool)
    .await?;
    row.as_ref().map(session_from_row).transpose().map_err(db_error)
}

/// The session's columns, named apart from a joined user's.
const SESSION_COLUMNS: &str = "s.id_hash, s.user_id, s.csrf_token, s.kind, s.created_at AS session_created_at, \
     s.last_seen_at AS session_last_seen_at, s.expires_at AS session_expires_at";

/// Builds a [`Session`] from a row holding [`SESSION_COLUMNS`].
fn session_from_row(row: &impl Columns) -> Result<Session, sqlx::Error> {
    Ok(Session {
        id_hash: row.cell("id_hash")?,
        user_id: UserId(row.cell("user_id")?),
        csrf_token: row.cell("csrf_token")?,
        kind: SessionKind::from_stored(row.cell_str("kind")?),
        created_at: Timestamp(row.cell("session_created_at")?),
        last_seen_at: Timestamp(row.cell("session_last_seen_at")?),
        expires_at: Timestamp(row.cell("session_expires_at")?),
    })
}

/// The query of [`session_with_user`]: `$1` the id hash, `$2` now, `$3` the
/// account administrators' group name (the roles' `EXISTS` are answered from
/// `group_members (user_id)`).
static SESSION_WITH_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {SESSION_COLUMNS}, {USER_COLUMNS}, \
         EXISTS (SELECT 1 FROM group_members gm WHERE gm.user_id = u.id) AS is_member, \
         EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE gm.user_id = u.id AND g.builtin AND g.name = $3) AS is_account_admin \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2"
    )
});

/// The live session with this id hash, its user and the user's roles, in one
/// query: every request of a logged-in visitor asks for all three. On SQLite it
/// is answered on the calling thread ([`crate::readers`]).
pub(crate) async fn session_with_user(
    store: &SqlStore,
    id_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<(Session, User, Roles)>> {
    fn read(row: &impl Columns) -> Result<(Session, User, Roles), sqlx::Error> {
        let roles = Roles {
            member: row.cell_flag("is_member")?,
            account_admin: row.cell_flag("is_account_admin")?,
        };
        Ok((session_from_row(row)?, user_from_row(row)?, roles))
    }
    let here = store.readers.as_ref().and_then(|readers| {
        readers.read(|connection| {
            let params = rusqlite::named_params! {
                "$1": id_hash,
                "$2": now.0,
                "$3": GroupName::ACCOUNT_ADMINISTRATORS,
            };
            crate::readers::first_row(connection, &SESSION_WITH_USER, params, |row| read(row))
        })
    });
    if let Some(answer) = here {
        return answer;
    }
    let row = sqlx::query(&SESSION_WITH_USER)
        .bind(id_hash)
        .bind(now.0)
        .bind(GroupName::ACCOUNT_ADMINISTRATORS)
        .optional(&store.pool)
        .await?;
    row.as_ref().map(read).transpose().map_err(db_error)
}
