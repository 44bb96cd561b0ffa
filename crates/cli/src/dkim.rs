//! `sealpost dkim create --domain D --selector S [--out FILE]`: makes the key that
//! signs outgoing mail from D, writes it readable by this user only, and prints the
//! DNS TXT record to publish and the configuration lines that put it to use.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use sealpost_mail::transport::dkim::{Algorithm, generate};

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Create a signing key for a domain; prints the DNS TXT record to publish.
    Create {
        /// The domain of the sender address (`mail_from`), e.g. example.com.
        #[arg(long)]
        domain: String,
        /// The selector: the name of this key under the domain, e.g. sealpost2026.
        #[arg(long)]
        selector: String,
        /// Where to write the private key (default: dkim/<selector>.<domain>.pem in the data folder).
        #[arg(long)]
        out: Option<PathBuf>,
        /// rsa (2048 bits, verified everywhere) or ed25519.
        #[arg(long, value_enum, default_value_t = KeyAlgorithm::Rsa)]
        algorithm: KeyAlgorithm,
    },
}

/// The key types `dkim create` makes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyAlgorithm {
    Rsa,
    Ed25519,
}

/// Runs a `dkim` subcommand; it needs no database.
pub fn run(config: &Config, command: DkimCommand) -> anyhow::Result<()> {
    let DkimCommand::Create {
        domain,
        selector,
        out,
        algorithm,
    } = command;
    let algorithm = match algorithm {
        KeyAlgorithm::Rsa => Algorithm::Rsa2048,
        KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
    };
    let key = generate(&domain, &selector, algorithm)?;
    let domain = key
        .record_name
        .split_once("._domainkey.")
        .map_or(domain.clone(), |(_, d)| d.to_owned());
    let selector = key
        .record_name
        .split_once("._domainkey.")
        .map_or(selector.clone(), |(s, _)| s.to_owned());
    let path = out.unwrap_or_else(|| config.data_dir.join("dkim").join(format!("{selector}.{domain}.pem")));
    write_private(&path, key.private_pem.as_bytes())?;
    // The configuration line must work whatever folder `serve` starts in.
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let quoted: Vec<String> = key
        .record_value
        .as_bytes()
        .chunks(250)
        .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
        .collect();
    println!(
        "Private key written to {} (readable by this user only).",
        path.display()
    );
    println!();
    println!("Publish this DNS TXT record:");
    println!("name: {}", key.record_name);
    println!("value: {}", key.record_value);
    println!();
    println!("As a zone file line (long values split into strings of at most 255 characters):");
    println!("{}. IN TXT ( {} )", key.record_name, quoted.join(" "));
    println!();
    println!("Then add the key to sealpost.toml and restart Sealpost:");
    println!("[[dkim]]");
    println!("domain = \"{domain}\"");
    println!("selector = \"{selector}\"");
    println!("key_file = \"{}\"", path.display());
    Ok(())
}

/// Writes a new file readable and writable by its owner only; never overwrites.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; choose another --out or --selector (a key in use is never overwritten)",
            path.display()
        );
    }
    crate::limits::create_private_file(path, bytes, "the key file")
}
