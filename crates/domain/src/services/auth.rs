//! Logging in and out, sessions, and setting passwords.
//!
//! A login with a password someone else chose opens a
//! [`SessionKind::PasswordChangeOnly`] session; only [`Services::change_password`]
//! turns it into a full one. Changing a password ends every other session.
//!
//! Throttling: each failed login counts against the pair (address, client) and
//! against the client alone. Past a threshold, further attempts from *that* client
//! wait an exponentially growing time, so a guesser is slowed to a crawl while the
//! real user, from their own client, can still log in.

use std::sync::OnceLock;

use sealpost_crypto::password::{self, Verification};
use sealpost_crypto::token;

use super::{SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS, Services, blocking};
use crate::error::{DomainError, ValidationError};
use crate::messages::SecurityNotice;
use crate::model::{Credentials, OwnProfile, Session, SessionKind, User, UserStatus};
use crate::policy::Actor;
use crate::ports::SessionStore;
use crate::types::{EmailAddress, Locale, Password, Timestamp};

/// A password change as the user typed it: their present password, and the new
/// one twice. No `Debug`: it holds secrets that must never reach a log.
#[derive(Clone, Copy)]
pub struct PasswordChange<'a> {
    pub current: &'a Password,
    pub new: &'a str,
    pub confirmation: &'a str,
}

/// Failures per (address, client) before waiting starts.
const PAIR_FREE_FAILURES: i64 = 5;
/// Failures per client before waiting starts (many people may share one address).
const CLIENT_FREE_FAILURES: i64 = 50;
/// The longest wait, in seconds.
const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// Wrong passwords per logged-in user, from any client, before retyping it (to
/// open a High profile's message) waits: a stolen session changing address gains
/// little.
const USER_FREE_FAILURES: i64 = 10;

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address, wrong password, or a user who cannot log in: one answer for all.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failures from this client; try again after this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    /// The right password of a user an operator locked: the reason and whom to
    /// contact (only the password's holder learns it).
    #[error("locked")]
    Locked(crate::model::LockNotice),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// What a right password leads to: a session, or the second step first
/// ([`super::two_step::login`]).
#[derive(Debug)]
pub enum LoginOutcome {
    Session(Box<OpenedSession>),
    SecondStep(super::two_step::login::PendingLogin),
}

/// A session just opened: the raw token goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: String,
    pub session: Session,
    pub user: User,
}

fn wait_seconds(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let exponent = u32::try_from((failures - free).min(20)).unwrap_or(20);
    2_i64.pow(exponent).min(MAX_WAIT_SECONDS)
}

/// What the throttle says before an attempt: how long it must still wait (0: it
/// may go on), and whether the pair has failures noted (only then does a success
/// have a counter to clear).
pub(super) struct ThrottleCheck {
    pub wait: i64,
    pub pair_noted: bool,
}

/// How long a login (or an SMTP `AUTH`) must still wait: the pair (address or
/// token, client) waits past its free failures, the client alone past its own;
/// and whether the pair has failures noted.
async fn throttle_check(
    sessions: &dyn SessionStore,
    pair: (&str, i64),
    client: (&str, i64),
    now: Timestamp,
) -> Result<ThrottleCheck, DomainError> {
    let states = sessions.throttle_states(&[pair.0, client.0]).await?;
    Ok(ThrottleCheck {
        wait: first_wait(&[pair, client], &states, now),
        pair_noted: states.first().is_some_and(Option::is_some),
    })
}

/// [`throttle_check`], refusing with [`LoginError::Throttled`] while a wait is owed:
/// a throttled attempt is turned away before its credentials are looked at.
pub(super) async fn throttle_admit(
    sessions: &dyn SessionStore,
    pair: (&str, i64),
    client: (&str, i64),
    now: Timestamp,
) -> Result<ThrottleCheck, LoginError> {
    let throttle = throttle_check(sessions, pair, client, now).await?;
    if throttle.wait > 0 {
        return Err(LoginError::Throttled(throttle.wait));
    }
    Ok(throttle)
}

