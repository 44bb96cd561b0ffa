//! The console commands: accounts, users, groups and tokens administered from the
//! shell, with their output, exit statuses and refusals in words.

use anyhow::Context as _;

use crate::{sealpost, text};

#[test]
fn commands_administer_the_service_and_explain_refusals() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();

    let added = sealpost(
        data,
        &[
            "user",
            "add",
            "--email",
            "Dana@Example.com",
            "--first-name",
            "Dana",
            "--last-name",
            "Scully",
        ],
        None,
    )?;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let out = text(&added.stdout);
    assert!(
        out.contains("User dana@example.com added.")
            && out.contains("Temporary password: ")
            && out.contains("must be changed"),
        "{out}"
    );

    let piped = sealpost(
        data,
        &[
            "user",
            "add",
            "--email",
            "eve@example.com",
            "--first-name",
            "Eve",
            "--last-name",
            "Ng",
            "--password-stdin",
        ],
        Some("A-long-passphrase-1\n"),
    )?;
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
    assert!(!text(&piped.stdout).contains("Temporary password"));

    let refusals: [(&[&str], Option<&str>, &str); 5] = [
        (
            &[
                "user",
                "add",
                "--email",
                "dana@example.com",
                "--first-name",
                "D",
                "--last-name",
                "S",
            ],
            None,
            "A user with this username already exists.",
        ),
        (
            &[
                "user",
                "add",
                "--email",
                "dana@",
                "--first-name",
                "D",
                "--last-name",
                "S",
            ],
            None,
            "Enter a valid email address",
        ),
        (
            &[
                "user",
                "add",
                "--email",
                "f@example.com",
                "--first-name",
                "F",
                "--last-name",
                "K",
                "--password-stdin",
            ],
            Some("short\n"),
            "at least 10 characters",
        ),
        (
            &["account", "create", "--name", "Ghost", "--admin", "nobody@example.com"],
            None,
            "Cannot add a non-existent user.",
        ),
        (
            &["operator", "grant", "nobody@example.com"],
            None,
            "Cannot add a non-existent user.",
        ),
    ];
    for (args, stdin, message) in refusals {
        let refused = sealpost(data, args, stdin)?;
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            text(&refused.stderr).contains(message),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }

    let account = sealpost(
        data,
        &[
            "account",
            "create",
            "--name",
            "Acme Corp",
            "--admin",
            "dana@example.com",
        ],
        None,
    )?;
    assert_eq!(account.status.code(), Some(0), "{}", text(&account.stderr));
    let number = text(&account.stdout).trim().to_owned();
    assert!(
        number.len() == 7 && number.chars().all(|c| c.is_ascii_digit()),
        "{number:?}"
    );

    let granted = sealpost(data, &["operator", "grant", "eve@example.com"], None)?;
    assert!(text(&granted.stdout).contains("eve@example.com is now an operator."));

    let usage = sealpost(data, &["operator", "grant"], None)?;
    assert_eq!(usage.status.code(), Some(2));
    let bad_url = sealpost(data, &["--database-url", "mysql://x", "migrate"], None)?;
    assert_eq!(bad_url.status.code(), Some(1));
    assert!(text(&bad_url.stderr).contains("SEALPOST_DATABASE_URL"));
    Ok(())
}

/// Starts `serve` on a free port with a first operator to create, and returns it
/// with every line it printed (and logged) until it answered.
#[test]
fn tokens_are_created_listed_and_revoked_from_the_console() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();
    let run = |args: &[&str]| -> anyhow::Result<(i32, String, String)> {
        let out = sealpost(data, args, None)?;
        Ok((out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr)))
    };
    let run_line = |line: &str| run(&line.split_whitespace().collect::<Vec<_>>());
    let (code, number, _) = run(&["account", "create", "--name", "Acme"])?;
    assert_eq!(code, 0);
    let number = number.trim().to_owned();

    let (code, _, err) = run_line(&format!("token create --account {number} --name MX --scope fax"))?;
    assert_ne!(code, 0);
    assert!(err.contains("Choose at least one scope."), "{err}");
    let (code, _, err) = run_line(&format!(
        "token create --account {number} --name MX --scope smtp_submission --network 10.0.0.1/8"
    ))?;
    assert_ne!(code, 0);
    assert!(err.contains("networks: Write each client network"), "{err}");

    let (code, secret, err) = run_line(&format!(
        "token create --account {number} --name MX --scope smtp_submission --network 192.0.2.0/24 --expires 2099-12-31"
    ))?;
    assert_eq!(code, 0, "{err}");
    let secret = secret.trim().to_owned();
    assert!(secret.starts_with("sptk_") && secret.len() == 46, "{secret}");
    let prefix = &secret[..13];
    assert!(err.contains("not shown again"), "{err}");

    let (code, list, _) = run(&["token", "list", "--account", &number])?;
    assert_eq!(code, 0);
    let line = list
        .lines()
        .find(|l| l.starts_with(prefix))
        .context("the token is listed")?;
    assert!(
        line.contains("\tMX\tsmtp_submission\tactive\t2099-12-31") && line.ends_with("\tconsole"),
        "{line}"
    );
    assert!(!list.contains(&secret[13..]), "the list never holds the secret");

    let (code, out, _) = run(&["token", "revoke", "--account", &number, prefix])?;
    assert_eq!(code, 0);
    assert!(out.contains("revoked"), "{out}");
    let (_, list, _) = run(&["token", "list", "--account", &number])?;
    assert!(list.contains("\trevoked\t"), "{list}");
    let (code, _, err) = run(&["token", "revoke", "--account", &number, prefix])?;
    assert_ne!(code, 0);
    assert!(err.contains("has no live token"), "{err}");
    let (code, _, err) = run(&["token", "list", "--account", "1000000"])?;
    assert_ne!(code, 0);
    assert!(err.contains("no account has the number 1000000"), "{err}");
    Ok(())
}

