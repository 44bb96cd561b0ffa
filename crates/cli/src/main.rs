//! `sealpost`: runs the service and administers it from the command line.
//!
//! ```text
//! sealpost serve                      run the web portal (creates the first operator on first start)
//! sealpost migrate                    bring the database schema up to date
//! sealpost user add --email E --first-name F --last-name L [--password-stdin] [--force-password-change]
//! sealpost account create --name N [--admin EMAIL] [--language en|de|fr]
//! sealpost account suspend|resume --account N
//! sealpost account delete --account N --confirm N
//! sealpost operator grant EMAIL
//! sealpost outbox flush [--all]       deliver queued email that is due (--all: every waiting one) now
//! sealpost messages shred-expired     destroy the keys of long-expired messages
//! sealpost keys rotate --account N    new account key version; re-wrap message keys
//! sealpost copy database --to URL [--from URL] [--resume]   SQLite <-> PostgreSQL, verified
//! sealpost copy blobs --to-bucket|--to-folder [--resume]    payload folder <-> bucket, verified
//! ```
//!
//! Every command honours `--data-dir`, `--database-url` and the `SEALPOST_*`
//! variables (see [`config`]). Refused input exits with status 1 and says why;
//! usage errors exit with status 2.

mod config;
mod copy;
mod dkim;
mod gateway;
mod housekeeping;
mod lifecycle;
mod limits;
mod messaging;
mod metrics;
mod tokens;

use std::io::Read as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use sealpost_domain::ports::{Clock, OutboxStore as _, SystemClock};
use sealpost_domain::services::Services;
use sealpost_domain::services::users::CreateUserRequest;
use sealpost_domain::types::Locale;
use sealpost_domain::{DomainError, ValidationError};
use sealpost_i18n::Translator;
use sealpost_storage::SqlStore;

use crate::config::{Config, GlobalArgs};

