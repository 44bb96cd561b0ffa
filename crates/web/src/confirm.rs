//! Confirmation steps: an action that takes something away (deleting a group,
//! removing a member, locking or deleting a user, locking a message) first shows a
//! page of its own (a GET with labelled buttons, no script) whose button posts to
//! the action's route. The administration builds them on its frame
//! (`admin::confirm`), the sender's portal its message lock on its own
//! ([`ConfirmPage::on`]).

use askama::Template;

use crate::views::{Area, FormError, Page};

/// A confirmation step: what will happen, an optional reason, the button.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub page: Page,
    pub question: String,
    pub action: String,
    pub button: String,
    /// `Some`: the form asks for a reason (as typed after a refusal).
    pub reason: Option<String>,
    /// The catalogue key of the reason's label (a user's lock, a message's lock).
    pub reason_label: &'static str,
    pub cancel: String,
    pub error: Option<FormError>,
}

impl ConfirmPage {
    /// A confirmation of `action` (a path) on `page` (any area's frame), asking `question`.
    pub fn on(page: Page, question: String, action: String, button: String) -> Self {
        Self {
            page,
            question,
            action,
            button,
            reason: None,
            reason_label: "user-lock-reason",
            cancel: String::new(),
            error: None,
        }
    }

    /// The same step asking for a reason labelled by `label` (a catalogue key),
    /// showing `typed` (what was typed, after a refusal) and `error`.
    pub fn asking_reason(mut self, label: &'static str, typed: String, error: Option<FormError>) -> Self {
        self.reason = Some(typed);
        self.reason_label = label;
        self.error = error;
        self
    }
}
