//! DKIM: every outgoing mail whose `From` domain has a configured key leaves signed.
//!
//! [`DkimSigning`] wraps whichever [`Transport`] is configured (SMTP relay or `.eml`
//! folder) and adds a `DKIM-Signature` header just before the bytes are handed over.
//! Signing and verifying are `mail-auth`'s (on aws-lc-rs); this module only picks the
//! key, and creates keys for `sealpost dkim create` ([`generate`]).
//!
//! Why sign at delivery time rather than when the outbox row is rendered: the
//! signature is computed over exactly the bytes the transport sends, on every attempt,
//! so nothing between rendering and sending can break it; a retry days later signs
//! afresh with the key configured *then* (a rotated key or a newly added domain takes
//! effect for mail already queued, and a removed key never signs again); and the
//! signature carries no expiry (`x=`), so a receiver verifies it however long the
//! relay took to pass it on. The stored rows stay unsigned, so the outbox holds no
//! signature that a later key change would make wrong.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::encoding::AsDer as _;
use base64::Engine as _;
use mail_auth::common::crypto::{DkimKey, Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter as _;
use mail_auth::dkim::{DkimSigner, Done};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;
use sealpost_domain::types::EmailAddress;

use super::{SendError, Transport, header_value};

/// The header fields signed (`h=`). A field listed but absent is signed as absent, so
/// nobody can add a `Reply-To` or `Cc` later without breaking the signature.
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
];

/// One configured key: mail from `domain` is signed with it under `selector`.
pub struct DomainSigner {
    domain: String,
    selector: String,
    signer: DkimSigner<DkimKey, Done>,
}

impl std::fmt::Debug for DomainSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainSigner")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// The key file could not be read.
    #[error("cannot read the DKIM key file {path}: {source}")]
    Read {
        /// The file named in the configuration.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a PEM private key mail-auth can sign with.
    #[error("the DKIM key file {path} is not an RSA or Ed25519 private key in PEM form ({detail})")]
    Key {
        /// The file named in the configuration (empty when read from bytes).
        path: String,
        /// What the PEM or key parser said.
        detail: String,
    },
    /// The domain or selector is not a DNS label sequence.
    #[error("{0}")]
    Name(String),
    /// Key generation failed (the system's random source).
    #[error("cannot create the key: {0}")]
    Generate(String),
}

fn check_name(what: &str, value: &str) -> Result<String, DkimError> {
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(value)
    } else {
        Err(DkimError::Name(format!(
            "the DKIM {what} {value:?} is not a DNS name (letters, digits, hyphens, dots)"
        )))
    }
}

impl DomainSigner {
    /// Reads a PEM private key (PKCS #8 RSA or Ed25519, or PKCS #1 RSA) for `domain`.
    pub fn load(domain: &str, selector: &str, path: &Path) -> Result<Self, DkimError> {
        let pem = std::fs::read(path).map_err(|source| DkimError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pem(domain, selector, &pem).map_err(|e| match e {
            DkimError::Key { detail, .. } => DkimError::Key {
                path: path.display().to_string(),
                detail,
            },
            other => other,
        })
    }

    /// Same as [`DomainSigner::load`], from the PEM bytes.
    pub fn from_pem(domain: &str, selector: &str, pem: &[u8]) -> Result<Self, DkimError> {
        let domain = check_name("domain", domain)?;
        let selector = check_name("selector", selector)?;
        let bad = |detail: String| DkimError::Key {
            path: String::new(),
            detail,
        };
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| bad(e.to_string()))?;
        let key: DkimKey = match der {
            PrivateKeyDer::Pkcs8(pkcs8) => match Ed25519Key::from_pkcs8_maybe_unchecked_der(pkcs8.secret_pkcs8_der()) {
                Ok(ed) => ed.into(),
                Err(_) => RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(pkcs8))
                    .map_err(|e| bad(e.to_string()))?
                    .into(),
            },
            other @ PrivateKeyDer::Pkcs1(_) => RsaKey::<Sha256>::from_key_der(other)
                .map_err(|e| bad(e.to_string()))?
                .into(),
            _ => return Err(bad("an EC (SEC1) key; DKIM needs RSA or Ed25519".to_owned())),
        };
        let signer = DkimSigner::from_key(key)
            .domain(domain.as_str())
            .selector(selector.as_str())
            .headers(SIGNED_HEADERS.iter().copied());
        Ok(Self {
            domain,
            selector,
            signer,
        })
    }

    /// The signing domain (`d=`), lower case.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector (`s=`).
    pub fn selector(&self) -> &str {
        &self.selector
    }
}

