//! Per-account settings: one mechanism for every setting an account can change.
//!
//! A setting is one line in the `account_settings!` list below: its field, its
//! type and its stored name. The store keeps each set value as one row (the
//! account, the name, the value as text) of one table, so a new setting needs no
//! migration, no new port method and no new storage code: the field, the form that
//! changes it, and its labels. Every change is audited, one event per setting
//! (`account.<name>_set`, with the new value, or an empty target when the service's
//! default is restored).
//!
//! `None` always means "the service's default", so an operator's configuration
//! still decides for every account that chose nothing. A stored name this version
//! does not know (written by a newer node during a rolling upgrade) is ignored, and
//! a value it cannot read counts as unset, with a warning: a setting never stops an
//! account from working.

use crate::branding::{BrandColour, DisplayName};
use crate::messages::{DeliveryMode, MessageOptions};
use crate::sender_domains::SenderDomains;
use crate::two_step::TwoStepRequirement;

/// How a setting's value is written to and read from its stored text.
pub trait SettingValue: Sized {
    /// The stored text.
    fn encode(&self) -> String;
    /// The value of stored text; `None` when it is not a value of this type.
    fn decode(stored: &str) -> Option<Self>;
}

impl SettingValue for DeliveryMode {
    fn encode(&self) -> String {
        self.as_str().to_owned()
    }

    fn decode(stored: &str) -> Option<Self> {
        Self::parse(stored)
    }
}

impl SettingValue for SenderDomains {
    fn encode(&self) -> String {
        self.as_slice().join(" ")
    }

    fn decode(stored: &str) -> Option<Self> {
        Self::parse(stored).ok()
    }
}

impl SettingValue for DisplayName {
    fn encode(&self) -> String {
        self.as_str().to_owned()
    }

    fn decode(stored: &str) -> Option<Self> {
        Self::parse(stored).ok().flatten()
    }
}

/// A stored colour that no longer passes (a stricter rule) reads as unset.
impl SettingValue for BrandColour {
    fn encode(&self) -> String {
        self.css()
    }

    fn decode(stored: &str) -> Option<Self> {
        Self::parse(stored).ok().flatten()
    }
}

impl SettingValue for bool {
    fn encode(&self) -> String {
        self.to_string()
    }

    fn decode(stored: &str) -> Option<Self> {
        stored.parse().ok()
    }
}

impl SettingValue for u32 {
    fn encode(&self) -> String {
        self.to_string()
    }

    fn decode(stored: &str) -> Option<Self> {
        stored.parse().ok()
    }
}

impl SettingValue for String {
    fn encode(&self) -> String {
        self.clone()
    }

    fn decode(stored: &str) -> Option<Self> {
        Some(stored.to_owned())
    }
}

/// One setting to write: its stored name and its new value (`None` restores the
/// service's default, deleting the row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    pub name: &'static str,
    pub value: Option<String>,
}

/// Declares [`AccountSettings`]: a field per setting, each `Option` (unset is the
/// service's default), with reading from and diffing into stored rows.
macro_rules! account_settings {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty = $name:literal, )*) => {
        /// An account's settings. `None`: the service's default applies.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct AccountSettings {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
        }

        impl AccountSettings {
            /// Every setting's stored name.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The settings stored as `(name, value)` rows.
            pub fn from_rows(rows: &[(String, String)]) -> Self {
                let mut settings = Self::default();
                for (name, value) in rows {
                    match name.as_str() {
                        $( $name => settings.$field = decode_or_warn::<$ty>($name, value), )*
                        _ => {}
                    }
                }
                settings
            }

            /// What must be written to turn `self` into `new`, a change per setting
            /// that differs.
            pub fn changes_to(&self, new: &Self) -> Vec<SettingChange> {
                let mut changes = Vec::new();
                $(
                    if self.$field != new.$field {
                        changes.push(SettingChange {
                            name: $name,
                            value: new.$field.as_ref().map(SettingValue::encode),
                        });
                    }
                )*
                changes
            }
        }
    };
}

account_settings! {
    /// Where the account's sealed payloads go (DESIGN §5): stored, envelope, link.
    delivery_mode: DeliveryMode = "delivery_mode",
    /// Whether its members may write new secure messages (Secure Compose).
    secure_compose: bool = "secure_compose",
    /// Whether recipients may answer its messages (Secure Reply).
    secure_reply: bool = "secure_reply",
    /// Whether recipients may answer all of a message's recipients (Secure Reply All).
    secure_reply_all: bool = "secure_reply_all",
    /// Whether recipients may forward its messages (Secure Forward).
    secure_forward: bool = "secure_forward",
    /// Whether its senders may ask for read receipts.
    read_receipts: bool = "read_receipts",
    /// Whether recipients may have a device remembered (the Medium level's
    /// "Remember me on this device"), and remembered devices open its messages.
    remember_devices: bool = "remember_devices",
    /// The domains its senders' addresses may have (the SMTP gateway checks them).
    sender_domains: SenderDomains = "sender_domains",
    /// The organisation's name as recipients see it (Images tab).
    brand_name: DisplayName = "brand_name",
    /// The colour of the band recipients see (Images tab); white text passes WCAG AA.
    brand_colour: BrandColour = "brand_colour",
    /// Who must use two-step verification (unset: nobody is made to).
    two_step_required: TwoStepRequirement = "two_step_required",
}

