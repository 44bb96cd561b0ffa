//! Users and operators: inserting, looking up, passwords, and the paged users list.
//!
//! Addresses arrive lower-cased (the domain's `EmailAddress` guarantees it), so the
//! plain UNIQUE index on `users.email` is a case-insensitive uniqueness rule and
//! serves both the look-ups and the list. The list pages by keyset (`email > after`)
//! and searches a prefix as a range (`email >= prefix AND email < prefix+1`, and
//! the same on `lower(first_name)` and `lower(last_name)`, indexed by 0030 over the
//! users not deleted, with address and status, so the range is read from the index
//! alone), so a page costs the same on the first screen and the thousandth, with
//! any number of users; its total is a `COUNT(*)` over the same conditions, counted up to
//! [`USERS_COUNTED_UP_TO`] + 1 rows.

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::NewOutboxItem;
use sealpost_domain::model::{
    AuditEvent, Credentials, NewUser, OwnProfile, User, UserPage, UserQuery, UserStatus, UserStatusFilter,
    UserVisibility,
};
use sealpost_domain::ports::{StoreResult, UserStore};
use sealpost_domain::services::users::USERS_COUNTED_UP_TO;
use sealpost_domain::types::{AccountId, EmailAddress, Locale, TimeZoneName, Timestamp, UserId};
use sqlx::Row;

use crate::columns::{Columns, from_rows};
use crate::outbox::insert_item;
use crate::statements::{Fetch, Run};
use crate::{AnyQuery, SqlStore, audit, db_error, insert_error, limit, touched};

/// The columns [`user_from_row`] reads, for any query that aliases `users` as `u`.
pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.first_name, u.last_name, u.status, \
     u.must_change_password, u.locale, u.created_at, u.created_by, u.last_login_at, \
     u.mailbox_verified_at, u.time_zone, EXISTS (SELECT 1 FROM operators o WHERE o.user_id = u.id) AS is_operator";

/// [`USER_COLUMNS`] named apart (`sender_…`), for a query that also reads another
/// table's `id`, `email` or `created_at`; read with [`sender_from_row`].
pub(crate) const SENDER_COLUMNS: &str = "u.id AS sender_id_, u.email AS sender_email_, \
     u.first_name AS sender_first_name_, u.last_name AS sender_last_name_, u.status AS sender_status_, \
     u.must_change_password AS sender_must_change_password_, u.locale AS sender_locale_, \
     u.created_at AS sender_created_at_, u.created_by AS sender_created_by_, \
     u.last_login_at AS sender_last_login_at_, u.mailbox_verified_at AS sender_mailbox_verified_at_, \
     u.time_zone AS sender_time_zone_, \
     EXISTS (SELECT 1 FROM operators o WHERE o.user_id = u.id) AS sender_is_operator_";

/// Builds a [`User`] from a row holding [`USER_COLUMNS`].
pub(crate) fn user_from_row(row: &impl Columns) -> Result<User, sqlx::Error> {
    read_user(row, std::borrow::Cow::Borrowed)
}

/// Builds a [`User`] from a row holding [`SENDER_COLUMNS`].
pub(crate) fn sender_from_row(row: &impl Columns) -> Result<User, sqlx::Error> {
    read_user(row, |name| std::borrow::Cow::Owned(format!("sender_{name}_")))
}

/// Reads a user's columns, each under the name `column` gives it.
fn read_user(
    row: &impl Columns,
    column: impl Fn(&'static str) -> std::borrow::Cow<'static, str>,
) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.cell(&column("id"))?),
        email: EmailAddress::from_trusted(row.cell(&column("email"))?),
        first_name: row.cell(&column("first_name"))?,
        last_name: row.cell(&column("last_name"))?,
        status: UserStatus::from_stored(row.cell_str(&column("status"))?),
        must_change_password: row.cell_flag(&column("must_change_password"))?,
        locale: row
            .cell::<Option<String>>(&column("locale"))?
            .as_deref()
            .and_then(Locale::from_tag),
        time_zone: TimeZoneName::from_stored(row.cell::<Option<String>>(&column("time_zone"))?.as_deref()),
        operator: row.cell_flag(&column("is_operator"))?,
        created_at: Timestamp(row.cell(&column("created_at"))?),
        created_by: row.cell::<Option<i64>>(&column("created_by"))?.map(UserId),
        last_login_at: row.cell::<Option<i64>>(&column("last_login_at"))?.map(Timestamp),
        mailbox_verified_at: row.cell::<Option<i64>>(&column("mailbox_verified_at"))?.map(Timestamp),
    })
}

