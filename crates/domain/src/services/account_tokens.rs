//! Creating, listing, revoking and checking account tokens (see
//! [`crate::account_tokens`]). The portal acts through an account scope; the
//! console (`sealpost token …`) through the account's number, as the service.

use std::net::IpAddr;

use sealpost_crypto::token;

use super::Services;
use super::messages::parse_expiry;
use crate::account_tokens::{
    AccountToken, MAX_TOKEN_NAME_CHARS, MAX_TOKEN_NETWORKS, Network, NewAccountToken, TOKEN_PREFIX, TokenScope,
    TokenStatus, public_id_of,
};
use crate::error::{DomainError, ValidationError};
use crate::model::Account;
use crate::policy::{AccountScope, Actor};
use crate::types::{AccountNumber, has_stray_control_characters};

/// What the New token form (or the console) asks for.
#[derive(Debug, Clone, Default)]
pub struct NewTokenRequest {
    pub name: String,
    /// Scope names (`smtp_submission`, …).
    pub scopes: Vec<String>,
    /// `YYYY-MM-DD`, or empty for no expiry.
    pub expires_on: String,
    /// Client networks separated by commas, spaces or lines; empty for anywhere.
    pub networks: String,
    /// Relay untagged gateway mail unchanged (see [`AccountToken::relay_untagged`]).
    pub relay_untagged: bool,
}

/// A token just created: the secret is shown this once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: AccountToken,
    pub secret: String,
}

/// Who acts on an account's tokens: an administrator (with their scope), or the
/// console.
struct Acting<'a> {
    account: &'a Account,
    actor: Option<&'a Actor>,
    ip: Option<&'a str>,
}

impl<'a> From<&'a AccountScope> for Acting<'a> {
    fn from(scope: &'a AccountScope) -> Self {
        Self {
            account: &scope.account,
            actor: Some(&scope.actor),
            ip: scope.ip.as_deref(),
        }
    }
}

impl Services {
    /// The scope's account's tokens, newest first.
    pub async fn account_tokens(&self, scope: &AccountScope) -> Result<Vec<AccountToken>, DomainError> {
        self.store.account_tokens(scope.account.id).await
    }

    /// Creates a token for the scope's account; its secret is in the answer only.
    pub async fn create_account_token(
        &self,
        scope: &AccountScope,
        request: &NewTokenRequest,
    ) -> Result<IssuedToken, DomainError> {
        self.issue(scope.into(), request).await
    }

    /// Revokes one of the scope's account's tokens at once; `NotFound` for another
    /// account's or an already revoked one.
    pub async fn revoke_account_token(&self, scope: &AccountScope, id: i64) -> Result<(), DomainError> {
        self.revoke(scope.into(), |t| t.id == id).await
    }

    /// The console's `token list`.
    pub async fn console_account_tokens(&self, number: AccountNumber) -> Result<Vec<AccountToken>, DomainError> {
        let account = self.store.account_by_number(number).await?;
        self.store.account_tokens(account.id).await
    }

    /// The console's `token create`.
    pub async fn console_create_account_token(
        &self,
        number: AccountNumber,
        request: &NewTokenRequest,
    ) -> Result<IssuedToken, DomainError> {
        let account = self.store.account_by_number(number).await?;
        self.issue(console(&account), request).await
    }

    /// The console's `token revoke`, by the token's prefix or public id.
    pub async fn console_revoke_account_token(&self, number: AccountNumber, token: &str) -> Result<(), DomainError> {
        let account = self.store.account_by_number(number).await?;
        let public_id = token.strip_prefix(TOKEN_PREFIX).unwrap_or(token);
        self.revoke(console(&account), |t| t.public_id == public_id).await
    }

