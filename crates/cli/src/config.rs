//! Configuration, layered: built-in defaults, then the TOML file, then `SEALPOST_*`
//! environment variables and command-line flags (clap merges those two, flags win).
//!
//! The file is `--config PATH`, or `sealpost.toml` in the data directory when it
//! exists. Unknown keys are warned about, never silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use sealpost_web::server::ServerLimits;
use serde::Deserialize;

/// Flags every subcommand accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Folder for the SQLite database, the master key, sealed payloads and outgoing mail.
    #[arg(long, env = "SEALPOST_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`
    /// (default: `sealpost.db` in the data directory).
    #[arg(long, env = "SEALPOST_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Configuration file (default: `sealpost.toml` in the data directory, if present).
    #[arg(long, env = "SEALPOST_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, env = "SEALPOST_LISTEN", global = true)]
    pub listen: Option<String>,
    /// The address people use to reach Sealpost, e.g. `https://mail-secure.example.com`.
    #[arg(long, env = "SEALPOST_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Email address of the operator created on first start.
    #[arg(long, env = "SEALPOST_OPERATOR_EMAIL", global = true)]
    pub operator_email: Option<String>,
    /// Take client addresses from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "SEALPOST_TRUST_FORWARDED_FOR", global = true)]
    pub trust_forwarded_for: Option<bool>,
}

/// The keys the TOML file may hold.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    public_url: Option<String>,
    operator_email: Option<String>,
    trust_forwarded_for: Option<bool>,
    master_key_file: Option<PathBuf>,
    mail_from: Option<String>,
    mail_dir: Option<PathBuf>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    smtp_timeout_secs: Option<u64>,
    mail_workers: Option<usize>,
    outbox_lease_secs: Option<u64>,
    blob_dir: Option<PathBuf>,
    s3_bucket: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_prefix: Option<String>,
    max_attachment_mb: Option<u64>,
    max_envelope_mb: Option<u64>,
    delivery_mode: Option<String>,
    key_destroy_grace_days: Option<i64>,
    max_connections: Option<usize>,
    header_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    gateway: Option<crate::gateway::GatewayFile>,
    dkim: Vec<DkimKeyConfig>,
    metrics_listen: Option<String>,
    require_two_step_for_operators: Option<bool>,
}

const KNOWN_KEYS: &[&str] = &[
    "require_two_step_for_operators",
    "data_dir",
    "database_url",
    "listen",
    "public_url",
    "operator_email",
    "trust_forwarded_for",
    "master_key_file",
    "mail_from",
    "mail_dir",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_username",
    "smtp_password",
    "smtp_timeout_secs",
    "mail_workers",
    "outbox_lease_secs",
    "blob_dir",
    "s3_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_prefix",
    "max_attachment_mb",
    "max_envelope_mb",
    "delivery_mode",
    "key_destroy_grace_days",
    "max_connections",
    "header_timeout_secs",
    "idle_timeout_secs",
    "shutdown_timeout_secs",
    "gateway",
    "dkim",
    "metrics_listen",
];

/// One `[[dkim]]` entry: mail whose `From` is at `domain` is signed with the PEM
/// private key in `key_file`, published under `selector`.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DkimKeyConfig {
    pub domain: String,
    pub selector: String,
    pub key_file: PathBuf,
}

/// How outgoing mail leaves.
#[derive(Debug, Clone)]
pub enum MailTransportConfig {
    /// `.eml` files in this folder (no mail server needed).
    Directory(PathBuf),
    /// An SMTP relay.
    Smtp {
        host: String,
        port: Option<u16>,
        tls: String,
        username: Option<String>,
        password: Option<String>,
        timeout_secs: u64,
    },
}

/// Secure messaging settings.
#[derive(Debug, Clone)]
pub struct MessagingSettings {
    /// Where the master key lives when `SEALPOST_MASTER_KEY` is not set.
    pub master_key_file: PathBuf,
    pub mail_from: String,
    pub transport: MailTransportConfig,
    /// How many deliveries run side by side (one hung relay conversation holds one).
    pub mail_workers: usize,
    /// How long a claimed outbox row stays reserved for its lane (`outbox_lease_secs`,
    /// at least [`sealpost_mail::worker::MIN_LEASE`]): how long the mail of a node
    /// that died waits, and, less half a minute, how long one delivery may take.
    pub outbox_lease: Duration,
    pub blob_dir: PathBuf,
    /// An S3-compatible bucket for the payloads instead of `blob_dir`: what several
    /// nodes share. Credentials come from the environment (`AWS_ACCESS_KEY_ID`, …).
    pub s3: Option<S3Settings>,
    pub max_attachment_bytes: u64,
    pub max_envelope_bytes: u64,
    pub delivery_mode: String,
    /// Days after expiry before a message's key is destroyed.
    pub key_destroy_grace_days: i64,
    /// DKIM keys by sending domain (none: mail leaves unsigned).
    pub dkim_keys: Vec<DkimKeyConfig>,
}

