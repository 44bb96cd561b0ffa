//! An account's branding as the web pages show it: on the login, registration and
//! message pages a recipient reaches from that account's mail, and as the Images
//! tab's preview.
//!
//! The page CSP allows no inline style, so the colour travels as a one-pixel PNG
//! (`data:` URI, which `img-src` allows) stretched behind white text, and the logo
//! as a `data:` URI too: nothing is fetched, no route serves account images.

use sealpost_domain::branding::Branding;
use sealpost_domain::messages::PublicId;
use sealpost_domain::types::AccountId;
use sealpost_i18n::{Arg, Translator};

use crate::AppState;

/// What the brand header shows.
#[derive(Debug, Clone)]
pub struct BrandView {
    /// The organisation's display name.
    pub name: Option<String>,
    /// The logo, `data:image/png;base64,…`.
    pub logo: Option<String>,
    /// The colour as a one-pixel PNG `data:` URI (Sealpost's blue when unset).
    pub swatch: Option<String>,
    /// "Secure messages by Sealpost": the service, in small print.
    pub service_line: String,
    /// The band's text ("Registered Envelope").
    pub band_label: String,
}

impl BrandView {
    /// The view of `branding`; `None` when nothing is set (the default look).
    pub fn of(branding: &Branding, t: &Translator) -> Option<Self> {
        branding.is_set().then(|| Self {
            name: branding.display_name.as_ref().map(|n| n.as_str().to_owned()),
            logo: branding.logo.as_ref().map(|l| l.data_uri()),
            swatch: branding.colour.map(|c| c.swatch_data_uri()),
            service_line: t.get_with("branding-service-line", &[("service", Arg::Text("Sealpost"))]),
            band_label: t.get("mail-envelope-title"),
        })
    }

    /// The branding of the account that sent the message a recipient's `next`
    /// path (`/m/{id}`, with or without a query) leads to. `None` for any other
    /// path, an unknown id, or when the branding cannot be read (logged): a
    /// recipient's page never fails for want of a logo.
    pub async fn for_next(state: &AppState, t: &Translator, next: &str) -> Option<Self> {
        let id = next.strip_prefix("/m/")?;
        let id = id.split(['?', '/', '#']).next()?;
        let id = PublicId::parse(id)?;
        Self::for_message(state, t, &id).await
    }

    /// The look of `account`, for a page whose message is already read (no
    /// second look-up of the message).
    pub async fn for_account(state: &AppState, t: &Translator, account: AccountId) -> Option<Self> {
        match state.services.account_look(account).await {
            Ok(look) => Self::of(&look.branding, t),
            Err(error) => Self::or_default(Err(error), t),
        }
    }

    /// The look of the account that sent message `id` (the default for an unknown id).
    pub async fn for_message(state: &AppState, t: &Translator, id: &PublicId) -> Option<Self> {
        Self::or_default(state.services.branding_for_message(id).await, t)
    }

    /// The look read, or the default one (logged) when it could not be read.
    fn or_default(read: Result<Branding, sealpost_domain::DomainError>, t: &Translator) -> Option<Self> {
        match read {
            Ok(branding) => Self::of(&branding, t),
            Err(error) => {
                tracing::warn!(%error, "the branding of a message's account could not be read; default look");
                None
            }
        }
    }
}