#[async_trait]
impl UserStore for SqlStore {
    /// Inserts the user and, when given, its audit event, in one transaction.
    async fn insert_user(&self, user: NewUser, event: Option<AuditEvent>) -> StoreResult<User> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, first_name, last_name, password_hash, status, \
                 must_change_password, locale, created_by, created_at, mailbox_verified_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(user.email.as_str())
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(user.password_hash.as_deref())
            .bind(user.status.as_str())
            .bind(user.must_change_password)
            .bind(user.locale.map(Locale::tag))
            .bind(user.created_by.map(|u| u.0))
            .bind(user.created_at.0)
            .bind(user.mailbox_verified_at.map(|t| t.0))
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_error("email"))?;
            if let Some(event) = &event {
                audit::insert_event(&mut tx, event).await?;
            }
            tx.commit().await.map_err(db_error)?;
            Ok(User {
                id: UserId(id),
                email: user.email,
                first_name: user.first_name,
                last_name: user.last_name,
                status: user.status,
                must_change_password: user.must_change_password,
                locale: user.locale,
                time_zone: None,
                operator: false,
                created_at: user.created_at,
                created_by: user.created_by,
                last_login_at: None,
                mailbox_verified_at: user.mailbox_verified_at,
            })
        })
        .await
    }

    /// `NotFound` when no user has this id.
    async fn user_by_id(&self, id: UserId) -> StoreResult<User> {
        self.watched(async {
            let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
                .bind(id.0)
                .one(&self.pool)
                .await?;
            user_from_row(&row).map_err(db_error)
        })
        .await
    }

    /// `None` when nobody has this (lower-cased) address.
    async fn user_by_email(&self, email: &EmailAddress) -> StoreResult<Option<User>> {
        self.watched(async {
            let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"))
                .bind(email.as_str())
                .optional(&self.pool)
                .await?;
            row.as_ref().map(user_from_row).transpose().map_err(db_error)
        })
        .await
    }

    /// The user with their password hash; the only query that reads the hash.
    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
            ))
            .bind(email.as_str())
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            Ok(Some(Credentials {
                user: user_from_row(&row).map_err(db_error)?,
                password_hash: row.col("password_hash")?,
            }))
        })
        .await
    }

    /// New hash, active, every session ended, and the event: all or nothing, so a
    /// stolen session cannot outlive the password change that was meant to end it.
    async fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        notice: Option<&NewOutboxItem>,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE users SET password_hash = $2, must_change_password = $3, status = 'active' \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(hash)
            .bind(must_change)
            .run(&mut *tx)
            .await?;
            touched(&updated)?;
            for sql in [
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM remembered_devices WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind(id.0).run(&mut *tx).await?;
            }
            // A reset link mailed before this change must not set yet another password.
            sqlx::query(
                "DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = 'password_reset' AND used_at IS NULL",
            )
            .bind(id.0)
            .run(&mut *tx)
            .await?;
            if let Some(notice) = notice {
                insert_item(&mut tx, notice).await?;
            }
            tx.commit_audited(&event).await
        })
        .await
    }

    /// A stronger hash of the same password: sessions stay. Only replaces `replaced`,
    /// so that a password changed since the login read it stays changed.
    async fn upgrade_password_hash(&self, id: UserId, replaced: &str, hash: &str) -> StoreResult<()> {
        self.watched(async {
            update_user(
                self,
                "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
                id,
                |q| q.bind(replaced.to_owned()).bind(hash.to_owned()),
            )
            .await
        })
        .await
    }

    /// Remembers when the user last logged in.
    async fn record_login(&self, id: UserId, at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            update_user(self, "UPDATE users SET last_login_at = $2 WHERE id = $1", id, |q| {
                q.bind(at.0)
            })
            .await
        })
        .await
    }

    /// Sets or clears the user's own language.
    async fn set_user_locale(&self, id: UserId, locale: Option<Locale>) -> StoreResult<()> {
        self.watched(async {
            update_user(self, "UPDATE users SET locale = $2 WHERE id = $1", id, |q| {
                q.bind(locale.map(Locale::tag))
            })
            .await
        })
        .await
    }

    /// Saves the names, language and time zone and the audit event in one transaction.
    async fn set_own_profile(&self, id: UserId, profile: &OwnProfile, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE users SET first_name = $2, last_name = $3, locale = $4, time_zone = $5 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&profile.first_name)
            .bind(&profile.last_name)
            .bind(profile.locale.map(Locale::tag))
            .bind(profile.time_zone.as_ref().map(|z| z.as_str().to_owned()))
            .run(&mut *tx)
            .await?;
            touched(&updated)?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// Granting twice or revoking from a non-operator is not an error: the end state is
    /// what was asked for. An unknown user is `NotFound`.
    async fn set_operator(&self, id: UserId, operator: bool, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1")
                .bind(id.0)
                .optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(DomainError::NotFound);
            }
            let sql = if operator {
                "INSERT INTO operators (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING"
            } else {
                "DELETE FROM operators WHERE user_id = $1"
            };
            sqlx::query(sql).bind(id.0).run(&mut *tx).await?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// Every user, operators included.
    async fn count_users(&self) -> StoreResult<i64> {
        self.watched(async { sqlx::query_scalar("SELECT COUNT(*) FROM users").one(&self.pool).await })
            .await
    }

    /// A page of users in address order, fetching one row more than asked to learn
    /// whether a next page exists, and how many match in all.
    ///
    /// Operators walk the `users.email` index (or `users_by_status` when filtered).
    /// Administrators see members of any group of their accounts, the recipients of
    /// their messages and the users they created: the page is merged from the first
    /// `limit + 1` addresses of each group (index `group_members (group_id,
    /// user_email)`), of their created users (index `users (created_by, email)`) and
    /// of their accounts' recipients, so it costs the same whether their accounts hold
    /// ten users or all of them. Deleted users are never listed.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<UserPage> {
        self.watched(async {
            let groups = match &query.visibility {
                UserVisibility::All => Vec::new(),
                UserVisibility::Administrator { accounts, .. } => account_groups(self, accounts).await?,
            };
            let (count_args, count_sql) = users_sql(query, &groups, true);
            let total = count_args.count(self, &count_sql).await?;
            let (args, sql) = users_sql(query, &groups, false);
            let mut users = args.fetch_users(self, &sql).await?;
            let wanted = usize::try_from(query.limit).unwrap_or(usize::MAX);
            let next_after = if users.len() > wanted {
                users.truncate(wanted);
                users.last().map(|u| u.email.as_str().to_owned())
            } else {
                None
            };
            Ok(UserPage {
                users,
                next_after,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
    }
}

/// The users list's page query (`count` false: one page, `limit + 1` rows, after
/// the keyset) or its total (`count` true), with exactly the arguments it names.
fn users_sql(query: &UserQuery, groups: &[i64], count: bool) -> (Args, String) {
    let mut args = Args::default();
    let fetch = if count {
        String::new()
    } else {
        args.push(Arg::Int(limit(query.limit) + 1))
    };
    let filter = UserFilter::new(query, !count, &mut args);
    // Ordered and limited for a page; neither for a count.
    let page = |column: &str| {
        if count {
            String::new()
        } else {
            format!("{} ORDER BY {column} LIMIT {fetch}", filter.after_column(column))
        }
    };
    let sql = match &query.visibility {
        UserVisibility::All => {
            if count {
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 AS one FROM users u WHERE 1 = 1{} LIMIT {}) AS counted",
                    filter.on("u"),
                    COUNTED_UP_TO + 1
                )
            } else if filter.from.is_some() {
                // One index range per column (address, first name, last name), each
                // cut to a page in address order, merged: an `OR` of the three
                // would walk the whole address index.
                let branches: Vec<String> = filter
                    .ranges("u")
                    .iter()
                    .enumerate()
                    .map(|(i, range)| {
                        if i == 0 {
                            // The address: its range is already in address order.
                            format!(
                                "SELECT id FROM (SELECT u.id FROM users u WHERE {range}{}{}) AS s{i}",
                                filter.base("u"),
                                page("u.email")
                            )
                        } else {
                            // A name: its range read from its index (0030, which
                            // holds address, status and id), then sorted. The inner
                            // LIMIT keeps PostgreSQL's generic plan of this prepared
                            // statement from walking the address index instead,
                            // which reads every user when no name matches.
                            format!(
                                "SELECT id FROM (SELECT f.id FROM (SELECT u.id, u.email FROM users u \
                                 WHERE {range}{}{} LIMIT {NAME_RANGE_FENCE}) AS f ORDER BY f.email LIMIT {fetch}) AS s{i}",
                                filter.base("u"),
                                filter.after_column("u.email"),
                            )
                        }
                    })
                    .collect();
                format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id IN ({}) ORDER BY u.email LIMIT {fetch}",
                    branches.join(" UNION ")
                )
            } else {
                format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE 1 = 1{}{}",
                    filter.on("u"),
                    page("u.email")
                )
            }
        }
        UserVisibility::Administrator { accounts, creator } => {
            let creator = args.push(Arg::Int(creator.0));
            let accounts: Vec<String> = accounts.iter().map(|a| args.push(Arg::Int(a.0))).collect();
            let accounts = if accounts.is_empty() {
                "NULL".to_owned()
            } else {
                accounts.join(", ")
            };
            let mut ranges = vec![
                format!(
                    "SELECT id FROM (SELECT c.id FROM users c WHERE c.created_by = {creator}{}{}) AS created",
                    filter.on("c"),
                    page("c.email")
                ),
                format!(
                    "SELECT id FROM (SELECT c.id FROM users c WHERE c.email IN (SELECT mr.email \
                     FROM messages m JOIN message_recipients mr ON mr.message_id = m.id \
                     WHERE m.account_id IN ({accounts})){}{}) AS received",
                    filter.on("c"),
                    page("c.email")
                ),
            ];
            // Deleted users are in no group: only a status or a search needs the user.
            let (join, on) = if filter.status.is_some() || filter.from.is_some() {
                (" JOIN users c ON c.id = gm.user_id", filter.on("c"))
            } else {
                ("", String::new())
            };
            if count || groups.len() > MAX_GROUP_RANGES {
                ranges.push(format!(
                    "SELECT user_id FROM (SELECT gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id\
                     {join} WHERE g.account_id IN ({accounts}){on}{}) AS members",
                    page("gm.user_email")
                ));
            } else {
                for (i, group) in groups.iter().enumerate() {
                    let group = args.push(Arg::Int(*group));
                    ranges.push(format!(
                        "SELECT user_id FROM (SELECT gm.user_id FROM group_members gm{join} \
                         WHERE gm.group_id = {group}{on}{}) AS g{i}",
                        page("gm.user_email")
                    ));
                }
            }
            if count {
                format!(
                    "SELECT COUNT(*) FROM (SELECT id FROM ({}) AS visible LIMIT {}) AS counted",
                    ranges.join(" UNION "),
                    COUNTED_UP_TO + 1
                )
            } else {
                format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id IN ({}) ORDER BY u.email LIMIT {fetch}",
                    ranges.join(" UNION ")
                )
            }
        }
    };
    (args, sql)
}

