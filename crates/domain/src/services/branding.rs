//! Reading and changing an account's branding (see [`crate::branding`]).

use super::Services;
use crate::branding::{BrandColour, Branding, DisplayName, Logo};
use crate::error::DomainError;
use crate::messages::PublicId;
use crate::policy::AccountScope;
use crate::types::AccountId;

/// What the Images form saves: the name and colour (`None`: the default), and a
/// new logo when one was uploaded (`None` keeps the current one).
#[derive(Debug, Clone, Default)]
pub struct BrandingChange {
    pub display_name: Option<DisplayName>,
    pub colour: Option<BrandColour>,
    pub new_logo: Option<Logo>,
}

impl Services {
    /// The scope's account's branding.
    pub async fn account_branding(&self, scope: &AccountScope) -> Result<Branding, DomainError> {
        self.branding_of(scope.account.id).await
    }

    pub async fn branding_of(&self, account: AccountId) -> Result<Branding, DomainError> {
        let settings = self.settings_of(account).await?;
        let logo = self.store.account_logo(account).await?.map(Logo::from_stored);
        Ok(Branding {
            display_name: settings.brand_name,
            colour: settings.brand_colour,
            logo,
        })
    }

    /// The branding of the account that sent message `public_id`, for the pages a
    /// recipient reaches from its mail (login, registration, the message), as
    /// [`Services::account_look`] keeps it. The default look for an id that names no message: the page tells nothing more.
    pub async fn branding_for_message(&self, public_id: &PublicId) -> Result<Branding, DomainError> {
        match self.store.message(public_id).await {
            Ok(message) => Ok(self.account_look(message.account_id).await?.branding.clone()),
            Err(DomainError::NotFound) => Ok(Branding::default()),
            Err(other) => Err(other),
        }
    }

    /// Saves the name and colour (each audited as a setting, `account.brand_name_set`
    /// and `account.brand_colour_set`) and, when given, the new logo
    /// (`account.logo_set`, its size as target).
    pub async fn save_branding(&self, scope: &AccountScope, change: BrandingChange) -> Result<(), DomainError> {
        let BrandingChange {
            display_name,
            colour,
            new_logo,
        } = change;
        self.change_account_settings(scope, |settings| {
            settings.brand_name = display_name;
            settings.brand_colour = colour;
        })
        .await?;
        if let Some(logo) = new_logo {
            let target = format!("{} bytes PNG", logo.png().len());
            let event = self.scoped_event(scope, "account.logo_set", &target);
            let written = self
                .store
                .set_account_logo(scope.account.id, Some(logo.png().to_vec()), self.clock.now(), event)
                .await;
            self.forget_account_look(scope.account.id);
            written?;
        }
        Ok(())
    }

    /// Back to Sealpost's own look: name, colour and logo removed, each audited
    /// (the logo as `account.logo_removed`, only when there was one).
    pub async fn reset_branding(&self, scope: &AccountScope) -> Result<(), DomainError> {
        self.change_account_settings(scope, |settings| {
            settings.brand_name = None;
            settings.brand_colour = None;
        })
        .await?;
        if self.store.account_logo(scope.account.id).await?.is_some() {
            let event = self.scoped_event(scope, "account.logo_removed", "");
            let written = self
                .store
                .set_account_logo(scope.account.id, None, self.clock.now(), event)
                .await;
            self.forget_account_look(scope.account.id);
            written?;
        }
        Ok(())
    }
}