/// Where in an S3-compatible service the payloads live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// `None`: Amazon S3 itself; else the service's URL (MinIO, Ceph, Garage, …).
    pub endpoint: Option<String>,
    pub region: String,
    /// Folder inside the bucket (empty: its root), so that one bucket can serve
    /// several installations.
    pub prefix: String,
}

/// `SEALPOST_<NAME>` from the environment, if set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(format!("SEALPOST_{name}"))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match env(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("SEALPOST_{name}={raw:?} is not a valid value")),
    }
}

/// The settings in force, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    pub public_url: String,
    pub operator_email: String,
    pub trust_forwarded_for: bool,
    pub messaging: MessagingSettings,
    /// Connection cap and timeouts of the listener.
    pub connections: ServerLimits,
    /// The SMTP gateway (`[gateway]`).
    pub gateway: crate::gateway::GatewaySettings,
    /// Where Prometheus scrapes `/metrics` (`metrics_listen`; off when unset). A
    /// listener of its own, so the public port and its load balancer never show it.
    pub metrics_listen: Option<SocketAddr>,
    /// Every operator must use two-step verification (`require_two_step_for_operators`,
    /// `SEALPOST_REQUIRE_TWO_STEP_FOR_OPERATORS`): one without it sets it up at login.
    pub require_two_step_for_operators: bool,
}

impl Config {
    /// Resolves the layers. Fails with a message that says how to fix the problem.
    pub fn load(args: &GlobalArgs) -> anyhow::Result<Self> {
        let default_dir = PathBuf::from("data");
        let provisional_dir = args.data_dir.clone().unwrap_or_else(|| default_dir.clone());
        let file_path = args.config.clone().or_else(|| {
            let candidate = provisional_dir.join("sealpost.toml");
            candidate.exists().then_some(candidate)
        });
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let file_rest = file.clone();
        let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or(default_dir);
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("sealpost.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!(
                "the database URL must start with sqlite:// or postgres:// (got {database_url:?}); set --database-url or SEALPOST_DATABASE_URL"
            );
        }
        let listen_raw = args
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_raw.parse().with_context(|| {
            format!(
                "the listen address {listen_raw:?} is not IP:PORT, e.g. 127.0.0.1:8080; set --listen or SEALPOST_LISTEN"
            )
        })?;
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!(
                "the public URL must start with http:// or https:// (got {public_url:?}); set --public-url or SEALPOST_PUBLIC_URL"
            );
        }
        let operator_email = args
            .operator_email
            .clone()
            .or(file.operator_email)
            .unwrap_or_else(|| "admin@example.com".to_owned());
        let trust_forwarded_for = args.trust_forwarded_for.or(file.trust_forwarded_for).unwrap_or(false);
        let connections = connection_limits(&file_rest)?;
        let require_two_step_for_operators = env_parse("REQUIRE_TWO_STEP_FOR_OPERATORS")?
            .or(file_rest.require_two_step_for_operators)
            .unwrap_or(false);
        let metrics_listen = match env("METRICS_LISTEN").or(file_rest.metrics_listen.clone()) {
            None => None,
            Some(raw) if raw.trim() == "off" => None,
            Some(raw) => Some(raw.trim().parse().with_context(|| {
                format!(
                    "metrics_listen {raw:?} is not IP:PORT, e.g. 127.0.0.1:9464; set it in sealpost.toml or SEALPOST_METRICS_LISTEN"
                )
            })?),
        };
        let gateway = crate::gateway::settings(file_rest.gateway.clone().unwrap_or_default(), &public_url)?;
        let messaging = messaging_settings(&data_dir, &public_url, file_rest)?;
        Ok(Self {
            data_dir,
            database_url,
            listen,
            public_url,
            operator_email,
            trust_forwarded_for,
            require_two_step_for_operators,
            messaging,
            connections,
            gateway,
            metrics_listen,
        })
    }

    /// Cookies are `Secure` when people reach the service over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Whether the database lives in a file of the data directory.
    pub fn uses_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn s3_settings(file: &FileConfig) -> anyhow::Result<Option<S3Settings>> {
    let Some(bucket) = env("S3_BUCKET").or(file.s3_bucket.clone()) else {
        return Ok(None);
    };
    let endpoint = env("S3_ENDPOINT").or(file.s3_endpoint.clone());
    if let Some(url) = &endpoint
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        bail!(
            "s3_endpoint must start with https:// or http:// (got {url:?}); set it in sealpost.toml or SEALPOST_S3_ENDPOINT"
        );
    }
    Ok(Some(S3Settings {
        bucket,
        endpoint,
        region: env("S3_REGION")
            .or(file.s3_region.clone())
            .unwrap_or_else(|| "us-east-1".to_owned()),
        prefix: env("S3_PREFIX")
            .or(file.s3_prefix.clone())
            .unwrap_or_default()
            .trim_matches('/')
            .to_owned(),
    }))
}

