//! The errors services return, in domain terms.
//!
//! `web` maps each [`DomainError`] to a status code and each [`ValidationError`] to a
//! localized message (its [`ValidationError::message_id`] is a Fluent message id), so
//! the same refusal reads the same in the portal and in the CLI.

use std::error::Error as StdError;

/// Why a service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The object does not exist, or exists where the caller may not see it. Both
    /// answer the same so that ids from another account reveal nothing.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `field` names the input that collided.
    #[error("conflict on {field}")]
    Conflict {
        /// Which input collided, for example `email` or `group_name`.
        field: &'static str,
    },
    /// The input is understood but refused; the variant says why.
    #[error("validation failed: {0}")]
    Validation(#[from] ValidationError),
    /// Like `Validation`, naming the form field that holds the problem.
    #[error("{field}: {error}")]
    Invalid {
        /// The form field, for example `username` or `password`.
        field: &'static str,
        /// What is wrong with it.
        error: ValidationError,
    },
    /// The caller is known but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The storage cannot take writes for now (its disk is full): nothing was
    /// stored, and the same request succeeds once space is freed. Distinct from
    /// `Internal` so that people are told to come back later rather than that
    /// something broke, and so that reads that need no write keep working.
    #[error("storage temporarily unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// Storage or another port failed; the detail is for the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl DomainError {
    /// A refusal attributed to one form field.
    pub fn invalid(field: &'static str, error: ValidationError) -> Self {
        Self::Invalid { field, error }
    }

    /// The validation problem inside this error, with or without a field.
    pub fn validation(&self) -> Option<&ValidationError> {
        match self {
            Self::Validation(error) | Self::Invalid { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Wraps the error of a write the storage could not take as
    /// [`DomainError::Unavailable`].
    pub fn unavailable(error: impl StdError + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(error))
    }

    /// Wraps any error from a port as [`DomainError::Internal`].
    pub fn internal(error: impl StdError + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(error))
    }
}

/// A refusal the user can fix; each has a localized message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the email address is malformed")]
    EmailMalformed,
    #[error("a required field is empty")]
    Required,
    #[error("a name is too long")]
    NameTooLong,
    #[error("the group name is too long")]
    GroupNameTooLong,
    #[error("the group name is reserved")]
    GroupNameReserved,
    #[error("the password is too short")]
    PasswordTooShort,
    #[error("the password is too long")]
    PasswordTooLong,
    #[error("the password is too common")]
    PasswordTooCommon,
    #[error("the password contains the username")]
    PasswordContainsUsername,
    #[error("the passwords do not match")]
    PasswordMismatch,
    #[error("the new password equals the old one")]
    PasswordUnchanged,
    #[error("the current password is wrong")]
    CurrentPasswordWrong,
    #[error("the user does not exist")]
    NonExistentUser,
    #[error("the user is already a member")]
    AlreadyMember,
    #[error("the last administrator cannot be removed")]
    LastAdministrator,
    #[error("built-in groups cannot be deleted")]
    BuiltinGroup,
    #[error("the username is taken")]
    UsernameTaken,
    #[error("the group name is taken")]
    GroupNameTaken,
    #[error("the account name is too long")]
    AccountNameTooLong,
    #[error("unknown language")]
    UnknownLocale,
    #[error("unknown time zone")]
    UnknownTimeZone,
    #[error("unknown delivery mode")]
    UnknownDeliveryMode,
    #[error("the text contains control characters")]
    ControlCharacters,
    #[error("no recipient was given")]
    NoRecipients,
    #[error("a recipient address is malformed")]
    RecipientMalformed,
    #[error("too many recipients")]
    TooManyRecipients,
    #[error("an outside recipient forwards to at most a few addresses")]
    TooManyForwardRecipients,
    #[error("too many replies and forwards in the last hour")]
    TooManyAnswers,
    #[error("a forward carries the original's attachments only")]
    ForwardAddsNoAttachments,
    #[error("the subject is too long")]
    SubjectTooLong,
    #[error("the message is too long")]
    BodyTooLong,
    #[error("the attachments are too large")]
    AttachmentsTooLarge,
    #[error("the expiration date is malformed")]
    ExpiryMalformed,
    #[error("the expiration date is in the past")]
    ExpiryInPast,
    #[error("the sender is not a member of any account")]
    NotAMember,
    #[error("the message does not allow this")]
    NotAllowedByMessage,
    /// An account token needs at least one (known) scope.
    #[error("choose at least one scope")]
    TokenScopeRequired,
    /// A client network is not an address or address/prefix (or too many).
    #[error("a client network is malformed")]
    NetworkMalformed,
    /// The account has switched this feature off (its Features tab).
    #[error("the account has switched this feature off")]
    FeatureSwitchedOff,
    #[error("a lock reason is required")]
    LockReasonRequired,
    #[error("a lock reason is too long")]
    LockReasonTooLong,
    #[error("the link is invalid or expired")]
    LinkInvalid,
    /// The form asks to keep files of a refused draft that is gone (taken back by
    /// an earlier form, or the hour passed): sending without them would leave out
    /// what the sender chose.
    #[error("the kept attachments are no longer available")]
    KeptAttachmentsLost,
    /// An operator suspended the account: it sends no new messages.
    #[error("the account is suspended")]
    AccountSuspended,
    /// Deleting an account asks for its number typed again; this was not it.
    #[error("the typed number is not the account's")]
    AccountNumberMismatch,
    /// An allowed sender domain is not a domain name (or a `*.` wildcard of one).
    #[error("a sender domain is malformed")]
    SenderDomainMalformed,
    /// More allowed sender domains than an account may list.
    #[error("too many sender domains")]
    TooManySenderDomains,
    /// Envelope profiles: not one of High, Medium, No Password Required.
    #[error("unknown security level")]
    UnknownSecurityLevel,
    /// Envelope profiles: a number of days outside what the field allows.
    #[error("the number of days is out of range")]
    DaysOutOfRange,
    /// Envelope profiles: the file name template has unsafe characters or no `.html`.
    #[error("the envelope file name is not allowed")]
    FileNameInvalid,
    /// Envelope profiles: the help link is not an https URL.
    #[error("the help link is not an https address")]
    HelpUrlInvalid,
    /// Envelope profiles: the subject tag is too short, too long or has control characters.
    #[error("the subject tag is not allowed")]
    SubjectTagInvalid,
    /// Envelope profiles: another profile of the account has this subject tag.
    #[error("the subject tag is taken")]
    SubjectTagTaken,
    /// Envelope profiles: another profile of the account has this name.
    #[error("the profile name is taken")]
    ProfileNameTaken,
    /// Envelope profiles: the default profile cannot be deleted.
    #[error("the default profile cannot be deleted")]
    DefaultProfileKept,
    /// Compose: the chosen profile is not one of the sending account's.
    #[error("unknown envelope profile")]
    UnknownProfile,
}