    /// The token `presented` by a client at `client`, if it is live, has `needed`
    /// and admits that address; its use is noted. Every refusal is the same
    /// `Forbidden`, so a caller learns nothing about which check failed (the log
    /// says, with the token's public prefix, never its secret).
    pub async fn authenticate_account_token(
        &self,
        presented: &str,
        needed: TokenScope,
        client: IpAddr,
    ) -> Result<AccountToken, DomainError> {
        let Some(public_id) = public_id_of(presented) else {
            return Err(DomainError::Forbidden);
        };
        let Some((found, hash)) = self.store.account_token_by_public_id(public_id).await? else {
            return Err(DomainError::Forbidden);
        };
        let status = found.status(self.clock.now());
        let refusal = if !token::constant_time_eq(&token::hash_token(presented), &hash) {
            Some("wrong secret")
        } else if status != TokenStatus::Active {
            Some(status.as_str())
        } else if !found.scopes.contains(&needed) {
            Some("scope not granted")
        } else if !found.admits(client) {
            Some("client network not allowed")
        } else {
            None
        };
        if let Some(reason) = refusal {
            tracing::info!(token = %found.prefix(), %client, reason, "an account token was refused");
            return Err(DomainError::Forbidden);
        }
        // Noted at most once a minute per client: a mail server authenticates on
        // every connection, and each note is a write synced to disk.
        let now = self.clock.now();
        let from = client.to_string();
        if found.last_used_from.as_deref() == Some(from.as_str())
            && found
                .last_used_at
                .is_some_and(|at| (0..60).contains(&now.seconds_since(at)))
        {
            return Ok(found);
        }
        match self.store.note_account_token_use(found.id, now, &from).await {
            // A full disk does not stop a valid token: the note is only a note.
            Ok(()) | Err(DomainError::Unavailable(_)) => Ok(found),
            Err(error) => Err(error),
        }
    }

    async fn issue(&self, acting: Acting<'_>, request: &NewTokenRequest) -> Result<IssuedToken, DomainError> {
        let now = self.clock.now();
        let name = request.name.trim();
        if name.is_empty() {
            return Err(DomainError::invalid("name", ValidationError::Required));
        }
        if name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(DomainError::invalid("name", ValidationError::NameTooLong));
        }
        if has_stray_control_characters(name) {
            return Err(DomainError::invalid("name", ValidationError::ControlCharacters));
        }
        let mut scopes = Vec::new();
        for raw in &request.scopes {
            let scope =
                TokenScope::parse(raw).ok_or(DomainError::invalid("scopes", ValidationError::TokenScopeRequired))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if scopes.is_empty() {
            return Err(DomainError::invalid("scopes", ValidationError::TokenScopeRequired));
        }
        let networks = request
            .networks
            .split([',', ' ', '\n', '\r', '\t', ';'])
            .filter(|n| !n.trim().is_empty())
            .map(|n| Network::parse(n).ok_or(DomainError::invalid("networks", ValidationError::NetworkMalformed)))
            .collect::<Result<Vec<_>, _>>()?;
        if networks.len() > MAX_TOKEN_NETWORKS {
            return Err(DomainError::invalid("networks", ValidationError::NetworkMalformed));
        }
        let expires_at = parse_expiry(&request.expires_on, now).map_err(|e| DomainError::invalid("expires_on", e))?;
        // A public id is 48 random bits: a collision is rare, and simply drawn again.
        for _ in 0..3 {
            let public_id = token::random_token(6).map_err(DomainError::internal)?;
            let secret = format!(
                "{TOKEN_PREFIX}{public_id}_{}",
                token::random_token(24).map_err(DomainError::internal)?
            );
            let new = NewAccountToken {
                account_id: acting.account.id,
                public_id,
                secret_hash: token::hash_token(&secret),
                name: name.to_owned(),
                scopes: scopes.clone(),
                networks: networks.clone(),
                expires_at,
                created_by: acting.actor.map(Actor::id),
                created_at: now,
                relay_untagged: request.relay_untagged,
            };
            let relay = if new.relay_untagged { " relay-untagged" } else { "" };
            let target = format!("{TOKEN_PREFIX}{} {name}{relay}", new.public_id);
            let event = self.event(
                acting.actor,
                Some(acting.account.id),
                "token.created",
                &target,
                acting.ip,
            );
            match self.store.insert_account_token(&new, event).await {
                Ok(token) => return Ok(IssuedToken { token, secret }),
                Err(DomainError::Conflict { field: "public_id" }) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(DomainError::internal(std::io::Error::other(
            "no free token id after three draws",
        )))
    }

    /// Revokes the acting account's token that `which` picks (`NotFound`: none).
    async fn revoke(&self, acting: Acting<'_>, which: impl Fn(&AccountToken) -> bool) -> Result<(), DomainError> {
        let tokens = self.store.account_tokens(acting.account.id).await?;
        let found = tokens.iter().find(|t| which(t)).ok_or(DomainError::NotFound)?;
        let event = self.event(
            acting.actor,
            Some(acting.account.id),
            "token.revoked",
            &found.prefix(),
            acting.ip,
        );
        self.store
            .revoke_account_token(acting.account.id, found.id, self.clock.now(), event)
            .await
    }
}

fn console(account: &Account) -> Acting<'_> {
    Acting {
        account,
        actor: None,
        ip: None,
    }
}