/// Runs one `UPDATE … WHERE id = $1` and answers `NotFound` when no user has the id.
async fn update_user(
    store: &SqlStore,
    sql: &str,
    id: UserId,
    bind: impl for<'q> FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
) -> StoreResult<()> {
    let result = bind(sqlx::query(sql).bind(id.0)).run(&store.pool).await?;
    touched(&result)?;
    Ok(())
}

/// One bound value of a query assembled at run time.
enum Arg {
    Text(String),
    Int(i64),
}

/// The arguments of a query assembled at run time, numbering placeholders as they
/// come. A placeholder may be used several times in the SQL; it is bound once.
#[derive(Default)]
struct Args(Vec<Arg>);

impl Args {
    /// Adds an argument and returns its placeholder (`$3`).
    fn push(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }

    /// Binds these arguments to `query`, each placeholder once.
    fn bind<'q>(&'q self, mut query: AnyQuery<'q>) -> AnyQuery<'q> {
        for arg in &self.0 {
            query = match arg {
                Arg::Text(text) => query.bind(text.as_str()),
                Arg::Int(int) => query.bind(*int),
            };
        }
        query
    }

    /// Runs `sql` with these arguments and reads the users it selects.
    async fn fetch_users(&self, store: &SqlStore, sql: &str) -> StoreResult<Vec<User>> {
        let rows = self.bind(sqlx::query(sql)).all(&store.pool).await?;
        from_rows(&rows, user_from_row)
    }