impl ValidationError {
    /// The Fluent message id that explains this refusal to a person.
    pub fn message_id(&self) -> &'static str {
        match self {
            Self::EmailMalformed => "error-email-malformed",
            Self::Required => "error-required",
            Self::NameTooLong => "error-name-too-long",
            Self::GroupNameTooLong => "error-group-name-too-long",
            Self::GroupNameReserved => "error-group-name-reserved",
            Self::PasswordTooShort => "error-password-too-short",
            Self::PasswordTooLong => "error-password-too-long",
            Self::PasswordTooCommon => "error-password-too-common",
            Self::PasswordContainsUsername => "error-password-contains-username",
            Self::PasswordMismatch => "error-password-mismatch",
            Self::PasswordUnchanged => "error-password-unchanged",
            Self::CurrentPasswordWrong => "error-current-password-wrong",
            Self::NonExistentUser => "error-non-existent-user",
            Self::AlreadyMember => "error-already-member",
            Self::LastAdministrator => "error-last-administrator",
            Self::BuiltinGroup => "error-builtin-group",
            Self::UsernameTaken => "error-username-taken",
            Self::GroupNameTaken => "error-group-name-taken",
            Self::AccountNameTooLong => "error-account-name-too-long",
            Self::UnknownLocale => "error-unknown-locale",
            Self::UnknownTimeZone => "error-unknown-time-zone",
            Self::UnknownDeliveryMode => "error-unknown-delivery-mode",
            Self::ControlCharacters => "error-control-characters",
            Self::NoRecipients => "error-no-recipients",
            Self::RecipientMalformed => "error-recipient-malformed",
            Self::TooManyRecipients => "error-too-many-recipients",
            Self::TooManyForwardRecipients => "error-too-many-forward-recipients",
            Self::TooManyAnswers => "error-too-many-answers",
            Self::ForwardAddsNoAttachments => "error-forward-adds-no-attachments",
            Self::SubjectTooLong => "error-subject-too-long",
            Self::BodyTooLong => "error-body-too-long",
            Self::AttachmentsTooLarge => "error-attachments-too-large",
            Self::ExpiryMalformed => "error-expiry-malformed",
            Self::ExpiryInPast => "error-expiry-in-past",
            Self::NotAMember => "error-not-a-member",
            Self::NotAllowedByMessage => "error-not-allowed-by-message",
            Self::FeatureSwitchedOff => "error-feature-switched-off",
            Self::TokenScopeRequired => "error-token-scope-required",
            Self::NetworkMalformed => "error-network-malformed",
            Self::LockReasonRequired => "error-lock-reason-required",
            Self::LockReasonTooLong => "error-lock-reason-too-long",
            Self::LinkInvalid => "error-link-invalid",
            Self::KeptAttachmentsLost => "error-kept-attachments-lost",
            Self::AccountSuspended => "error-account-suspended",
            Self::AccountNumberMismatch => "error-account-number-mismatch",
            Self::SenderDomainMalformed => "error-sender-domain-malformed",
            Self::TooManySenderDomains => "error-too-many-sender-domains",
            Self::UnknownSecurityLevel => "error-unknown-security-level",
            Self::DaysOutOfRange => "error-days-out-of-range",
            Self::FileNameInvalid => "error-file-name-invalid",
            Self::HelpUrlInvalid => "error-help-url-invalid",
            Self::SubjectTagInvalid => "error-subject-tag-invalid",
            Self::SubjectTagTaken => "error-subject-tag-taken",
            Self::ProfileNameTaken => "error-profile-name-taken",
            Self::DefaultProfileKept => "error-default-profile-kept",
            Self::UnknownProfile => "error-unknown-profile",
        }
    }

    /// Every variant, so a test can prove each message exists in every language.
    pub const ALL: &'static [ValidationError] = &[
        Self::EmailMalformed,
        Self::Required,
        Self::NameTooLong,
        Self::GroupNameTooLong,
        Self::GroupNameReserved,
        Self::PasswordTooShort,
        Self::PasswordTooLong,
        Self::PasswordTooCommon,
        Self::PasswordContainsUsername,
        Self::PasswordMismatch,
        Self::PasswordUnchanged,
        Self::CurrentPasswordWrong,
        Self::NonExistentUser,
        Self::AlreadyMember,
        Self::LastAdministrator,
        Self::BuiltinGroup,
        Self::UsernameTaken,
        Self::GroupNameTaken,
        Self::AccountNameTooLong,
        Self::UnknownLocale,
        Self::UnknownTimeZone,
        Self::UnknownDeliveryMode,
        Self::ControlCharacters,
        Self::NoRecipients,
        Self::RecipientMalformed,
        Self::TooManyRecipients,
        Self::TooManyForwardRecipients,
        Self::TooManyAnswers,
        Self::ForwardAddsNoAttachments,
        Self::SubjectTooLong,
        Self::BodyTooLong,
        Self::AttachmentsTooLarge,
        Self::ExpiryMalformed,
        Self::ExpiryInPast,
        Self::NotAMember,
        Self::NotAllowedByMessage,
        Self::FeatureSwitchedOff,
        Self::TokenScopeRequired,
        Self::NetworkMalformed,
        Self::LockReasonRequired,
        Self::LockReasonTooLong,
        Self::LinkInvalid,
        Self::KeptAttachmentsLost,
        Self::AccountSuspended,
        Self::AccountNumberMismatch,
        Self::SenderDomainMalformed,
        Self::TooManySenderDomains,
        Self::UnknownSecurityLevel,
        Self::DaysOutOfRange,
        Self::FileNameInvalid,
        Self::HelpUrlInvalid,
        Self::SubjectTagInvalid,
        Self::SubjectTagTaken,
        Self::ProfileNameTaken,
        Self::DefaultProfileKept,
        Self::UnknownProfile,
    ];
}