/// The domain over the installation the binary uses (its SQLite file), to try
/// what the web and the gateway would: the check every new message passes.
async fn domain_over(
    data: &std::path::Path,
) -> anyhow::Result<(
    std::sync::Arc<sealpost_storage::SqlStore>,
    sealpost_domain::services::Services,
)> {
    use std::sync::Arc;

    use sealpost_domain::ports::{Clock, SystemClock};
    use sealpost_domain::services::messages::{Messaging, MessagingConfig};

    let url = format!("sqlite://{}", data.join("sealpost.db").display());
    let store = Arc::new(sealpost_storage::SqlStore::connect(&url).await?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let config = MessagingConfig::default();
    let notifier = Arc::new(sealpost_mail::MailNotifier::new(
        "Sealpost",
        &config.from_address,
        clock.clone(),
    )?);
    let messaging = Messaging {
        blobs: Arc::new(sealpost_storage::ObjectBlobStore::local(data.join("test-blobs"))?),
        notifier,
        master_key: Arc::new(sealpost_crypto::keys::Key256::generate()?),
        config,
        outbox_waker: Arc::default(),
    };
    let services = sealpost_domain::services::Services::new(
        store.clone(),
        clock,
        sealpost_i18n::in_every_language("group-account-administrators"),
        messaging,
    );
    Ok((store, services))
}

#[tokio::test]
async fn accounts_are_suspended_resumed_and_deleted_from_the_console() -> anyhow::Result<()> {
    use sealpost_domain::DomainError;
    use sealpost_domain::error::ValidationError;
    use sealpost_domain::ports::{AccountStore as _, AuditStore as _};
    use sealpost_domain::types::AccountNumber;

    let dir = tempfile::tempdir()?;
    let data = dir.path().to_owned();
    let run = |args: &[&str]| -> anyhow::Result<(i32, String, String)> {
        let out = sealpost(&data, args, None)?;
        Ok((out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr)))
    };
    let (code, number, err) = run(&["account", "create", "--name", "Acme"])?;
    assert_eq!(code, 0, "{err}");
    let number = number.trim().to_owned();
    let parsed = AccountNumber::parse(&number).context("a number")?;
    let (store, services) = domain_over(&data).await?;
    let account = store.account_by_number(parsed).await?;
    services.ensure_account_may_send(account.id).await?;

    // Suspended: a new message is refused.
    let (code, out, err) = run(&["account", "suspend", "--account", &number])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("Account {number} suspended")), "{out}");
    let refused = services.ensure_account_may_send(account.id).await;
    assert!(
        matches!(refused, Err(DomainError::Validation(ValidationError::AccountSuspended))),
        "{refused:?}"
    );
    // Resumed: allowed again.
    let (code, out, err) = run(&["account", "resume", "--account", &number])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("Account {number} resumed.")), "{out}");
    services.ensure_account_may_send(account.id).await?;

    // Deleting without the number repeated (or with another) refuses and changes nothing.
    for confirm in [None, Some("1000000"), Some("Acme")] {
        let mut args = vec!["account", "delete", "--account", number.as_str()];
        if let Some(confirm) = confirm {
            args.extend(["--confirm", confirm]);
        }
        let (code, _, err) = run(&args)?;
        assert_ne!(code, 0, "{confirm:?}");
        assert!(err.contains("nothing was deleted"), "{err}");
        services.ensure_account_may_send(account.id).await?;
    }
    assert_eq!(store.account_by_number(parsed).await?.id, account.id);

    let (code, out, err) = run(&["account", "delete", "--account", &number, "--confirm", &number])?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("Account {number} deleted")), "{out}");
    assert!(matches!(
        store.account_by_number(parsed).await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        services.ensure_account_may_send(account.id).await,
        Err(DomainError::NotFound)
    ));
    let (code, _, err) = run(&["account", "resume", "--account", &number])?;
    assert_ne!(code, 0);
    assert!(err.contains(&format!("no account has the number {number}")), "{err}");

    // Audited as the web's are, in the account's trail, naming no person.
    let events = store.list_audit(Some(account.id), 20).await?;
    let mut actions: Vec<&str> = events
        .iter()
        .filter(|e| e.action.starts_with("account.") && e.action != "account.created")
        .map(|e| e.action.as_str())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        ["account.deleted", "account.resumed", "account.suspended"],
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .filter(|e| e.action != "account.created")
            .all(|e| e.actor.is_none())
    );
    store.close().await;
    Ok(())
}