    /// Runs the `COUNT(*)` query `sql` with these arguments.
    async fn count(&self, store: &SqlStore, sql: &str) -> StoreResult<i64> {
        let row = self.bind(sqlx::query(sql)).one(&store.pool).await?;
        row.try_get::<i64, _>(0).map_err(db_error)
    }
}

/// The smallest string greater than every string that starts with `prefix`: the
/// prefix with its last character incremented (dropping characters that cannot be).
/// `None` when no such bound exists, and the range is open-ended.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The conditions of a users query (not deleted, status, search; continue after),
/// written once as placeholders and applied to whichever table alias holds the user.
struct UserFilter {
    status: Option<String>,
    after: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

impl UserFilter {
    /// `keyset`: whether the query continues after `query.after` (a page does, a
    /// count does not).
    fn new(query: &UserQuery, keyset: bool, args: &mut Args) -> Self {
        let status = match query.status {
            UserStatusFilter::Any => None,
            UserStatusFilter::Only(status) => Some(args.push(Arg::Text(status.as_str().to_owned()))),
        };
        let after = query.after.clone().filter(|_| keyset).map(|a| args.push(Arg::Text(a)));
        let prefix = query.prefix.as_deref().filter(|p| !p.is_empty());
        let from = prefix.map(|p| args.push(Arg::Text(p.to_owned())));
        let until = prefix.and_then(prefix_upper_bound).map(|u| args.push(Arg::Text(u)));
        Self {
            status,
            after,
            from,
            until,
        }
    }