/// The wait the first of `keys` (each with its free failures) that asks one
/// still asks; 0 when none does.
async fn keys_wait(sessions: &dyn SessionStore, keys: &[(&str, i64)], now: Timestamp) -> Result<i64, DomainError> {
    let names: Vec<&str> = keys.iter().map(|&(key, _)| key).collect();
    let states = sessions.throttle_states(&names).await?;
    Ok(first_wait(keys, &states, now))
}

/// [`keys_wait`] on the states read (`states[i]`: failures and last failure of `keys[i]`).
fn first_wait(keys: &[(&str, i64)], states: &[Option<(i64, Timestamp)>], now: Timestamp) -> i64 {
    keys.iter()
        .zip(states)
        .filter_map(|(&(_, free), state)| {
            state.map(|(failures, last)| wait_seconds(failures, free) - now.seconds_since(last))
        })
        .find(|&wait| wait > 0)
        .unwrap_or(0)
}

/// The throttle on a logged-in user retyping their password (to open a High
/// profile's message): counted per (address, client) — the very counter of the
/// login form, since the same password is being guessed — and per user from any
/// client. [`Self::for_secret`] counts the secrets presented for a No Password
/// Required message the same way.
pub(crate) struct RetypeThrottle {
    pair_key: String,
    pair_free: i64,
    other_key: String,
    other_free: i64,
    /// Whether success clears the second counter too (not a client's: one right
    /// secret must not wipe out a client's failed logins and guesses).
    clears_other: bool,
}

impl RetypeThrottle {
    pub(crate) fn new(user: &User, client: &str) -> Self {
        Self {
            pair_key: format!("pair:{}|{}", user.email, client),
            pair_free: PAIR_FREE_FAILURES,
            other_key: format!("user:{}", user.id),
            other_free: USER_FREE_FAILURES,
            clears_other: true,
        }
    }

    /// Secrets presented for the message `public_id` (hex): counted per
    /// (message, client) like an address's logins, and against the client's own
    /// login counter.
    pub(crate) fn for_secret(public_id: &str, client: &str) -> Self {
        Self {
            pair_key: format!("secret:{public_id}|{client}"),
            pair_free: PAIR_FREE_FAILURES,
            other_key: format!("client:{client}"),
            other_free: CLIENT_FREE_FAILURES,
            clears_other: false,
        }
    }

    /// Seconds still to wait before the password may be checked; 0: now.
    pub(crate) async fn wait(&self, sessions: &dyn SessionStore, now: Timestamp) -> Result<i64, DomainError> {
        keys_wait(
            sessions,
            &[(&self.pair_key, self.pair_free), (&self.other_key, self.other_free)],
            now,
        )
        .await
    }

    /// Counts a wrong password against both counters.
    pub(crate) async fn failed(&self, sessions: &dyn SessionStore, now: Timestamp) -> Result<(), DomainError> {
        sessions.throttle_failure(&self.pair_key, now).await?;
        sessions.throttle_failure(&self.other_key, now).await
    }

    /// The right password: whoever typed it knows it, so the counters start over.
    pub(crate) async fn succeeded(&self, sessions: &dyn SessionStore) -> Result<(), DomainError> {
        sessions.throttle_clear(&self.pair_key).await?;
        if self.clears_other {
            sessions.throttle_clear(&self.other_key).await?;
        }
        Ok(())
    }
}

fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY.get_or_init(|| password::dummy_hash().ok()).as_deref()
}

impl Services {
    /// Checks an address and password and opens a session; counted by outcome in
    /// `sealpost_logins_total` (success, refused, throttled, error).
    #[tracing::instrument(skip_all, fields(client = client))]
    /// A password that is right but owes a second step counts as `second_step`.
    pub async fn login(&self, email: &str, typed: &Password, client: &str) -> Result<LoginOutcome, LoginError> {
        let result = self.check_login(email, typed, client).await;
        let outcome = match &result {
            Ok(LoginOutcome::Session(_)) => "success",
            Ok(LoginOutcome::SecondStep(_)) => "second_step",
            Err(LoginError::InvalidCredentials) => "refused",
            Err(LoginError::Throttled(_)) => "throttled",
            Err(LoginError::Locked(_)) => "locked",
            Err(LoginError::Domain(_)) => "error",
        };
        metrics::counter!("sealpost_logins_total", "outcome" => outcome).increment(1);
        result
    }

