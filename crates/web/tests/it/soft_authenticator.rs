//! A software authenticator for the HTTP passkey tests: one P-256 key (ES256), no
//! attestation ("none"), user present and verified. It answers the options a
//! passkey page carries exactly as a browser with a platform authenticator would
//! (WebAuthn Level 2 §6.1 authenticator data, §6.5 attestation objects in CBOR,
//! §7 client data), so the service checks real signatures. The browser tests use
//! ChromeDriver's virtual authenticator instead.

use anyhow::{Context as _, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::Private;
use openssl::sha::sha256;
use sealpost_testkit::unescape;

/// One passkey held in memory.
pub struct SoftKey {
    key: EcKey<Private>,
    cred_id: Vec<u8>,
    counter: u32,
    user_handle: Option<String>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A CBOR byte string's head and bytes.
fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> anyhow::Result<()> {
    match bytes.len() {
        n @ 0..=23 => out.push(0x40 | u8::try_from(n)?),
        n @ 24..=255 => out.extend([0x58, u8::try_from(n)?]),
        n => out.extend([0x59].into_iter().chain(u16::try_from(n)?.to_be_bytes())),
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// A CBOR text string (all ours are short).
fn cbor_text(out: &mut Vec<u8>, text: &str) -> anyhow::Result<()> {
    out.push(0x60 | u8::try_from(text.len())?);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The options a passkey page carries in its form's `data-options`.
pub fn options_of(page: &str) -> anyhow::Result<serde_json::Value> {
    let raw = attribute(page, "data-options")?;
    Ok(serde_json::from_str(&raw)?)
}

/// The value of the first `name="…"` attribute on a page, HTML entities undone.
pub fn attribute(page: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("{name}=\"");
    let start = page.find(&marker).with_context(|| format!("no {name} on the page"))? + marker.len();
    let end = page[start..].find('"').context("unterminated attribute")?;
    Ok(unescape(&page[start..start + end]))
}

/// The value of the form field `name` on a page.
pub fn field(page: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .with_context(|| format!("no field {name} on the page"))?
        + marker.len();
    let end = page[start..].find('"').context("unterminated value")?;
    Ok(unescape(&page[start..start + end]))
}

fn client_data(kind: &str, options: &serde_json::Value, origin: &str) -> anyhow::Result<Vec<u8>> {
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .context("the options carry a challenge")?;
    Ok(serde_json::json!({
        "type": kind,
        "challenge": challenge,
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string()
    .into_bytes())
}

impl SoftKey {
    /// A fresh key.
    pub fn new() -> anyhow::Result<Self> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let mut cred_id = vec![0u8; 16];
        openssl::rand::rand_bytes(&mut cred_id)?;
        Ok(Self {
            key: EcKey::generate(&group)?,
            cred_id,
            counter: 0,
            user_handle: None,
        })
    }

    /// The public key as COSE (EC2, ES256, P-256).
    fn cose_key(&self) -> anyhow::Result<Vec<u8>> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let mut ctx = BigNumContext::new()?;
        let (mut x, mut y) = (openssl::bn::BigNum::new()?, openssl::bn::BigNum::new()?);
        self.key
            .public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)?;
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut out, &x.to_vec_padded(32)?)?;
        out.push(0x22);
        cbor_bytes(&mut out, &y.to_vec_padded(32)?)?;
        Ok(out)
    }

    fn auth_data(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let mut data = sha256(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }

    /// The answer to `navigator.credentials.create` with `options`, from `origin`.
    pub fn register(&mut self, options: &serde_json::Value, origin: &str) -> anyhow::Result<String> {
        let rp_id = options["publicKey"]["rp"]["id"].as_str().context("an rp id")?;
        self.user_handle = options["publicKey"]["user"]["id"].as_str().map(str::to_owned);
        // User present, user verified, attested credential data.
        let mut auth_data = self.auth_data(rp_id, 0x45);
        auth_data.extend([0u8; 16]);
        auth_data.extend(u16::try_from(self.cred_id.len())?.to_be_bytes());
        auth_data.extend(&self.cred_id);
        auth_data.extend(self.cose_key()?);
        let mut attestation = vec![0xa3];
        cbor_text(&mut attestation, "fmt")?;
        cbor_text(&mut attestation, "none")?;
        cbor_text(&mut attestation, "attStmt")?;
        attestation.push(0xa0);
        cbor_text(&mut attestation, "authData")?;
        cbor_bytes(&mut attestation, &auth_data)?;
        let client = client_data("webauthn.create", options, origin)?;
        Ok(self.credential(serde_json::json!({
            "attestationObject": b64(&attestation),
            "clientDataJSON": b64(&client),
        })))
    }

    /// The answer to `navigator.credentials.get` with `options`, from `origin`.
    pub fn sign_in(&mut self, options: &serde_json::Value, origin: &str) -> anyhow::Result<String> {
        let rp_id = options["publicKey"]["rpId"].as_str().context("an rp id")?;
        self.counter += 1;
        let auth_data = self.auth_data(rp_id, 0x05);
        let client = client_data("webauthn.get", options, origin)?;
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client));
        let signature = EcdsaSig::sign(&sha256(&signed), &self.key)
            .map_err(|e| anyhow!("signing: {e}"))?
            .to_der()?;
        Ok(self.credential(serde_json::json!({
            "authenticatorData": b64(&auth_data),
            "clientDataJSON": b64(&client),
            "signature": b64(&signature),
            "userHandle": self.user_handle,
        })))
    }

    /// This key's credential carrying `response`, as the page's script posts it
    /// (the JSON of a `PublicKeyCredential`).
    fn credential(&self, response: serde_json::Value) -> String {
        serde_json::json!({
            "id": b64(&self.cred_id),
            "rawId": b64(&self.cred_id),
            "type": "public-key",
            "response": response,
            "extensions": {},
        })
        .to_string()
    }
}