/// Signs `raw` with the key for its `From` domain, if there is one: the message with
/// a `DKIM-Signature` header in front, or `None` when no key applies.
pub fn sign(keys: &[DomainSigner], raw: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let Some(domain) = header_value(raw, "from").and_then(|from| from_domain(&from)) else {
        return Ok(None);
    };
    let Some(key) = keys.iter().find(|k| k.domain == domain) else {
        return Ok(None);
    };
    let signature = key
        .signer
        .sign(raw)
        .map_err(|e| format!("DKIM signing for {domain} failed: {e}"))?;
    let header = signature.to_header();
    let mut signed = Vec::with_capacity(header.len() + raw.len());
    signed.extend_from_slice(header.as_bytes());
    signed.extend_from_slice(raw);
    Ok(Some(signed))
}

/// The lower-case domain of a `From` value (`Name <a@b>` or `a@b`).
fn from_domain(from: &str) -> Option<String> {
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => &from[start + 1..end],
        _ => from,
    };
    let domain = address.trim().rsplit_once('@')?.1.trim().trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// A [`Transport`] that DKIM-signs, then hands the bytes to the real transport.
pub struct DkimSigning {
    inner: Arc<dyn Transport>,
    keys: Vec<DomainSigner>,
}

impl DkimSigning {
    /// Wraps `inner`; mail from a domain without a key in `keys` passes unsigned.
    pub fn new(inner: Arc<dyn Transport>, keys: Vec<DomainSigner>) -> Self {
        Self { inner, keys }
    }
}

#[async_trait]
impl Transport for DkimSigning {
    async fn send(&self, to: &EmailAddress, envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        // A signing failure is about our configuration, not this message: wait for it
        // to be fixed rather than send unsigned mail or bounce it.
        match sign(&self.keys, raw).map_err(SendError::Unavailable)? {
            Some(signed) => self.inner.send(to, envelope_from, &signed).await,
            None => self.inner.send(to, envelope_from, raw).await,
        }
    }

    /// Relayed mail passes unsigned, as it came: it is the organisation's own
    /// mail, which its server signs or not.
    async fn relay(&self, to: &[EmailAddress], envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        self.inner.relay(to, envelope_from, raw).await
    }

    async fn tidy(&self) {
        self.inner.tidy().await;
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// The algorithm of a key made by [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSA 2048 with SHA-256: what every receiver verifies.
    Rsa2048,
    /// Ed25519 (RFC 8463): short, but not yet verified everywhere.
    Ed25519,
}

/// A freshly created key: the private key PEM (PKCS #8) and the DNS record.
pub struct GeneratedKey {
    /// `-----BEGIN PRIVATE KEY-----` … ; write it readable by Sealpost only.
    pub private_pem: String,
    /// Where the record goes: `<selector>._domainkey.<domain>`.
    pub record_name: String,
    /// The TXT value: `v=DKIM1; k=rsa; p=…`.
    pub record_value: String,
}

/// Creates a key for `domain`/`selector` and its DNS TXT record.
pub fn generate(domain: &str, selector: &str, algorithm: Algorithm) -> Result<GeneratedKey, DkimError> {
    let domain = check_name("domain", domain)?;
    let selector = check_name("selector", selector)?;
    let fail = |e: &dyn std::fmt::Display| DkimError::Generate(e.to_string());
    let (pkcs8, kind, public) = match algorithm {
        Algorithm::Rsa2048 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| fail(&e))?;
            let pkcs8 = pair.as_der().map_err(|e| fail(&e))?;
            let public = aws_lc_rs::signature::KeyPair::public_key(&pair)
                .as_der()
                .map_err(|e| fail(&e))?;
            (pkcs8.as_ref().to_vec(), "rsa", public.as_ref().to_vec())
        }
        Algorithm::Ed25519 => {
            let pkcs8 = Ed25519Key::generate_pkcs8().map_err(|e| fail(&e))?;
            let public = Ed25519Key::from_pkcs8_der(&pkcs8).map_err(|e| fail(&e))?.public_key();
            (pkcs8, "ed25519", public)
        }
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = b64.encode(&pkcs8);
    let mut private_pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        private_pem.push_str(&String::from_utf8_lossy(line));
        private_pem.push('\n');
    }
    private_pem.push_str("-----END PRIVATE KEY-----\n");
    Ok(GeneratedKey {
        private_pem,
        record_name: format!("{selector}._domainkey.{domain}"),
        record_value: format!("v=DKIM1; k={kind}; p={}", b64.encode(public)),
    })
}

#[cfg(test)]
#[path = "dkim_tests.rs"]
mod tests;