/// The default sender: `sealpost@<host of the public URL>` when that host is a
/// domain name, else a reserved name that never reaches real mailboxes' owners.
fn default_mail_from(public_url: &str) -> String {
    let host = public_url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    let is_domain = host.contains('.') && host.chars().any(|c| c.is_ascii_alphabetic());
    if is_domain {
        format!("sealpost@{host}")
    } else {
        "sealpost@localhost.localdomain".to_owned()
    }
}

fn messaging_settings(data_dir: &Path, public_url: &str, file: FileConfig) -> anyhow::Result<MessagingSettings> {
    let s3 = s3_settings(&file)?;
    let smtp_host = env("SMTP_HOST").or(file.smtp_host);
    let transport = match smtp_host {
        Some(host) => MailTransportConfig::Smtp {
            host,
            port: env_parse("SMTP_PORT")?.or(file.smtp_port),
            tls: env("SMTP_TLS")
                .or(file.smtp_tls)
                .unwrap_or_else(|| "starttls".to_owned()),
            username: env("SMTP_USERNAME").or(file.smtp_username),
            password: env("SMTP_PASSWORD").or(file.smtp_password),
            timeout_secs: env_parse("SMTP_TIMEOUT_SECS")?.or(file.smtp_timeout_secs).unwrap_or(30),
        },
        None => MailTransportConfig::Directory(
            env("MAIL_DIR")
                .map(PathBuf::from)
                .or(file.mail_dir)
                .unwrap_or_else(|| data_dir.join("mail")),
        ),
    };
    let delivery_mode = env("DELIVERY_MODE")
        .or(file.delivery_mode)
        .unwrap_or_else(|| "stored".to_owned());
    if !["stored", "envelope", "link"].contains(&delivery_mode.as_str()) {
        bail!(
            "delivery_mode must be stored, envelope or link (got {delivery_mode:?}); set it in sealpost.toml or SEALPOST_DELIVERY_MODE"
        );
    }
    let mib = 1024 * 1024;
    let dkim_keys = match env("DKIM_KEYS") {
        Some(list) => dkim_keys_from_env(&list)?,
        None => file.dkim.clone(),
    };
    Ok(MessagingSettings {
        master_key_file: env("MASTER_KEY_FILE")
            .map(PathBuf::from)
            .or(file.master_key_file)
            .unwrap_or_else(|| data_dir.join("master.key")),
        mail_from: env("MAIL_FROM")
            .or(file.mail_from)
            .unwrap_or_else(|| default_mail_from(public_url)),
        transport,
        mail_workers: match env_parse::<usize>("MAIL_WORKERS")?.or(file.mail_workers) {
            Some(0) => bail!("mail_workers must be at least 1; set it in sealpost.toml or SEALPOST_MAIL_WORKERS"),
            Some(n) => n,
            None => sealpost_mail::worker::DEFAULT_LANES,
        },
        outbox_lease: outbox_lease(env_parse("OUTBOX_LEASE_SECS")?.or(file.outbox_lease_secs))?,
        s3,
        blob_dir: env("BLOB_DIR")
            .map(PathBuf::from)
            .or(file.blob_dir)
            .unwrap_or_else(|| data_dir.join("blobs")),
        max_attachment_bytes: env_parse::<u64>("MAX_ATTACHMENT_MB")?
            .or(file.max_attachment_mb)
            .unwrap_or(100)
            * mib,
        max_envelope_bytes: env_parse::<u64>("MAX_ENVELOPE_MB")?
            .or(file.max_envelope_mb)
            .unwrap_or(10)
            * mib,
        delivery_mode,
        key_destroy_grace_days: env_parse("KEY_DESTROY_GRACE_DAYS")?
            .or(file.key_destroy_grace_days)
            .unwrap_or(30),
        dkim_keys,
    })
}

