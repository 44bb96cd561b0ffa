//! Sealpost's domain: what the service *is*, independent of HTTP, SMTP and SQL.
//!
//! Layout:
//! - [`types`]: newtypes parsed at the boundary (`EmailAddress`, `GroupName`, …);
//!   once a value has one of these types it is known to be valid.
//! - [`model`]: the records services hand out (`User`, `Account`, `Group`, …).
//! - [`error`]: [`DomainError`] and [`ValidationError`], the only errors services return.
//! - [`ports`]: the traits storage and mail implement, one per aggregate
//!   ([`ports::UserStore`], [`ports::MessageStore`], …, all of them as [`ports::Store`]),
//!   [`ports::BlobStore`], [`ports::Notifier`] and the [`ports::Clock`].
//! - [`branding`]: an account's display name, colour and logo, parsed and re-encoded.
//! - [`messages`]: secure messages' records (no port: those are in [`ports`]).
//! - [`profiles`]: envelope profiles (the BCE Config tab) and their security levels.
//! - [`policy`]: who may do what ([`policy::Actor`], [`policy::AccountScope`]).
//! - [`services`]: the operations the web portal and the CLI call.
//! - [`links`]: [`links::Links`], every web address handed out in mail or printed,
//!   built once from the public URL.
//! - [`redirect`]: which `next` targets a redirect may follow (this site's paths only).
//! - [`two_step`]: second factors (TOTP, recovery codes) and logins waiting for one.
//! - [`passkeys`]: passkeys (WebAuthn), the other kind of second factor, and their ceremonies.
//! - [`sealed_mail`]: outbox mail that carries a recipient's secret, sealed at rest.
//!
//! Nothing here performs I/O except through a port.

pub mod account_tokens;
pub mod branding;
pub mod error;
pub mod inline_images;
pub mod links;
pub mod messages;
pub mod model;
pub mod passkeys;
pub mod policy;
pub mod ports;
pub mod profiles;
pub mod redirect;
pub mod sealed_mail;
pub mod sender_domains;
pub mod services;
pub mod settings;
pub mod two_step;
pub mod types;

pub use error::{DomainError, ValidationError};