/// A per-account switch (the Features tab). Every one is on until switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    SecureCompose,
    SecureReply,
    SecureReplyAll,
    SecureForward,
    ReadReceipts,
    /// The Medium level's "Remember me on this device".
    RememberDevices,
}

impl Feature {
    /// Every switch, in the order the Features tab lists them.
    pub const ALL: [Self; 6] = [
        Self::SecureCompose,
        Self::SecureReply,
        Self::SecureReplyAll,
        Self::SecureForward,
        Self::ReadReceipts,
        Self::RememberDevices,
    ];

    /// Its form field and stored setting name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecureCompose => "secure_compose",
            Self::SecureReply => "secure_reply",
            Self::SecureReplyAll => "secure_reply_all",
            Self::SecureForward => "secure_forward",
            Self::ReadReceipts => "read_receipts",
            Self::RememberDevices => "remember_devices",
        }
    }
}

impl AccountSettings {
    fn switch(&mut self, feature: Feature) -> &mut Option<bool> {
        match feature {
            Feature::SecureCompose => &mut self.secure_compose,
            Feature::SecureReply => &mut self.secure_reply,
            Feature::SecureReplyAll => &mut self.secure_reply_all,
            Feature::SecureForward => &mut self.secure_forward,
            Feature::ReadReceipts => &mut self.read_receipts,
            Feature::RememberDevices => &mut self.remember_devices,
        }
    }

    /// Whether the account allows `feature` (unset: on).
    pub fn allows(&self, feature: Feature) -> bool {
        self.clone().switch(feature).unwrap_or(true)
    }

    /// Switches `feature` on or off. On is stored as unset, the default.
    pub fn set_feature(&mut self, feature: Feature, on: bool) {
        *self.switch(feature) = (!on).then_some(false);
    }

    /// `options` within what the account allows: a message never offers what its
    /// account has switched off.
    pub fn clamp(&self, options: MessageOptions) -> MessageOptions {
        MessageOptions {
            allow_reply: options.allow_reply && self.allows(Feature::SecureReply),
            allow_reply_all: options.allow_reply_all && self.allows(Feature::SecureReplyAll),
            allow_forward: options.allow_forward && self.allows(Feature::SecureForward),
            read_receipt: options.read_receipt && self.allows(Feature::ReadReceipts),
        }
    }
}

fn decode_or_warn<T: SettingValue>(name: &str, stored: &str) -> Option<T> {
    let value = T::decode(stored);
    if value.is_none() {
        tracing::warn!(
            setting = name,
            "an account setting has an unreadable value; the default applies"
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn stored_rows_become_typed_settings_and_unknown_or_unreadable_ones_are_unset() {
        let settings = AccountSettings::from_rows(&rows(&[("delivery_mode", "envelope")]));
        assert_eq!(settings.delivery_mode, Some(DeliveryMode::Envelope));
        let tolerant = AccountSettings::from_rows(&rows(&[
            ("from_a_newer_node", "x"),
            ("delivery_mode", "carrier pigeon"),
        ]));
        assert_eq!(tolerant, AccountSettings::default());
    }

    #[test]
    fn only_what_differs_is_written_and_none_restores_the_default() {
        let before = AccountSettings {
            delivery_mode: Some(DeliveryMode::Link),
            ..AccountSettings::default()
        };
        assert_eq!(before.changes_to(&before), Vec::new());
        let cleared = AccountSettings::default();
        assert_eq!(
            before.changes_to(&cleared),
            vec![SettingChange {
                name: "delivery_mode",
                value: None
            }]
        );
        let stored = AccountSettings {
            delivery_mode: Some(DeliveryMode::Stored),
            ..AccountSettings::default()
        };
        assert_eq!(
            cleared.changes_to(&stored),
            vec![SettingChange {
                name: "delivery_mode",
                value: Some("stored".to_owned())
            }]
        );
        assert!(AccountSettings::NAMES.contains(&"delivery_mode"));
    }

    #[test]
    fn features_are_on_until_switched_off_and_clamp_a_messages_options() {
        let mut settings = AccountSettings::default();
        assert!(Feature::ALL.iter().all(|f| settings.allows(*f)));
        let everything = MessageOptions {
            allow_reply: true,
            allow_reply_all: true,
            allow_forward: true,
            read_receipt: true,
        };
        assert_eq!(settings.clamp(everything), everything);
        settings.set_feature(Feature::SecureForward, false);
        settings.set_feature(Feature::ReadReceipts, false);
        assert!(!settings.allows(Feature::SecureForward));
        let clamped = settings.clamp(everything);
        assert!(clamped.allow_reply && clamped.allow_reply_all);
        assert!(!clamped.allow_forward && !clamped.read_receipt);
        let rows: Vec<(String, String)> = AccountSettings::default()
            .changes_to(&settings)
            .into_iter()
            .filter_map(|c| Some((c.name.to_owned(), c.value?)))
            .collect();
        assert_eq!(
            AccountSettings::from_rows(&rows),
            settings,
            "stored and read back alike"
        );
        settings.set_feature(Feature::SecureForward, true);
        assert_eq!(settings.secure_forward, None, "on is the default, stored as no row");
        for feature in Feature::ALL {
            assert!(AccountSettings::NAMES.contains(&feature.as_str()));
        }
    }
}