/// `SEALPOST_OUTBOX_LEASE_SECS` below a minute stops any command with a message
/// naming the setting; a minute or more is taken.
#[test]
fn an_outbox_lease_under_a_minute_is_refused_with_the_setting_named() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let run = |lease: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sealpost"))
            .arg("migrate")
            .env("SEALPOST_DATA_DIR", dir.path())
            .env("SEALPOST_LOG", "warn")
            .env("SEALPOST_OUTBOX_LEASE_SECS", lease)
            .output()
            .context("sealpost migrate")
    };
    let short = run("30")?;
    assert_eq!(short.status.code(), Some(1), "{}", text(&short.stderr));
    assert!(
        text(&short.stderr).contains("outbox_lease_secs must be at least 60 seconds (got 30)"),
        "{}",
        text(&short.stderr)
    );
    let garbled = run("soon")?;
    assert_eq!(garbled.status.code(), Some(1));
    assert!(
        text(&garbled.stderr).contains("SEALPOST_OUTBOX_LEASE_SECS=\"soon\" is not a valid value"),
        "{}",
        text(&garbled.stderr)
    );
    let minute = run("60")?;
    assert_eq!(minute.status.code(), Some(0), "{}", text(&minute.stderr));
    Ok(())
}

/// The operator who lost their phone, with nobody to reset them on the user page:
/// `sealpost user reset-two-step` takes their app, passkeys and recovery codes away.
#[tokio::test]
async fn an_operators_two_step_verification_is_reset_from_the_console() -> anyhow::Result<()> {
    use sealpost_domain::messages::{MailKind, NewOutboxItem, RenderedMail};
    use sealpost_domain::model::AuditEvent;
    use sealpost_domain::ports::{
        AuditStore as _, OutboxStore as _, PasskeyStore as _, TwoStepStore as _, UserStore as _,
    };
    use sealpost_domain::types::EmailAddress;

    let dir = tempfile::tempdir()?;
    let data = dir.path().to_owned();
    let added = sealpost(
        &data,
        &[
            "user",
            "add",
            "--email",
            "olga@example.com",
            "--first-name",
            "Olga",
            "--last-name",
            "Op",
        ],
        None,
    )?;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let (store, _) = domain_over(&data).await?;
    let olga = store
        .user_by_email(&EmailAddress::parse("olga@example.com")?)
        .await?
        .context("Olga was added")?
        .id;
    let event = |action: &str| AuditEvent {
        at: sealpost_domain::types::Timestamp(0),
        actor: None,
        account_id: None,
        action: action.to_owned(),
        target: "olga@example.com".to_owned(),
        ip: None,
        outcome: "ok".to_owned(),
    };
    let at = sealpost_domain::types::Timestamp(0);
    let added = NewOutboxItem {
        kind: MailKind::SecurityNotice,
        to: EmailAddress::parse("set-up@example.com")?,
        mail: RenderedMail {
            message_id: "passkey-added@sealpost.test".to_owned(),
            raw: b"Subject: the set-up's passkey\r\n\r\n".to_vec(),
        },
        message: None,
        bounce_to: None,
        created_at: at,
    };
    store.start_totp(olga, b"sealed", at).await?;
    store
        .enable_totp(olga, 1, at, &["hash".to_owned()], event("user.two_step_enabled"))
        .await?;
    store
        .add_passkey(olga, "Phone", "{}", at, &added, event("user.passkey_added"))
        .await?;

    let reset = sealpost(&data, &["user", "reset-two-step", "--email", "Olga@Example.com"], None)?;
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset.stderr));
    assert!(
        text(&reset.stdout).contains("Two-step verification of olga@example.com reset"),
        "{}",
        text(&reset.stdout)
    );
    assert!(!store.two_step_enabled(olga).await?);
    assert!(!store.has_passkey(olga).await?);
    assert_eq!(store.recovery_codes_left(olga).await?, 0);
    let audited = store.list_audit(None, 20).await?;
    assert!(
        audited
            .iter()
            .any(|e| e.action == "user.two_step_reset" && e.target == "olga@example.com")
    );
    let now = sealpost_domain::ports::Clock::now(&sealpost_domain::ports::SystemClock);
    let queued = store.claim_outbox(now, now.plus_seconds(60), 50).await?;
    let notices: Vec<&str> = queued
        .iter()
        .filter(|item| item.kind == MailKind::SecurityNotice)
        .map(|item| item.to.as_str())
        .collect();
    assert_eq!(
        notices,
        ["set-up@example.com", "olga@example.com"],
        "Olga is told of the reset by mail"
    );

    let unknown = sealpost(
        &data,
        &["user", "reset-two-step", "--email", "nobody@example.com"],
        None,
    )?;
    assert_ne!(unknown.status.code(), Some(0));
    assert!(
        text(&unknown.stderr).contains("no user has the address nobody@example.com; nothing was changed"),
        "{}",
        text(&unknown.stderr)
    );
    Ok(())
}
