//! An outside check of DKIM signatures: mail-auth's verifier, fed the one DNS
//! record a key's owner would publish (as `sealpost dkim create` prints it)
//! instead of asking DNS.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use mail_auth::common::parse::TxtRecordParser as _;
use mail_auth::common::resolver::ToFqdn as _;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};

/// The DNS, as far as the verifier is concerned: the records put in it.
#[derive(Default)]
struct Records(Mutex<HashMap<Box<str>, Txt>>);

impl ResolverCache<Box<str>, Txt> for Records {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, _valid_until: Instant) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, value);
        }
    }
}

/// mail-auth's verdict on every DKIM-Signature of `raw`, with the TXT record
/// `name` → `value` as the only DNS.
pub async fn verify(raw: &[u8], name: &str, value: &str) -> Result<Vec<DkimResult>> {
    let records = Records::default();
    let record = DomainKey::parse(value.as_bytes()).map_err(|e| anyhow::anyhow!("the record does not parse: {e}"))?;
    records.insert(
        name.to_fqdn().into_owned().into_boxed_str(),
        Txt::from(record),
        Instant::now() + Duration::from_secs(3600),
    );
    let message = AuthenticatedMessage::parse(raw).context("mail-auth cannot parse the message")?;
    let outputs = MessageAuthenticator::new_cloudflare()?
        .verify_dkim(Parameters::new(&message).with_txt_cache(&records))
        .await;
    Ok(outputs.iter().map(|o| o.result().clone()).collect())
}
