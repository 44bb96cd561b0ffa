//! What a recipient's pages show of the sending account, kept in memory for a
//! few seconds: its settings (which answers it still allows), whether it may
//! send (suspended or deleted accounts offer no answers) and its branding.
//!
//! Every view of a message needs these, and they change rarely: reading them
//! each time cost four queries a view (settings twice, the account, the logo).
//! An [`AccountLook`] is read once and kept for [`ACCOUNT_LOOK_SECONDS`]; every
//! write through the services that changes one of its parts (settings, logo,
//! suspension, deletion) forgets it at once, so on one node a change shows on
//! the next page. Another node (or the console, a process of its own) changes
//! the database without telling this one: its change shows here within
//! [`ACCOUNT_LOOK_SECONDS`].
//!
//! Only what recipients are *shown* comes from here (their pages, and the
//! branding of the notification a new message sends them). Every decision that
//! matters is taken on fresh reads: sending (compose, answers, the gateway) asks
//! [`Services::ensure_account_may_send`] and clamps with freshly read settings,
//! a read receipt is decided on fresh settings, administrators' tabs read the
//! store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::Services;
use crate::branding::{Branding, Logo};
use crate::error::DomainError;
use crate::settings::AccountSettings;
use crate::types::{AccountId, Timestamp};

/// How long an [`AccountLook`] is used after it was read, at most: the delay
/// with which another node's (or the console's) change shows on this one.
pub const ACCOUNT_LOOK_SECONDS: i64 = 5;
/// The most accounts kept at once.
const ACCOUNT_LOOKS_KEPT: usize = 4096;

/// An account as its recipients' pages show it.
#[derive(Debug, Clone, Default)]
pub struct AccountLook {
    /// The settings (`None` fields: the service's default).
    pub settings: AccountSettings,
    /// Neither suspended nor deleted: its messages may offer answers.
    pub may_send: bool,
    /// Display name, colour and logo.
    pub branding: Branding,
}

/// The looks read in the last [`ACCOUNT_LOOK_SECONDS`], by account, each with
/// when it was read and the generation it was read in. Forgetting an account
/// bumps the generation, so a read that started before a write and finishes
/// after it is not kept.
#[derive(Debug, Default)]
pub(crate) struct AccountLooks {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    looks: HashMap<AccountId, (Arc<AccountLook>, Timestamp)>,
    generation: u64,
}

impl AccountLooks {
    fn get(&self, account: AccountId, now: Timestamp) -> Result<Arc<AccountLook>, u64> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.looks.get(&account) {
            Some((look, at)) if fresh(now, *at) => Ok(Arc::clone(look)),
            _ => Err(kept.generation),
        }
    }

    /// Keeps `look`, read in `generation`, unless an account was forgotten since.
    fn keep(&self, account: AccountId, look: &Arc<AccountLook>, generation: u64, now: Timestamp) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.generation != generation {
            return;
        }
        if kept.looks.len() >= ACCOUNT_LOOKS_KEPT {
            kept.looks.retain(|_, (_, at)| fresh(now, *at));
            if kept.looks.len() >= ACCOUNT_LOOKS_KEPT {
                kept.looks.clear();
            }
        }
        kept.looks.insert(account, (Arc::clone(look), now));
    }

    pub(crate) fn forget(&self, account: AccountId) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.looks.remove(&account);
        kept.generation = kept.generation.wrapping_add(1);
    }
}

/// Whether a look read at `at` may still be used at `now` (a clock that went
/// back counts as stale).
fn fresh(now: Timestamp, at: Timestamp) -> bool {
    (0..ACCOUNT_LOOK_SECONDS).contains(&now.seconds_since(at)) && now.0 >= at.0
}

impl Services {
    /// The account as its recipients' pages show it (kept for a few seconds, see
    /// the [module](self)). A deleted or unknown account is one that may not send.
    pub async fn account_look(&self, account: AccountId) -> Result<Arc<AccountLook>, DomainError> {
        let now = self.clock.now();
        let generation = match self.account_looks.get(account, now) {
            Ok(look) => return Ok(look),
            Err(generation) => generation,
        };
        let settings = self.settings_of(account).await?;
        let may_send = match self.store.account(account).await {
            Ok(read) => read.deleted_at.is_none() && !read.is_suspended(),
            Err(DomainError::NotFound) => false,
            Err(other) => return Err(other),
        };
        let logo = self.store.account_logo(account).await?.map(Logo::from_stored);
        let look = Arc::new(AccountLook {
            branding: Branding {
                display_name: settings.brand_name.clone(),
                colour: settings.brand_colour,
                logo,
            },
            settings,
            may_send,
        });
        self.account_looks.keep(account, &look, generation, now);
        Ok(look)
    }

    /// Forgets what is kept of `account` after a write that may have changed it.
    pub(crate) fn forget_account_look(&self, account: AccountId) {
        self.account_looks.forget(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn look(may_send: bool) -> Arc<AccountLook> {
        Arc::new(AccountLook {
            may_send,
            ..AccountLook::default()
        })
    }

    #[test]
    fn a_look_is_kept_for_a_few_seconds_and_forgotten_at_a_write() {
        let looks = AccountLooks::default();
        let (acme, other) = (AccountId(1), AccountId(2));
        let generation = looks.get(acme, T0).err().unwrap_or(u64::MAX);
        looks.keep(acme, &look(true), generation, T0);
        let later = T0.plus_seconds(ACCOUNT_LOOK_SECONDS - 1);
        assert!(looks.get(acme, later).is_ok_and(|l| l.may_send));
        assert!(looks.get(other, T0).is_err(), "another account's is another look");
        assert!(
            looks.get(acme, T0.plus_seconds(ACCOUNT_LOOK_SECONDS)).is_err(),
            "after the delay the account is read again"
        );
        looks.forget(acme);
        assert!(looks.get(acme, T0).is_err(), "a write forgets it at once");
    }

    #[test]
    fn a_read_that_a_write_overtook_is_not_kept() {
        let looks = AccountLooks::default();
        let acme = AccountId(1);
        let generation = looks.get(acme, T0).err().unwrap_or(u64::MAX);
        // The write lands while the (older) read is under way.
        looks.forget(acme);
        looks.keep(acme, &look(true), generation, T0);
        assert!(looks.get(acme, T0).is_err(), "the stale read was kept");
    }

    #[test]
    fn a_full_cache_makes_room_instead_of_growing() {
        let looks = AccountLooks::default();
        for n in 0..(ACCOUNT_LOOKS_KEPT as i64 + 10) {
            looks.keep(AccountId(n), &look(false), 0, T0);
        }
        let held = looks.kept.lock().map(|k| k.looks.len()).unwrap_or(usize::MAX);
        assert!(held <= ACCOUNT_LOOKS_KEPT, "{held} looks held");
        assert!(looks.get(AccountId(ACCOUNT_LOOKS_KEPT as i64 + 9), T0).is_ok());
    }
}