/// The outbox lease from `outbox_lease_secs` (or `SEALPOST_OUTBOX_LEASE_SECS`):
/// [`sealpost_mail::worker::DEFAULT_LEASE`] unless set; shorter than
/// [`sealpost_mail::worker::MIN_LEASE`] is refused, as it would leave a delivery no
/// time (it may take the lease less half a minute).
fn outbox_lease(secs: Option<u64>) -> anyhow::Result<Duration> {
    let min = sealpost_mail::worker::MIN_LEASE.as_secs();
    match secs {
        None => Ok(sealpost_mail::worker::DEFAULT_LEASE),
        Some(secs) if secs < min => bail!(
            "outbox_lease_secs must be at least {min} seconds (got {secs}): a delivery may take the lease less 30 seconds; \
             set it in sealpost.toml or SEALPOST_OUTBOX_LEASE_SECS (default {})",
            sealpost_mail::worker::DEFAULT_LEASE.as_secs()
        ),
        Some(secs) => Ok(Duration::from_secs(secs)),
    }
}

/// `SEALPOST_DKIM_KEYS`: `domain:selector:key_file`, several separated by commas;
/// replaces the file's `[[dkim]]` list.
fn dkim_keys_from_env(list: &str) -> anyhow::Result<Vec<DkimKeyConfig>> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let mut parts = entry.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(domain), Some(selector), Some(key_file))
                    if !domain.is_empty() && !selector.is_empty() && !key_file.is_empty() =>
                {
                    Ok(DkimKeyConfig {
                        domain: domain.to_owned(),
                        selector: selector.to_owned(),
                        key_file: PathBuf::from(key_file),
                    })
                }
                _ => bail!(
                    "SEALPOST_DKIM_KEYS entry {entry:?} is not domain:selector:key_file (several separated by commas)"
                ),
            }
        })
        .collect()
}

