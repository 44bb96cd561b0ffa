//! `sealpost account suspend|resume|delete --account N`: the account's lifecycle
//! from the console, as an operator has it on the web (Details tab), acting as
//! the service (the audit trail names no person). `delete` asks `--confirm N`
//! with the same number, as the web asks it typed.

use sealpost_domain::DomainError;
use sealpost_domain::services::Services;
use sealpost_domain::types::AccountNumber;

use crate::explain;

/// What to do with the account.
#[derive(Debug, Clone, Copy)]
pub enum Lifecycle {
    Suspend,
    Resume,
    /// Delete, once the confirmation repeats the number.
    Delete,
}

fn number(raw: &str) -> anyhow::Result<AccountNumber> {
    AccountNumber::parse(raw)
        .ok_or_else(|| anyhow::anyhow!("--account takes an account number, e.g. 1234567 (got {raw:?})"))
}

/// Explains a refusal; an unknown (or deleted) number says so.
fn refused(number: AccountNumber) -> impl FnOnce(DomainError) -> anyhow::Error {
    move |error| match error {
        DomainError::NotFound => anyhow::anyhow!("no account has the number {number}"),
        DomainError::Invalid {
            field: "confirm_number",
            ..
        } => anyhow::anyhow!("--confirm must repeat the account's number ({number}) to delete it; nothing was deleted"),
        other => explain(other),
    }
}

/// Runs one lifecycle command on account `account`; `confirm` is `--confirm`.
pub async fn run(services: &Services, what: Lifecycle, account: &str, confirm: &str) -> anyhow::Result<()> {
    let number = number(account)?;
    match what {
        Lifecycle::Suspend | Lifecycle::Resume => {
            let suspend = matches!(what, Lifecycle::Suspend);
            services
                .console_set_account_suspended(number, suspend)
                .await
                .map_err(refused(number))?;
            if suspend {
                println!("Account {number} suspended: it sends nothing new; its recipients still open what they have.");
            } else {
                println!("Account {number} resumed.");
            }
        }
        Lifecycle::Delete => {
            let gone = services
                .console_delete_account(number, confirm)
                .await
                .map_err(refused(number))?;
            println!("Account {number} deleted; {gone} message(s) can no longer be opened.");
        }
    }
    Ok(())
}