/// Sealpost: registered envelopes anyone can open.
#[derive(Debug, Parser)]
#[command(name = "sealpost", version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web portal.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage accounts (tenants).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage operators (who run the service and see every account).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The queue of outgoing mail.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Secure messages.
    #[command(subcommand)]
    Messages(MessagesCommand),
    /// Account keys (the middle of the key hierarchy).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Account tokens for machines (the SMTP gateway, the API).
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// DKIM keys that sign outgoing mail.
    #[command(subcommand)]
    Dkim(dkim::DkimCommand),
    /// Copy the installation between SQLite and PostgreSQL, and the payloads
    /// between the local folder and a bucket (resumable, verified).
    #[command(subcommand)]
    Copy(copy::CopyCommand),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a new version of an account's key and re-wrap every message key under it.
    Rotate {
        #[arg(long)]
        account: String,
    },
    /// Finish an interrupted rotation: re-wrap message keys still under older versions.
    Rewrap {
        #[arg(long)]
        account: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// Deliver every queued email that is due, then exit.
    Flush {
        /// Also what waits for a later retry: send everything now (as `postqueue -f`),
        /// for example once the relay works again.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
enum MessagesCommand {
    /// Destroy the keys (and stored payloads) of messages expired for longer than
    /// the grace period: afterwards no copy of their envelopes can be opened.
    ShredExpired,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. Without --password-stdin a temporary password is generated,
    /// printed, and must be changed at first login.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
        /// Make the user choose a new password at first login.
        #[arg(long)]
        force_password_change: bool,
        /// Vouch that this user reads the address's mailbox, so messages sent to
        /// it open without a proof link (recorded in the audit trail). Without
        /// it the user proves the mailbox by a link the first time.
        #[arg(long)]
        mailbox_verified: bool,
    },
    /// Reset a user's two-step verification (a lost phone): their authenticator
    /// app, passkeys and recovery codes stop working; the password alone logs in,
    /// or the login sets two-step verification up anew where it is required.
    ResetTwoStep {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account; prints its number.
    Create {
        #[arg(long)]
        name: String,
        /// An existing user to put into Account Administrators.
        #[arg(long)]
        admin: Option<String>,
        /// The account's default language for recipients: en, de or fr.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Suspend an account: it sends nothing new; its recipients still open what they have.
    Suspend {
        #[arg(long)]
        account: String,
    },
    /// Resume a suspended account.
    Resume {
        #[arg(long)]
        account: String,
    },
    /// Delete an account: its messages' keys destroyed, its data gone, its audit
    /// trail kept. `--confirm` repeats the number.
    Delete {
        #[arg(long)]
        account: String,
        #[arg(long, default_value = "")]
        confirm: String,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Make an existing user an operator.
    Grant { email: String },
}

/// mimalloc instead of glibc's allocator: a profile of the SMTP gateway under load
/// put about a tenth of the server's CPU in glibc's malloc and free; with mimalloc
/// the gateway benchmark's CPU time per message fell by about 5 % (1,415 and 1,423
/// µs against 1,480 and 1,530, binaries run in turn).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    limits::private_files();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEALPOST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // A log line that cannot be written (stderr to a file on a full disk)
        // is dropped: the subscriber's own report of it would panic on the
        // same full disk and close the connection instead of answering 503.
        .log_internal_errors(false);
    // One JSON object a line, for a log collector; the fields are the same.
    match std::env::var("SEALPOST_LOG_FORMAT").as_deref().map(str::trim) {
        Ok("json") => logs.json().flatten_event(true).init(),
        Ok("text" | "") | Err(_) => logs.init(),
        Ok(other) => {
            logs.init();
            tracing::warn!(format = other, "SEALPOST_LOG_FORMAT is json or text; logging as text");
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.global)?;
    let command = match cli.command {
        // Needs no database: a key can be made before the service is installed.
        Command::Dkim(command) => return dkim::run(&config, command),
        // Opens its own two databases (or stores), none of them as `serve` does.
        Command::Copy(command) => return copy::run(&config, command).await,
        other => other,
    };
    let store = open_store(&config).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (messaging, worker) = messaging::build(&config, store.clone(), clock.clone())?;
    let services = Services::new(
        store.clone(),
        clock,
        sealpost_i18n::in_every_language("group-account-administrators"),
        messaging,
    )
    .require_two_step_for_operators(config.require_two_step_for_operators);
    if !matches!(command, Command::Migrate) {
        check_master_key(&services, &config).await?;
    }
    let result = match command {
        // Handled above, before the store opens; listed so the match stays exhaustive.
        Command::Dkim(command) => dkim::run(&config, command),
        Command::Copy(command) => copy::run(&config, command).await,
        Command::Serve => {
            if let Err(unavailable) = services.passkeys_available() {
                tracing::warn!(
                    public_url = %config.public_url,
                    "{unavailable}: users cannot add passkeys (their security page says so); set public_url to the host name people use"
                );
            }
            serve(&config, services, worker, store.clone()).await
        }
        Command::Outbox(OutboxCommand::Flush { all }) => {
            if all {
                let waiting = worker.bring_forward().await.map_err(explain)?;
                println!("{waiting} waiting email(s) made due now.");
            }
            let mut total = 0;
            loop {
                let sent = worker.run_once().await.map_err(explain)?;
                if sent == 0 {
                    break;
                }
                total += sent;
            }
            worker.close().await;
            let waiting = store.outbox_pending().await.map_err(explain)?;
            println!("{total} queued email(s) attempted; {waiting} still waiting (retries not yet due).");
            Ok(())
        }
        Command::Keys(command) => {
            let (raw, rotate) = match &command {
                KeysCommand::Rotate { account } => (account, true),
                KeysCommand::Rewrap { account } => (account, false),
            };
            let number = sealpost_domain::types::AccountNumber::parse(raw)
                .ok_or_else(|| anyhow::anyhow!("--account takes an account number, e.g. 1234567 (got {raw:?})"))?;
            let done = if rotate {
                services.rotate_account_key(number).await
            } else {
                services.rewrap_account_keys(number).await
            }
            .map_err(|e| match e {
                DomainError::NotFound => anyhow::anyhow!("no account has the number {number}"),
                other => explain(other),
            })?;
            println!(
                "Account {number}: key version {} is current; {} message key(s) re-wrapped.",
                done.version, done.rewrapped
            );
            Ok(())
        }
        Command::Messages(MessagesCommand::ShredExpired) => {
            let grace = config.messaging.key_destroy_grace_days.saturating_mul(24 * 60 * 60);
            let destroyed = services.shred_expired(grace).await.map_err(explain)?;
            println!("Destroyed the keys of {destroyed} expired message(s).");
            Ok(())
        }
        Command::Migrate => {
            println!("The database schema is up to date ({}).", redact(&config.database_url));
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            first_name,
            last_name,
            password_stdin,
            force_password_change,
            mailbox_verified,
        }) => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_to_string(&mut line)
                    .context("while reading the password from standard input")?;
                (line.lines().next().unwrap_or_default().to_owned(), false)
            } else {
                (sealpost_crypto_temporary()?, true)
            };
            let request = CreateUserRequest {
                username: email,
                first_name,
                last_name,
                password: password.clone(),
                confirm_password: password.clone(),
                force_password_change: force_password_change || generated,
                mailbox_vouched: mailbox_verified,
            };
            let user = services.create_user(None, &request, None).await.map_err(explain)?;
            println!("User {} added.", user.email);
            if generated {
                println!("Temporary password: {password}");
                println!("It must be changed at first login.");
            }
            Ok(())
        }
        Command::Account(AccountCommand::Create { name, admin, language }) => {
            let locale = Locale::from_tag(&language)
                .ok_or_else(|| anyhow::anyhow!("unknown language {language:?}: use en, de or fr"))?;
            let account = services
                .create_account(None, &name, locale, admin.as_deref(), None)
                .await
                .map_err(explain)?;
            println!("{}", account.number);
            eprintln!("Account {} ({}) created.", account.number, account.name);
            Ok(())
        }
        Command::Account(AccountCommand::Suspend { account }) => {
            lifecycle::run(&services, lifecycle::Lifecycle::Suspend, &account, "").await
        }
        Command::Account(AccountCommand::Resume { account }) => {
            lifecycle::run(&services, lifecycle::Lifecycle::Resume, &account, "").await
        }
        Command::Account(AccountCommand::Delete { account, confirm }) => {
            lifecycle::run(&services, lifecycle::Lifecycle::Delete, &account, &confirm).await
        }
        Command::Token(command) => tokens::run(&services, command).await,
        Command::User(UserCommand::ResetTwoStep { email }) => {
            let user = services.reset_two_step_of(&email).await.map_err(|e| match e {
                DomainError::Invalid {
                    error: ValidationError::NonExistentUser,
                    ..
                } => anyhow::anyhow!("no user has the address {email}; nothing was changed"),
                other => explain(other),
            })?;
            println!(
                "Two-step verification of {} reset: the password alone logs in, or the login sets it up anew where it is required.",
                user.email
            );
            Ok(())
        }
        Command::Operator(OperatorCommand::Grant { email }) => {
            let user = services.grant_operator(&email).await.map_err(explain)?;
            println!("{} is now an operator.", user.email);
            Ok(())
        }
    };
    store.close().await;
    result
}

fn sealpost_crypto_temporary() -> anyhow::Result<String> {
    sealpost_domain::services::users::temporary_password().map_err(explain)
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<SqlStore>> {
    if config.uses_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "while creating the data directory {}; choose another with --data-dir",
                config.data_dir.display()
            )
        })?;
    }
    let store = SqlStore::connect(&config.database_url)
        .await
        .with_context(|| format!("while connecting to the database {}", redact(&config.database_url)))?;
    store.migrate().await.context("while migrating the database schema")?;
    Ok(Arc::new(store))
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Turns a domain refusal into a sentence for the terminal.
fn explain(error: DomainError) -> anyhow::Error {
    let t = Translator::new(Locale::En);
    match &error {
        DomainError::Invalid { field, error } => {
            let field = match *field {
                "username" => "email",
                other => other,
            };
            anyhow::anyhow!("{}: {}", field.replace('_', "-"), t.get(error.message_id()))
        }
        DomainError::Validation(v) => anyhow::anyhow!("{}", t.get(v.message_id())),
        DomainError::Conflict { field } => anyhow::anyhow!("{field} is already taken"),
        DomainError::NotFound => anyhow::anyhow!("not found"),
        DomainError::Forbidden => anyhow::anyhow!("not allowed"),
        DomainError::Unavailable(source) => {
            anyhow::anyhow!("the storage cannot take writes (is its disk full?): {source:#}")
        }
        DomainError::Internal(source) => anyhow::anyhow!("internal error: {source:#}"),
    }
}