/// The listener's cap and timeouts: `SEALPOST_*`, then the file, then defaults.
fn connection_limits(file: &FileConfig) -> anyhow::Result<ServerLimits> {
    let defaults = ServerLimits::default();
    let secs = |name: &str, from_file: Option<u64>, default: Duration| -> anyhow::Result<Duration> {
        let value = env_parse::<u64>(name)?.or(from_file);
        match value {
            Some(0) => bail!("{} must be at least 1 second (SEALPOST_{name})", name.to_lowercase()),
            Some(secs) => Ok(Duration::from_secs(secs)),
            None => Ok(default),
        }
    };
    let max_connections = env_parse::<usize>("MAX_CONNECTIONS")?
        .or(file.max_connections)
        .unwrap_or(defaults.max_connections);
    if max_connections == 0 {
        bail!("max_connections must be at least 1 (SEALPOST_MAX_CONNECTIONS)");
    }
    Ok(ServerLimits {
        max_connections,
        header_timeout: secs("HEADER_TIMEOUT_SECS", file.header_timeout_secs, defaults.header_timeout)?,
        idle_timeout: secs("IDLE_TIMEOUT_SECS", file.idle_timeout_secs, defaults.idle_timeout)?,
        shutdown_timeout: secs(
            "SHUTDOWN_TIMEOUT_SECS",
            file.shutdown_timeout_secs,
            defaults.shutdown_timeout,
        )?,
    })
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading the configuration file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("the configuration file {} is not valid TOML", path.display()))?;
    for key in table.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            tracing::warn!(file = %path.display(), key = %key, "unknown configuration key ignored; known keys: {}", KNOWN_KEYS.join(", "));
            eprintln!(
                "warning: unknown key {key:?} in {} ignored (known: {})",
                path.display(),
                KNOWN_KEYS.join(", ")
            );
        }
    }
    toml::from_str(&text).with_context(|| {
        format!(
            "the configuration file {} has a value of the wrong type",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sender_follows_the_public_address() {
        assert_eq!(
            default_mail_from("https://secure.example.com"),
            "sealpost@secure.example.com"
        );
        assert_eq!(
            default_mail_from("http://127.0.0.1:8080"),
            "sealpost@localhost.localdomain"
        );
    }

    #[test]
    fn defaults_keep_everything_in_the_data_folder() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join("sealpost-config-test-defaults");
        let config = Config::load(&GlobalArgs {
            data_dir: Some(dir.clone()),
            ..GlobalArgs::default()
        })?;
        assert_eq!(
            config.database_url,
            format!("sqlite://{}?mode=rwc", dir.join("sealpost.db").display())
        );
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(!config.secure_cookies());
        assert_eq!(config.messaging.blob_dir, dir.join("blobs"));
        assert_eq!(config.messaging.master_key_file, dir.join("master.key"));
        assert!(matches!(&config.messaging.transport, MailTransportConfig::Directory(d) if *d == dir.join("mail")));
        assert_eq!(config.messaging.max_attachment_bytes, 100 * 1024 * 1024);
        Ok(())
    }

    #[test]
    fn file_values_yield_to_flags_and_bad_values_explain_themselves() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("sealpost-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("sealpost.toml"),
            "listen = \"127.0.0.1:9000\"\npublic_url = \"https://secure.example.com/\"\nunknown = 1\n",
        )?;
        let config = Config::load(&GlobalArgs {
            data_dir: Some(dir.clone()),
            ..GlobalArgs::default()
        })?;
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.public_url, "https://secure.example.com");
        assert!(config.secure_cookies());
        let flagged = Config::load(&GlobalArgs {
            data_dir: Some(dir.clone()),
            listen: Some("127.0.0.1:9100".into()),
            ..GlobalArgs::default()
        })?;
        assert_eq!(flagged.listen.to_string(), "127.0.0.1:9100");
        let bad = Config::load(&GlobalArgs {
            data_dir: Some(dir.clone()),
            listen: Some("nowhere".into()),
            ..GlobalArgs::default()
        });
        assert!(bad.is_err_and(|e| e.to_string().contains("SEALPOST_LISTEN")));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn the_outbox_lease_comes_from_the_file_and_refuses_less_than_a_minute() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let load = |toml: &str| -> anyhow::Result<Config> {
            std::fs::write(dir.path().join("sealpost.toml"), toml)?;
            Config::load(&GlobalArgs {
                data_dir: Some(dir.path().to_owned()),
                ..GlobalArgs::default()
            })
        };
        assert_eq!(load("")?.messaging.outbox_lease, Duration::from_secs(300));
        assert_eq!(
            load("outbox_lease_secs = 90\n")?.messaging.outbox_lease,
            Duration::from_secs(90)
        );
        assert_eq!(
            load("outbox_lease_secs = 60\n")?.messaging.outbox_lease,
            Duration::from_secs(60)
        );
        let short = load("outbox_lease_secs = 59\n").map(|_| ()).map_err(|e| e.to_string());
        assert!(
            short.as_ref().is_err_and(
                |e| e.starts_with("outbox_lease_secs must be at least 60 seconds (got 59)")
                    && e.contains("SEALPOST_OUTBOX_LEASE_SECS")
            ),
            "{short:?}"
        );
        Ok(())
    }

    #[test]
    fn dkim_keys_come_from_the_file_or_the_environment_list() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("sealpost.toml"),
            "[[dkim]]\ndomain = \"example.com\"\nselector = \"s1\"\nkey_file = \"/etc/sealpost/s1.pem\"\n",
        )?;
        let config = Config::load(&GlobalArgs {
            data_dir: Some(dir.path().to_owned()),
            ..GlobalArgs::default()
        })?;
        assert_eq!(
            config.messaging.dkim_keys,
            [DkimKeyConfig {
                domain: "example.com".into(),
                selector: "s1".into(),
                key_file: PathBuf::from("/etc/sealpost/s1.pem"),
            }]
        );
        let listed = dkim_keys_from_env("a.example:s1:/k/a.pem, b.example:s2:/k/b.pem")?;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].key_file, PathBuf::from("/k/b.pem"));
        assert!(
            dkim_keys_from_env("a.example:/k/a.pem").is_err_and(|e| e.to_string().contains("domain:selector:key_file"))
        );
        Ok(())
    }
}
