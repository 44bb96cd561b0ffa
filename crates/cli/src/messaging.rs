//! Wiring secure messaging: the master key, the blob store, the mail notifier,
//! the transport (SMTP relay or `.eml` folder) and the outbox worker.
//!
//! The master key comes from `SEALPOST_MASTER_KEY` (base64, 32 bytes; what every
//! node of a cluster must share), else from the key file, which is created with
//! mode 0600 on first start. Without it no message can ever be opened again: back
//! it up apart from the database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sealpost_crypto::keys::Key256;
use sealpost_domain::links::Links;
use sealpost_domain::messages::DeliveryMode;
use sealpost_domain::ports::Clock;
use sealpost_domain::services::messages::{Messaging, MessagingConfig};
use sealpost_mail::{
    DkimSigning, DomainSigner, MailDir, MailNotifier, OutboxWorker, SmtpRelay, SmtpRelayConfig, TlsMode, Transport,
};
use sealpost_storage::{ObjectBlobStore, SqlStore};
use secrecy::SecretString;

use object_store::aws::AmazonS3Builder;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};

use crate::config::{Config, MailTransportConfig, S3Settings};

/// Reads the master key, creating the key file on first use.
pub fn master_key(path: &Path) -> anyhow::Result<Key256> {
    if let Ok(encoded) = std::env::var("SEALPOST_MASTER_KEY") {
        return Key256::from_base64(&encoded).map_err(|e| {
            anyhow::anyhow!("SEALPOST_MASTER_KEY is not a base64-encoded 32-byte key ({e}); generate one with `openssl rand -base64 32`")
        });
    }
    match std::fs::read_to_string(path) {
        Ok(encoded) => {
            warn_if_readable_by_others(path);
            Key256::from_base64(&encoded).map_err(|e| {
                anyhow::anyhow!(
                    "the master key file {} is damaged ({e}); restore it from your backup",
                    path.display()
                )
            })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = Key256::generate().context("while generating the master key")?;
            crate::limits::create_private_file(path, key.to_base64().as_bytes(), "the master key file")?;
            eprintln!(
                "Created the master key at {}. Back it up apart from the database: without it no message can be opened.",
                path.display()
            );
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("while reading the master key file {}", path.display())),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(file = %path.display(), "the master key file is readable by others; run chmod 600 on it");
            eprintln!(
                "warning: {} is readable by other users; run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
}

/// The configured transport, DKIM-signing when keys are configured.
fn transport(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<dyn Transport>> {
    let inner = unsigned_transport(config, clock)?;
    let keys = &config.messaging.dkim_keys;
    if keys.is_empty() {
        return Ok(inner);
    }
    let signers = keys
        .iter()
        .map(|key| {
            DomainSigner::load(&key.domain, &key.selector, &key.key_file).with_context(|| {
                format!(
                    "DKIM key for {} (check [[dkim]] in sealpost.toml or SEALPOST_DKIM_KEYS; `sealpost dkim create` makes one)",
                    key.domain
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for signer in &signers {
        tracing::info!(
            domain = signer.domain(),
            selector = signer.selector(),
            "outgoing mail from this domain is DKIM-signed"
        );
    }
    Ok(Arc::new(DkimSigning::new(inner, signers)))
}

/// The configured transport as is, before DKIM signing.
fn unsigned_transport(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match &config.messaging.transport {
        MailTransportConfig::Directory(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("while creating the mail folder {}", dir.display()))?;
            tracing::info!(folder = %dir.display(), "no SMTP relay configured: outgoing mail is written as .eml files");
            Arc::new(MailDir::new(dir.clone(), clock))
        }
        MailTransportConfig::Smtp {
            host,
            port,
            tls,
            username,
            password,
            timeout_secs,
        } => {
            let tls: TlsMode = tls
                .parse()
                .map_err(|_| anyhow::anyhow!("smtp_tls must be none, starttls or tls (got {tls:?})"))?;
            if username.is_some() != password.is_some() {
                bail!("set both smtp_username and smtp_password (SEALPOST_SMTP_PASSWORD), or neither");
            }
            let mut relay = SmtpRelayConfig::new(host.clone());
            relay.port = *port;
            relay.tls = tls;
            relay.username = username.clone();
            relay.password = password.clone().map(SecretString::from);
            relay.timeout = Duration::from_secs(*timeout_secs);
            Arc::new(SmtpRelay::new(relay).context("while setting up the SMTP relay")?)
        }
    })
}

/// Builds messaging and its outbox worker.
pub fn build(
    config: &Config,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Messaging, OutboxWorker)> {
    let settings = &config.messaging;
    let master_key = master_key(&settings.master_key_file)?;
    let notifier = Arc::new(
        MailNotifier::new("Sealpost", &settings.mail_from, clock.clone()).with_context(|| {
            format!(
                "mail_from {:?} is not a usable address; set SEALPOST_MAIL_FROM",
                settings.mail_from
            )
        })?,
    );
    let worker = OutboxWorker::new(
        store.clone(),
        transport(config, clock.clone())?,
        clock,
        notifier.clone(),
        &settings.mail_from,
    )?
    .with_lanes(settings.mail_workers)
    .with_lease(settings.outbox_lease)
    .with_mail_seal(Arc::new(
        sealpost_domain::sealed_mail::MailSeal::from_master(&master_key).context("while deriving the outbox key")?,
    ));
    let blobs = match &settings.s3 {
        Some(s3) => bucket(s3)?,
        None => ObjectBlobStore::local(&settings.blob_dir)
            .with_context(|| format!("while opening the blob folder {}", settings.blob_dir.display()))?,
    }
    .reporting_to(&store);
    let messaging = Messaging {
        blobs: Arc::new(blobs),
        notifier,
        master_key: Arc::new(master_key),
        config: MessagingConfig {
            links: Links::new(&config.public_url),
            from_address: notifier_address(&settings.mail_from),
            max_attachment_bytes: settings.max_attachment_bytes,
            max_envelope_payload: settings.max_envelope_bytes,
            delivery_mode: DeliveryMode::from_stored(&settings.delivery_mode),
        },
        outbox_waker: worker.waker(),
    };
    Ok((messaging, worker))
}

/// The payloads' store in an S3-compatible bucket, with the credentials of the
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, or
/// the instance's role). Nothing is sent before the first message is sealed.
fn bucket(s3: &S3Settings) -> anyhow::Result<ObjectBlobStore> {
    let store = bucket_store(s3)?;
    tracing::info!(
        bucket = s3.bucket,
        endpoint = s3.endpoint.as_deref().unwrap_or("Amazon S3"),
        prefix = s3.prefix,
        "sealed payloads are kept in an S3 bucket"
    );
    Ok(ObjectBlobStore::new(store))
}

/// The configured bucket as an object store, its prefix applied: what
/// [`bucket`] seals into and `sealpost copy blobs` copies to and from.
pub fn bucket_store(s3: &S3Settings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    // A few quick retries: a page waits on them, and /healthz must answer a load
    // balancer within its timeout when the bucket is gone.
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(20),
        ..RetryConfig::default()
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_retry(retry)
        .with_client_options(ClientOptions::new().with_connect_timeout(Duration::from_secs(5)));
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    let bucket: Arc<dyn ObjectStore> = Arc::new(builder.build().with_context(|| {
        format!(
            "while setting up the bucket {} (check s3_bucket, s3_endpoint, s3_region and the AWS_* credentials)",
            s3.bucket
        )
    })?);
    Ok(if s3.prefix.is_empty() {
        bucket
    } else {
        Arc::new(PrefixStore::new(bucket, s3.prefix.as_str()))
    })
}

/// The bare address of a `Name <address>` setting.
fn notifier_address(mail_from: &str) -> String {
    match (mail_from.find('<'), mail_from.rfind('>')) {
        (Some(start), Some(end)) if start < end => mail_from[start + 1..end].trim().to_owned(),
        _ => mail_from.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_key_file_is_created_private_and_read_back() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("keys").join("master.key");
        let first = master_key(&path)?;
        let again = master_key(&path)?;
        assert_eq!(first.expose(), again.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key")?;
        assert!(master_key(&path).is_err_and(|e| e.to_string().contains("damaged")));
        Ok(())
    }

    #[test]
    fn display_names_are_stripped_from_the_sender() {
        assert_eq!(
            notifier_address("Sealpost <noreply@example.com>"),
            "noreply@example.com"
        );
        assert_eq!(notifier_address("noreply@example.com"), "noreply@example.com");
    }
}