/// Refuses to go on with a master key other than the one the database was set up
/// with: keys made under it could never be opened by the other nodes, nor by this
/// one once the right key is back.
async fn check_master_key(services: &Services, config: &Config) -> anyhow::Result<()> {
    use sealpost_domain::services::keys::MasterKeyCheck;
    match services.check_master_key().await.map_err(explain)? {
        MasterKeyCheck::Matches | MasterKeyCheck::Recorded => Ok(()),
        MasterKeyCheck::Mismatch => anyhow::bail!(
            "the master key ({}) is not the one the database {} was set up with; nothing was changed. \
             Every node must use the same master key: restore the original key file or SEALPOST_MASTER_KEY",
            if std::env::var_os("SEALPOST_MASTER_KEY").is_some() {
                "SEALPOST_MASTER_KEY".to_owned()
            } else {
                config.messaging.master_key_file.display().to_string()
            },
            redact(&config.database_url)
        ),
    }
}

async fn serve(
    config: &Config,
    services: Services,
    worker: sealpost_mail::OutboxWorker,
    store: Arc<SqlStore>,
) -> anyhow::Result<()> {
    let store_is_sqlite = store.backend() == sealpost_storage::Backend::Sqlite;
    // The port first: a first start whose port is taken must fail before it
    // creates the operator, whose temporary password is shown only once.
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "while binding {}; is another program using that port? Choose another with --listen",
            config.listen
        )
    })?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let metrics_task = metrics::start(config.metrics_listen, services.clone(), stopped.clone()).await?;
    if let Some((operator, password)) = services
        .bootstrap_operator(&config.operator_email)
        .await
        .map_err(explain)?
    {
        println!();
        println!("  Sealpost is ready for its first operator.");
        println!(
            "  Log in at:           {}",
            sealpost_domain::links::Links::new(&config.public_url).admin()
        );
        println!("  Email:               {}", operator.email);
        println!("  Temporary password:  {password}");
        println!("  You will be asked to choose your own password. This is shown only once.");
        println!();
    }
    if store_is_sqlite {
        // SQLite serves one process: leases left by a crash belong to nobody now.
        let released = store.release_outbox_leases(SystemClock.now()).await.map_err(explain)?;
        if released > 0 {
            tracing::info!(
                released,
                "handed back mail that a previous run had claimed but not confirmed"
            );
        }
        // Likewise the uploads a previous run noted: nobody writes them any more
        // (a message cut by a crash before its commit), so their blobs go now,
        // before anything listens, instead of a day later.
        let cleaned = services.purge_stale_uploads(0).await.map_err(explain)?;
        if cleaned > 0 {
            tracing::info!(
                cleaned,
                "deleted the blobs of messages a previous run had begun but not stored"
            );
        }
    }
    let wait_for_stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // The gateway relays untagged mail through the worker's transport (unchanged,
    // unsigned), so both use the same kept sessions with the relay.
    let transport = worker.transport();
    // The outbox worker delivers what the web portal queues, and after a crash,
    // whatever was left: rows are claimed with a lease, so nothing is lost.
    let worker_task = tokio::spawn(worker.run(wait_for_stop(stopped.clone())));
    let shredder = tokio::spawn(housekeeping::run(
        services.clone(),
        config.messaging.key_destroy_grace_days.saturating_mul(24 * 60 * 60),
        stopped.clone(),
    ));
    let web_config = sealpost_web::WebConfig {
        secure_cookies: config.secure_cookies(),
        trust_forwarded_for: config.trust_forwarded_for,
    };
    let (gateway, gateway_tasks) = gateway::start(&config.gateway, services.clone(), Arc::clone(&transport)).await?;
    // At the signal the gateway stops accepting and lets a DATA in progress
    // finish, beside the HTTP drain.
    let gateway_stopped = {
        let stopped = wait_for_stop(stopped.clone());
        tokio::spawn(async move {
            stopped.await;
            if !gateway.shutdown(gateway::SHUTDOWN_GRACE).await {
                tracing::warn!("SMTP sessions still open after the grace period were closed");
            }
        })
    };
    let app = sealpost_web::router(services, web_config);
    let mut connections = config.connections;
    connections.max_connections =
        limits::connection_budget(limits::raise_open_file_limit(), connections.max_connections);
    println!(
        "Sealpost is listening on {} (administration: {})",
        config.listen,
        sealpost_domain::links::Links::new(&config.public_url).admin()
    );
    tracing::info!(listen = %config.listen, "serving");
    // At the signal the worker and the housekeeping stop too, while HTTP drains:
    // the slowest of them, not their sum, bounds how long stopping takes.
    let stop = std::sync::Arc::new(stop);
    let signal = {
        let stop = std::sync::Arc::clone(&stop);
        async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        }
    };
    let served = sealpost_web::server::serve(listener, app, connections, signal)
        .await
        .context("while serving HTTP");
    let _ = stop.send(true);
    let _ = gateway_stopped.await;
    for task in gateway_tasks {
        task.abort();
    }
    let _ = worker_task.await;
    // The worker ended its sessions with the relay as it stopped; the gateway may
    // have relayed over one since.
    transport.close().await;
    let _ = shredder.await;
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    served
}

/// Ctrl-C, or SIGTERM (what systemd, `docker stop` and Kubernetes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stopping: finishing the current requests and the current delivery");
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://sealpost:s3cret@db:5432/sealpost"),
            "postgres://sealpost:***@db:5432/sealpost"
        );
        assert_eq!(
            redact("sqlite://data/sealpost.db?mode=rwc"),
            "sqlite://data/sealpost.db?mode=rwc"
        );
    }
}
