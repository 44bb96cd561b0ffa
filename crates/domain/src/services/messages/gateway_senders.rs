//! Who may be the author of a message the SMTP gateway hands over
//! ([`Services::gateway_sender`]), and how an address of one of the account's
//! allowed sender domains becomes a member ([`Services::admit_gateway_sender`]).
//!
//! The rule, in the order it is applied:
//! - a member of the token's account (any group) who is not locked sends;
//! - otherwise an address whose domain is one of the account's allowed sender
//!   domains ([`crate::sender_domains`]: exact domain, or `*.domain` for its
//!   subdomains; compared in IDNA ASCII form, lower-case) is *admissible*: when a
//!   message of theirs is sealed they become a member of the account's
//!   "Gateway senders" group, created without a password if they are not a user
//!   yet (a pending user, audited `user.created_by_gateway`). "Forgot password"
//!   then lets them set one, see what they sent and lock it;
//! - everyone else (a locked user, an address of another domain, any address
//!   when the account lists no domain) is `Forbidden`.
//!
//! Only the envelope sender (`MAIL FROM`) is judged; a `From:` header naming
//! someone else is refused separately ([`from_header_matches`]).

use super::*;
use crate::account_tokens::AccountToken;
use crate::model::{Group, NewUser, UserStatus};
use crate::types::{AccountId, GroupName};

/// The group gateway-admitted senders join, created in the account on first need.
pub const GATEWAY_SENDERS_GROUP: &str = "Gateway senders";

/// Who the envelope sender of a gateway session is.
#[derive(Debug, Clone)]
pub enum GatewaySender {
    /// A member of the token's account who may send.
    Member(Actor),
    /// Not a member (perhaps not a user yet) but at one of the account's allowed
    /// sender domains: becomes a member when a message of theirs is sealed.
    Admissible(EmailAddress),
}

impl GatewaySender {
    /// The sender's address.
    pub fn address(&self) -> &EmailAddress {
        match self {
            Self::Member(actor) => &actor.user().email,
            Self::Admissible(email) => email,
        }
    }
}

/// Whether every address of the `From:` header (as written) is the envelope
/// sender; one that is not an address does not match. An absent `From:`
/// passes: the envelope sender is the author.
pub fn from_header_matches(header_from: &[String], sender: &EmailAddress) -> bool {
    header_from
        .iter()
        .all(|from| EmailAddress::parse(from).is_ok_and(|from| from == *sender))
}

impl Services {
    /// Who `sender` (`MAIL FROM`) is for the token's account; `Forbidden` for
    /// anyone who may not send through it. Nothing is written: admission
    /// happens only when a message is sealed ([`Self::admit_gateway_sender`]).
    pub async fn gateway_sender(
        &self,
        token: &AccountToken,
        sender: &EmailAddress,
    ) -> Result<GatewaySender, DomainError> {
        if let Some((user, member)) = self.store.member_by_email(token.account_id, sender).await? {
            if user.status == UserStatus::Locked {
                return Err(DomainError::Forbidden);
            }
            if member {
                return Ok(GatewaySender::Member(Actor::acting(user)));
            }
        }
        if self.sender_domain_allowed(token.account_id, sender).await? {
            Ok(GatewaySender::Admissible(sender.clone()))
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// The sender as an actor of the token's account, making an admissible one
    /// a member first: a pending user without a password when the address is
    /// new (`user.created_by_gateway`), added to [`GATEWAY_SENDERS_GROUP`]
    /// (`group.member_added`). Each step is its own audited transaction; a
    /// message that then fails leaves the membership, which the next attempt
    /// would make anyway. `found`: what [`Self::gateway_sender`] said of `sender`
    /// at `MAIL FROM` (`None`: it is asked now).
    pub(super) async fn admit_gateway_sender(
        &self,
        token: &AccountToken,
        sender: &EmailAddress,
        found: Option<GatewaySender>,
        client: &str,
    ) -> Result<Actor, DomainError> {
        let found = match found {
            Some(found) if found.address() == sender => found,
            _ => self.gateway_sender(token, sender).await?,
        };
        let email = match found {
            GatewaySender::Member(actor) => return Ok(actor),
            GatewaySender::Admissible(email) => email,
        };
        let account = token.account_id;
        // Nobody becomes a member of an account that could not send their message.
        if !self.settings_of(account).await?.allows(Feature::SecureCompose) {
            return Err(ValidationError::FeatureSwitchedOff.into());
        }
        let user = match self.store.user_by_email(&email).await? {
            Some(user) => user,
            None => {
                let new = NewUser {
                    email: email.clone(),
                    first_name: String::new(),
                    last_name: String::new(),
                    password_hash: None,
                    status: UserStatus::Pending,
                    must_change_password: false,
                    locale: None,
                    created_by: None,
                    created_at: self.clock.now(),
                    mailbox_verified_at: None,
                };
                let event = self.event(
                    None,
                    Some(account),
                    "user.created_by_gateway",
                    &format!("{email} by {}", token.prefix()),
                    Some(client),
                );
                match self.store.insert_user(new, Some(event)).await {
                    Ok(user) => user,
                    // Created by a concurrent session of the same sender.
                    Err(DomainError::Conflict { .. }) => {
                        self.store.user_by_email(&email).await?.ok_or(DomainError::Forbidden)?
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        let group = self.gateway_senders_group(account, client).await?;
        let event = self.event(
            None,
            Some(account),
            "group.member_added",
            &format!("{} → {}", user.email, group.name),
            Some(client),
        );
        match self
            .store
            .add_member(group.id, user.id, None, self.clock.now(), event)
            .await
        {
            Ok(()) | Err(DomainError::Conflict { .. }) => Ok(Actor::acting(user)),
            Err(other) => Err(other),
        }
    }

    /// The account's [`GATEWAY_SENDERS_GROUP`], created (audited) if missing.
    async fn gateway_senders_group(&self, account: AccountId, client: &str) -> Result<Group, DomainError> {
        let find = |groups: Vec<Group>| {
            groups
                .into_iter()
                .find(|g| !g.builtin && g.name.eq_ignore_ascii_case(GATEWAY_SENDERS_GROUP))
        };
        if let Some(group) = find(self.store.list_groups(account).await?) {
            return Ok(group);
        }
        let name = GroupName::parse(GATEWAY_SENDERS_GROUP, &[]).map_err(|e| DomainError::invalid("group", e))?;
        let event = self.event(
            None,
            Some(account),
            "group.created",
            GATEWAY_SENDERS_GROUP,
            Some(client),
        );
        match self.store.create_group(account, &name, self.clock.now(), event).await {
            Ok(group) => Ok(group),
            Err(DomainError::Conflict { .. }) => {
                find(self.store.list_groups(account).await?).ok_or(DomainError::NotFound)
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).unwrap_or_else(|_| unreachable!("test address"))
    }

    #[test]
    fn a_from_header_naming_anyone_but_the_envelope_sender_does_not_match() {
        let ann = address("ann@example.com");
        let from = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(from_header_matches(&[], &ann));
        assert!(from_header_matches(&from(&["ANN@example.com"]), &ann));
        assert!(!from_header_matches(&from(&["ceo@example.com"]), &ann));
        assert!(!from_header_matches(
            &from(&["ann@example.com", "ceo@example.com"]),
            &ann
        ));
        assert!(!from_header_matches(&from(&["\"ann@example.com\"@evil.example"]), &ann));
        assert!(!from_header_matches(&from(&[""]), &ann));
    }
}
