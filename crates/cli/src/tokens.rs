//! `sealpost token create|list|revoke --account N`: the Tokens tab from the console,
//! acting as the service (the audit trail names no person).

use clap::Subcommand;
use sealpost_domain::DomainError;
use sealpost_domain::services::Services;
use sealpost_domain::services::account_tokens::NewTokenRequest;
use sealpost_domain::types::AccountNumber;

use crate::explain;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints its secret, which is shown this once.
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// What the token may do: smtp_submission. Repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The last day it works (YYYY-MM-DD, UTC); none: no expiry.
        #[arg(long, default_value = "")]
        expires: String,
        /// A client network it may be used from (192.0.2.0/24); repeat for
        /// several; none: anywhere.
        #[arg(long = "network")]
        networks: Vec<String>,
        /// SMTP gateway: relay mail with no subject tag and no X-Sealpost-Profile
        /// header unchanged to the outgoing relay instead of sealing it.
        #[arg(long)]
        relay_untagged: bool,
    },
    /// List the account's tokens (never their secrets).
    List {
        #[arg(long)]
        account: String,
    },
    /// Revoke a token at once, by its prefix (sptk_…) as the list shows it.
    Revoke {
        #[arg(long)]
        account: String,
        token: String,
    },
}

fn number(raw: &str) -> anyhow::Result<AccountNumber> {
    AccountNumber::parse(raw)
        .ok_or_else(|| anyhow::anyhow!("--account takes an account number, e.g. 1234567 (got {raw:?})"))
}

/// Explains a refusal; `NotFound` as `missing` says.
fn refused(missing: String) -> impl FnOnce(DomainError) -> anyhow::Error {
    move |error| match error {
        DomainError::NotFound => anyhow::anyhow!(missing),
        other => explain(other),
    }
}

fn no_account(number: AccountNumber) -> String {
    format!("no account has the number {number}")
}

/// Runs one token command.
pub async fn run(services: &Services, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            account,
            name,
            scopes,
            expires,
            networks,
            relay_untagged,
        } => {
            let number = number(&account)?;
            let request = NewTokenRequest {
                name,
                scopes,
                expires_on: expires,
                networks: networks.join(","),
                relay_untagged,
            };
            let issued = services
                .console_create_account_token(number, &request)
                .await
                .map_err(refused(no_account(number)))?;
            println!("{}", issued.secret);
            eprintln!(
                "Token {} ({}) created for account {number}. Copy it now: it is not shown again.",
                issued.token.prefix(),
                issued.token.name
            );
        }
        TokenCommand::List { account } => {
            let number = number(&account)?;
            let now = services.clock.now();
            let tokens = services
                .console_account_tokens(number)
                .await
                .map_err(refused(no_account(number)))?;
            println!("prefix\tname\tscopes\tstatus\texpires\tlast used\tcreated by");
            for token in tokens {
                let mut scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
                if token.relay_untagged {
                    scopes.push("relay-untagged");
                }
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    token.prefix(),
                    token.name,
                    scopes.join(","),
                    token.status(now).as_str(),
                    token.expires_at.map_or_else(|| "never".to_owned(), |t| t.display_utc()),
                    match (token.last_used_at, &token.last_used_from) {
                        (Some(at), Some(from)) => format!("{} from {from}", at.display_utc()),
                        _ => "never".to_owned(),
                    },
                    token
                        .created_by_email
                        .map_or_else(|| "console".to_owned(), |e| e.to_string()),
                );
            }
        }
        TokenCommand::Revoke { account, token } => {
            let number = number(&account)?;
            services
                .console_revoke_account_token(number, &token)
                .await
                .map_err(refused(format!("account {number} has no live token {token}")))?;
            println!("Token {token} of account {number} revoked.");
        }
    }
    Ok(())
}
