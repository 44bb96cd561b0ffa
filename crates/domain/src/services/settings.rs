//! Reading and changing an account's settings (see [`crate::settings`]).

use super::Services;
use crate::error::DomainError;
use crate::policy::AccountScope;
use crate::settings::AccountSettings;
use crate::types::AccountId;

impl Services {
    /// The settings of the scope's account (`None` fields: the service's default).
    pub async fn account_settings(&self, scope: &AccountScope) -> Result<AccountSettings, DomainError> {
        self.settings_of(scope.account.id).await
    }

    pub(crate) async fn settings_of(&self, account: AccountId) -> Result<AccountSettings, DomainError> {
        Ok(AccountSettings::from_rows(&self.store.account_settings(account).await?))
    }

    /// Applies `change` to the scope's account's settings and writes the settings
    /// that differ, each with its audit event (`account.<name>_set`, the new value
    /// as target, empty for the default), in one transaction. Two administrators
    /// changing different settings at once do not undo each other. Returns the
    /// settings now in effect.
    pub async fn change_account_settings(
        &self,
        scope: &AccountScope,
        change: impl FnOnce(&mut AccountSettings),
    ) -> Result<AccountSettings, DomainError> {
        let before = self.settings_of(scope.account.id).await?;
        let mut after = before.clone();
        change(&mut after);
        let changes = before.changes_to(&after);
        if !changes.is_empty() {
            let writes = changes
                .into_iter()
                .map(|change| {
                    let action = format!("account.{}_set", change.name);
                    let event = self.scoped_event(scope, &action, change.value.as_deref().unwrap_or_default());
                    (change, event)
                })
                .collect();
            let written = self.store.change_account_settings(scope.account.id, writes).await;
            self.forget_account_look(scope.account.id);
            written?;
        }
        Ok(after)
    }
}
