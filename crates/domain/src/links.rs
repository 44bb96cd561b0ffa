//! The links Sealpost puts in mail and prints: one value, built once from the
//! configured public URL, owns every web address the domain, the mail crate and
//! the CLI hand out, so no other crate spells a route.
//!
//! The web crate defines the routes themselves (`web::recipient::router()` and its
//! siblings); its test `links::every_link_the_domain_makes_is_answered_by_a_route`
//! follows each link made here, so the two cannot drift apart.
//!
//! Query values are percent-encoded here: a token is URL-safe base64 already, but
//! a `next` path carries `?`, `&` and `%` of its own, and must reach the page that
//! reads it unchanged.

use std::fmt::Write as _;

use crate::messages::PublicId;
use crate::redirect::safe_next;

/// The portal's start page: where a link without a usable `next` leads.
pub const PORTAL_PATH: &str = "/portal";

/// Every web address Sealpost hands out, under one public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The public URL without a trailing slash (`https://secure.example.com`).
    base: String,
}

impl Links {
    /// Links under `public_url` (`https://secure.example.com`, a trailing slash
    /// or not).
    pub fn new(public_url: &str) -> Self {
        Self {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The public URL itself, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The path of a message's page (`/m/{id}`): what a link returns to after
    /// registering or logging in.
    pub fn message_path(id: &PublicId) -> String {
        format!("/m/{}", id.to_hex())
    }

    /// A message's page.
    pub fn message(&self, id: &PublicId) -> String {
        format!("{}{}", self.base, Self::message_path(id))
    }

    /// The notification's "Open Online" link for `recipient`: the message's page,
    /// which offers a recipient without an account the registration form for their
    /// address (and everyone else the login form), as the envelope's button does.
    pub fn message_for(&self, id: &PublicId, recipient: &str) -> String {
        format!("{}?r={}", self.message(id), percent_encode(recipient))
    }

    /// A No Password Required message's link for the recipient whose secret is
    /// `secret` (the page answers with no referrer and no caching).
    pub fn message_with_secret(&self, id: &PublicId, secret: &str) -> String {
        format!("{}{}/k/{secret}", self.base, Self::message_path(id))
    }

    /// Where the Registered Envelope's "Open Online" button posts its payload.
    pub fn envelope_open(&self) -> String {
        format!("{}/envelope/open", self.base)
    }

    /// The registration form, which the envelope's "Register" button opens (its
    /// fields travel as the form's own query).
    pub fn register(&self) -> String {
        format!("{}/register", self.base)
    }

    /// The activation link of a new registration; after it, the browser goes to
    /// `next` when that is a plain path of this site, else to the portal.
    pub fn activation(&self, token: &str, next: &str) -> String {
        format!(
            "{}/activate?token={}&next={}",
            self.base,
            percent_encode(token),
            percent_encode(safe_next(next))
        )
    }

    /// The link proving a logged-in user's mailbox; `next` as for
    /// [`Links::activation`].
    pub fn mailbox_proof(&self, token: &str, next: &str) -> String {
        format!(
            "{}/verify?token={}&next={}",
            self.base,
            percent_encode(token),
            percent_encode(safe_next(next))
        )
    }

    /// The link that sets a new password.
    pub fn password_reset(&self, token: &str) -> String {
        format!("{}/password/reset?token={}", self.base, percent_encode(token))
    }

    /// The link confirming an account's new sending address.
    pub fn sender_confirmation(&self, token: &str) -> String {
        format!("{}/confirm-sender?token={}", self.base, percent_encode(token))
    }

    /// The sender's page of one sent message (read receipts point there).
    pub fn sent(&self, id: &PublicId) -> String {
        format!("{}/portal/sent/{}", self.base, id.to_hex())
    }

    /// The page that mails a password-reset link.
    pub fn forgot_password(&self) -> String {
        format!("{}/password/forgot", self.base)
    }

    /// The signed-in user's security page (password, two-step verification, passkeys).
    pub fn security(&self) -> String {
        format!("{}/me/security", self.base)
    }

    /// The administration pages, where the first operator logs in.
    pub fn admin(&self) -> String {
        format!("{}/admin", self.base)
    }
}

/// `text` with every byte but letters, digits and `-._~/` written as `%XX`: safe
/// as a query value, and a path stays readable.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: PublicId = PublicId([
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);

    fn links() -> Links {
        Links::new("https://secure.example.com")
    }

    #[test]
    fn each_link_has_its_exact_form() {
        let l = links();
        assert_eq!(
            l.message(&ID),
            "https://secure.example.com/m/00112233445566778899aabbccddeeff"
        );
        assert_eq!(Links::message_path(&ID), "/m/00112233445566778899aabbccddeeff");
        assert_eq!(l.envelope_open(), "https://secure.example.com/envelope/open");
        assert_eq!(l.register(), "https://secure.example.com/register");
        assert_eq!(
            l.activation("tok-EN_123", "/portal"),
            "https://secure.example.com/activate?token=tok-EN_123&next=/portal"
        );
        assert_eq!(
            l.mailbox_proof("tok-EN_123", "/m/0011"),
            "https://secure.example.com/verify?token=tok-EN_123&next=/m/0011"
        );
        assert_eq!(
            l.password_reset("tok-EN_123"),
            "https://secure.example.com/password/reset?token=tok-EN_123"
        );
        assert_eq!(
            l.sender_confirmation("tok-EN_123"),
            "https://secure.example.com/confirm-sender?token=tok-EN_123"
        );
        assert_eq!(
            l.sent(&ID),
            "https://secure.example.com/portal/sent/00112233445566778899aabbccddeeff"
        );
        assert_eq!(l.admin(), "https://secure.example.com/admin");
    }

    #[test]
    fn a_trailing_slash_in_the_public_url_makes_no_double_slash() {
        let l = Links::new("https://secure.example.com/sealpost/");
        assert_eq!(l.base(), "https://secure.example.com/sealpost");
        assert_eq!(l.register(), "https://secure.example.com/sealpost/register");
    }

    #[test]
    fn next_is_encoded_as_one_query_value() {
        // A `next` with its own query and fragment stays one value: `?`, `&`, `=`,
        // `%` and `#` are encoded, the path's slashes are not.
        assert_eq!(
            links().activation("t", "/m/ab?r=bob%40example.com&x=1#top"),
            "https://secure.example.com/activate?token=t&next=/m/ab%3Fr%3Dbob%2540example.com%26x%3D1%23top"
        );
        assert_eq!(
            links().mailbox_proof("t", "/portal/sent?page=2"),
            "https://secure.example.com/verify?token=t&next=/portal/sent%3Fpage%3D2"
        );
    }

    #[test]
    fn a_next_leading_elsewhere_becomes_the_portal() {
        for bad in ["//evil.example", "https://evil.example/", "/\t/evil.example", ""] {
            assert_eq!(
                links().activation("t", bad),
                "https://secure.example.com/activate?token=t&next=/portal",
                "{bad:?}"
            );
            assert_eq!(
                links().mailbox_proof("t", bad),
                "https://secure.example.com/verify?token=t&next=/portal",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tokens_are_encoded_too() {
        assert_eq!(
            links().password_reset("a b&c=d/é"),
            "https://secure.example.com/password/reset?token=a%20b%26c%3Dd/%C3%A9"
        );
        assert_eq!(
            links().sender_confirmation("x+y"),
            "https://secure.example.com/confirm-sender?token=x%2By"
        );
    }
}