    /// `AND u.deleted_at IS NULL AND u.status = $s`, as far as asked.
    fn base(&self, alias: &str) -> String {
        let mut sql = format!(" AND {alias}.deleted_at IS NULL");
        if let Some(status) = &self.status {
            sql.push_str(&format!(" AND {alias}.status = {status}"));
        }
        sql
    }

    /// The prefix's range on the address, the first and the last name (none
    /// without a search): ranges the indexes on each answer directly (unlike
    /// `LIKE`); names compare case-folded (ASCII, as `lower` does on both).
    fn ranges(&self, alias: &str) -> Vec<String> {
        let Some(from) = &self.from else {
            return Vec::new();
        };
        let range = |column: String| match &self.until {
            Some(until) => format!("({column} >= {from} AND {column} < {until})"),
            None => format!("{column} >= {from}"),
        };
        vec![
            range(format!("{alias}.email")),
            range(format!("lower({alias}.first_name)")),
            range(format!("lower({alias}.last_name)")),
        ]
    }

    /// [`Self::base`] and, with a search, any of [`Self::ranges`].
    fn on(&self, alias: &str) -> String {
        let mut sql = self.base(alias);
        let ranges = self.ranges(alias);
        if !ranges.is_empty() {
            sql.push_str(&format!(" AND ({})", ranges.join(" OR ")));
        }
        sql
    }

    /// `AND column > $after` (keyset pagination), when continuing.
    fn after_column(&self, column: &str) -> String {
        match &self.after {
            Some(after) => format!(" AND {column} > {after}"),
            None => String::new(),
        }
    }
}

/// The Users list counts its matches up to one more than this: past it the page
/// says "more than" (an exact count of 100,000 rows costs a scan of them all).
const COUNTED_UP_TO: u64 = USERS_COUNTED_UP_TO;

/// A LIMIT no range reaches, which only fences a subquery off from the ORDER BY
/// around it (see the name branches of [`users_sql`]).
const NAME_RANGE_FENCE: i64 = 1_000_000_000_000;

/// Past this many groups, an administrator's users list walks the address index and
/// filters instead of merging one index range per group (SQLite allows at most 500
/// terms in one compound SELECT).
const MAX_GROUP_RANGES: usize = 100;

/// The ids of every group of these accounts.
async fn account_groups(store: &SqlStore, accounts: &[AccountId]) -> StoreResult<Vec<i64>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM groups WHERE account_id IN ({}) ORDER BY id",
        crate::placeholders(1, 1, accounts.len())
    );
    let mut query = sqlx::query_scalar(&sql);
    for account in accounts {
        query = query.bind(account.0);
    }
    query.all(&store.pool).await
}