    async fn check_login(&self, email: &str, typed: &Password, client: &str) -> Result<LoginOutcome, LoginError> {
        let now = self.clock.now();
        let email = EmailAddress::parse(email).map_err(|_| LoginError::InvalidCredentials)?;
        let pair_key = format!("pair:{}|{}", email, client);
        let client_key = format!("client:{client}");
        let throttle = throttle_admit(
            self.store.as_ref(),
            (&pair_key, PAIR_FREE_FAILURES),
            (&client_key, CLIENT_FREE_FAILURES),
            now,
        )
        .await?;

        let credentials = self.store.credentials_by_email(&email).await?;
        let typed_owned = typed.clone();
        let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
        // Unknown users are checked against a dummy hash so they take as long to refuse.
        let verdict = blocking(move || match stored {
            Some(hash) => password::verify(typed_owned.expose(), &hash),
            None => {
                if let Some(dummy) = dummy_hash() {
                    password::verify(typed_owned.expose(), dummy);
                }
                Verification::Mismatch
            }
        })
        .await?;

        let (user, mut checked_hash) = match (credentials, verdict) {
            (
                Some(Credentials {
                    user,
                    password_hash: Some(hash),
                }),
                Verification::Match | Verification::MatchNeedsRehash,
            ) if user.status == UserStatus::Active => (user, hash),
            (Some(Credentials { user, .. }), Verification::Match | Verification::MatchNeedsRehash)
                if user.status == UserStatus::Locked
                    && let Some(notice) = self.lock_notice(user.id).await? =>
            {
                let mut event = self.event(None, None, "session.login", email.as_str(), Some(client));
                event.outcome = "refused: locked".to_owned();
                self.store.record_audit(event).await?;
                return Err(LoginError::Locked(notice));
            }
            _ => {
                self.store.throttle_failure(&pair_key, now).await?;
                self.store.throttle_failure(&client_key, now).await?;
                let mut event = self.event(None, None, "session.login", email.as_str(), Some(client));
                event.outcome = "refused".to_owned();
                self.store.record_audit(event).await?;
                return Err(LoginError::InvalidCredentials);
            }
        };
        if verdict == Verification::MatchNeedsRehash {
            let typed_owned = typed.clone();
            if let Ok(Ok(hash)) = blocking(move || password::hash(typed_owned.expose())).await {
                match self.store.upgrade_password_hash(user.id, &checked_hash, &hash).await {
                    Ok(()) => checked_hash = hash,
                    // The password changed meanwhile; the session check below refuses.
                    Err(DomainError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if throttle.pair_noted {
            self.store.throttle_clear(&pair_key).await?;
        }
        if let Some(purpose) = self.second_step_due(&user).await? {
            let pending = self.open_challenge(&user, purpose, &checked_hash).await?;
            return Ok(LoginOutcome::SecondStep(pending));
        }
        self.store.record_login_from(user.id, now, client).await?;
        let actor = Actor::acting(user.clone());
        self.store
            .record_audit(self.event(Some(&actor), None, "session.login", email.as_str(), Some(client)))
            .await?;
        let kind = if user.must_change_password {
            SessionKind::PasswordChangeOnly
        } else {
            SessionKind::Full
        };
        let opened = self.new_session(user, kind)?;
        // Only if the password is still the one just checked: a login that raced a
        // password change (which ended every session) must not outlive it.
        match self.store.insert_login_session(&opened.session, &checked_hash).await {
            Ok(()) => {
                self.store.note_session_client(&opened.session.id_hash, client).await?;
                Ok(LoginOutcome::Session(Box::new(opened)))
            }
            Err(DomainError::NotFound) => Err(LoginError::InvalidCredentials),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn open_session(&self, user: User, kind: SessionKind) -> Result<OpenedSession, DomainError> {
        let opened = self.new_session(user, kind)?;
        self.store.insert_session(&opened.session).await?;
        Ok(opened)
    }

    /// A fresh session for `user`, not yet stored.
    pub(crate) fn new_session(&self, user: User, kind: SessionKind) -> Result<OpenedSession, DomainError> {
        let now = self.clock.now();
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        let session = Session {
            id_hash: token::hash_token(&raw),
            user_id: user.id,
            csrf_token: token::random_token(32).map_err(DomainError::internal)?,
            kind,
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_seconds(SESSION_IDLE_SECONDS),
        };
        Ok(OpenedSession {
            token: raw,
            session,
            user,
        })
    }

    /// The live session behind a cookie value, with its user; `None` when expired,
    /// ended, or the user can no longer log in. Extends the idle expiry.
    pub async fn resume_session(&self, raw_token: &str) -> Result<Option<(Session, Actor)>, DomainError> {
        let now = self.clock.now();
        let id_hash = token::hash_token(raw_token);
        let Some((session, user, roles)) = self.store.session_with_user(&id_hash, now).await? else {
            return Ok(None);
        };
        if now.seconds_since(session.created_at) > SESSION_ABSOLUTE_SECONDS {
            self.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        if user.status != UserStatus::Active {
            self.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        // Write at most once a minute: reads stay reads.
        if now.seconds_since(session.last_seen_at) >= 60 {
            let touched = self
                .store
                .touch_session(&id_hash, now, now.plus_seconds(SESSION_IDLE_SECONDS))
                .await;
            // On a full disk the session stays as it was (it still has its idle
            // time), so pages that only read keep working.
            match touched {
                Ok(()) | Err(DomainError::Unavailable(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(Some((session, Actor { user, roles })))
    }

    /// The actor for a stored user, for the CLI and scripts, which run with the
    /// service's own authority. A web request's actor comes from its session
    /// ([`Services::resume_session`]), never from here.
    pub async fn act_as(&self, user: crate::types::UserId) -> Result<Actor, DomainError> {
        Ok(Actor::acting(self.store.user_by_id(user).await?))
    }

    /// Ends the session behind a cookie value.
    pub async fn logout(&self, raw_token: &str) -> Result<(), DomainError> {
        self.store.delete_session(&token::hash_token(raw_token)).await
    }

    /// Ends a session known by its id hash (the one the visitor's cookie named).
    pub async fn end_session(&self, session: &Session) -> Result<(), DomainError> {
        self.store.delete_session(&session.id_hash).await
    }

    /// Sets a new password chosen by the user themself. `change.current` must be
    /// their present password; the new one must pass the policy and differ from it.
    /// Every session of the user ends; a fresh full session is returned. The user is
    /// told by mail, unless the password replaced was a temporary one someone else
    /// chose: in their language (else `locale`) and time zone, or in those of
    /// `saved_with`, the profile the same form saves, since they may have just
    /// chosen them.
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn change_password(
        &self,
        actor: &Actor,
        change: PasswordChange<'_>,
        locale: Locale,
        saved_with: Option<&OwnProfile>,
        client: &str,
    ) -> Result<OpenedSession, DomainError> {
        let PasswordChange {
            current,
            new,
            confirmation,
        } = change;
        let user = &actor.user;
        let credentials = self
            .store
            .credentials_by_email(&user.email)
            .await?
            .ok_or(DomainError::NotFound)?;
        let stored = credentials.password_hash.unwrap_or_default();
        let current_owned = current.clone();
        let stored_for_current = stored.clone();
        let current_ok = blocking(move || password::verify(current_owned.expose(), &stored_for_current)).await?;
        if current_ok == Verification::Mismatch {
            return Err(ValidationError::CurrentPasswordWrong.into());
        }
        let new = Password::new_checked(new, confirmation, &user.email)?;
        let new_for_check = new.clone();
        let hash = blocking(move || {
            if password::verify(new_for_check.expose(), &stored) != Verification::Mismatch {
                return Err(DomainError::Validation(ValidationError::PasswordUnchanged));
            }
            password::hash(new_for_check.expose()).map_err(DomainError::internal)
        })
        .await??;
        let event = self.event(
            Some(actor),
            None,
            "user.password_changed",
            user.email.as_str(),
            Some(client),
        );
        let notice = if user.must_change_password {
            None
        } else {
            let reader = match saved_with {
                Some(profile) => User {
                    locale: profile.locale,
                    time_zone: profile.time_zone.clone(),
                    ..user.clone()
                },
                None => user.clone(),
            };
            Some(self.security_notice(SecurityNotice::PasswordChanged, &reader, locale)?)
        };
        self.store
            .set_password(user.id, &hash, false, notice.as_ref(), event)
            .await?;
        if notice.is_some() {
            self.messaging().outbox_waker.notify_one();
        }
        self.open_session(user.clone(), SessionKind::Full).await
    }
}

impl Services {
    /// Deletes sessions past their idle or absolute limit, login-failure counters
    /// untouched for a day (their waits have long run out) and remembered devices
    /// past their days. Returns rows deleted.
    pub async fn purge_stale_sessions(&self) -> Result<u64, DomainError> {
        let now = self.clock.now();
        self.store
            .purge_stale(
                now,
                now.plus_seconds(-SESSION_ABSOLUTE_SECONDS),
                now.plus_seconds(-24 * 60 * 60),
            )
            .await
    }
}

/// Whether `typed` matches the `stored` hash, checked off the executor (an
/// empty hash matches nothing).
pub(crate) async fn verify_off_executor(typed: Password, stored: String) -> Result<bool, DomainError> {
    Ok(blocking(move || password::verify(typed.expose(), &stored)).await? != Verification::Mismatch)
}

/// [`Password::new_checked`] for a form whose password field is `field`: a
/// mismatch is the error of its `confirm_password` field, any other problem that
/// of `field`.
pub(crate) fn new_password(
    field: &'static str,
    typed: &str,
    confirmation: &str,
    username: &EmailAddress,
) -> Result<Password, DomainError> {
    Password::new_checked(typed, confirmation, username).map_err(|e| {
        let field = if e == ValidationError::PasswordMismatch {
            "confirm_password"
        } else {
            field
        };
        DomainError::invalid(field, e)
    })
}

/// Hashes a password off the executor (for creating users).
pub(crate) async fn hash_password(password: &Password) -> Result<String, DomainError> {
    let owned = password.clone();
    blocking(move || password::hash(owned.expose()))
        .await?
        .map_err(DomainError::internal)
}

/// Seconds a client must still wait, exposed for tests of the policy.
pub fn throttle_wait_seconds(failures: i64, last_failure: Timestamp, now: Timestamp) -> i64 {
    (wait_seconds(failures, PAIR_FREE_FAILURES) - now.seconds_since(last_failure)).max(0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::model::Roles;
    use crate::ports::StoreResult;

    /// Seconds a login must still wait: the pair (address, client) waits past
    /// [`PAIR_FREE_FAILURES`] failures, the client alone past [`CLIENT_FREE_FAILURES`];
    /// 0 when it may try now.
    async fn throttle_wait(
        sessions: &dyn SessionStore,
        pair: &str,
        client: &str,
        now: Timestamp,
    ) -> Result<i64, DomainError> {
        let check = throttle_check(
            sessions,
            (pair, PAIR_FREE_FAILURES),
            (client, CLIENT_FREE_FAILURES),
            now,
        )
        .await?;
        Ok(check.wait)
    }

    /// The login throttle in memory: failure counters only, no sessions.
    #[derive(Default)]
    struct FakeThrottle(Mutex<HashMap<String, (i64, Timestamp)>>);

    impl FakeThrottle {
        fn counters(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Timestamp)>> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    #[async_trait]
    impl SessionStore for FakeThrottle {
        async fn insert_session(&self, _session: &Session) -> StoreResult<()> {
            Ok(())
        }
        async fn insert_login_session(&self, _session: &Session, _password_hash: &str) -> StoreResult<()> {
            Ok(())
        }
        async fn session(&self, _id_hash: &str, _now: Timestamp) -> StoreResult<Option<Session>> {
            Ok(None)
        }
        async fn session_with_user(
            &self,
            _id_hash: &str,
            _now: Timestamp,
        ) -> StoreResult<Option<(Session, User, Roles)>> {
            Ok(None)
        }
        async fn touch_session(&self, _id_hash: &str, _now: Timestamp, _expires_at: Timestamp) -> StoreResult<()> {
            Ok(())
        }
        async fn delete_session(&self, _id_hash: &str) -> StoreResult<()> {
            Ok(())
        }
        async fn purge_stale(&self, _now: Timestamp, _oldest: Timestamp, _throttle: Timestamp) -> StoreResult<u64> {
            Ok(0)
        }
        async fn throttle_state(&self, key: &str) -> StoreResult<Option<(i64, Timestamp)>> {
            Ok(self.counters().get(key).copied())
        }
        async fn throttle_failure(&self, key: &str, at: Timestamp) -> StoreResult<()> {
            let mut counters = self.counters();
            let counter = counters.entry(key.to_owned()).or_insert((0, at));
            *counter = (counter.0 + 1, at);
            Ok(())
        }
        async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
            self.counters().remove(key);
            Ok(())
        }
    }

    /// Five failures on one client make that client wait for the address, while the
    /// real user on another client is not held up; fifty failures on one client make
    /// it wait for every address.
    #[tokio::test]
    async fn a_guessing_client_waits_while_the_real_user_elsewhere_does_not() -> Result<(), DomainError> {
        let throttle = FakeThrottle::default();
        let now = Timestamp(1_000_000);
        for _ in 0..PAIR_FREE_FAILURES {
            throttle.throttle_failure("pair:ann@example.com|guesser", now).await?;
            throttle.throttle_failure("client:guesser", now).await?;
        }
        let guesser = throttle_wait(&throttle, "pair:ann@example.com|guesser", "client:guesser", now).await?;
        assert_eq!(guesser, 1, "the guessing client waits for Ann's address");
        let ann = throttle_wait(&throttle, "pair:ann@example.com|ann", "client:ann", now).await?;
        assert_eq!(ann, 0, "Ann on her own client is not held up");
        let later = throttle_wait(
            &throttle,
            "pair:ann@example.com|guesser",
            "client:guesser",
            now.plus_seconds(1),
        )
        .await?;
        assert_eq!(later, 0, "the wait runs out");

        for _ in PAIR_FREE_FAILURES..CLIENT_FREE_FAILURES {
            throttle.throttle_failure("client:guesser", now).await?;
        }
        let other = throttle_wait(&throttle, "pair:bob@example.com|guesser", "client:guesser", now).await?;
        assert_eq!(other, 1, "past fifty failures the client waits for any address");
        throttle.throttle_clear("pair:ann@example.com|guesser").await?;
        let cleared = throttle_wait(&throttle, "pair:ann@example.com|guesser", "client:ann", now).await?;
        assert_eq!(cleared, 0, "a success clears the pair's counter");
        Ok(())
    }

    #[test]
    fn waiting_starts_after_free_failures_and_is_capped() {
        assert_eq!(wait_seconds(4, PAIR_FREE_FAILURES), 0);
        assert_eq!(wait_seconds(5, PAIR_FREE_FAILURES), 1);
        assert_eq!(wait_seconds(8, PAIR_FREE_FAILURES), 8);
        assert_eq!(wait_seconds(40, PAIR_FREE_FAILURES), MAX_WAIT_SECONDS);
        assert_eq!(throttle_wait_seconds(8, Timestamp(0), Timestamp(3_000)), 5);
    }
}
