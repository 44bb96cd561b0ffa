//! Typed views: one struct per page, rendered by askama from `templates/`.
//!
//! Every page embeds a [`Page`] (language, CSRF token, navigation, flash) and reads
//! its text through `page.t(..)`. Templates auto-escape; no HTML is built in Rust.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sealpost_domain::model::{Account, Group, Member, User, UserStatus};
use sealpost_domain::types::{GroupName, Locale};
use sealpost_i18n::{Arg, Translator};

/// Which part of the site a page belongs to (decides the navigation shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Public,
    Admin,
    Portal,
}

/// The frame every page shares.
#[derive(Debug, Clone)]
pub struct Page {
    pub t: Translator,
    pub lang: &'static str,
    pub title: String,
    pub csrf: String,
    /// Shown in the header with "Log Out" (full sessions only).
    pub user_email: Option<String>,
    /// Any session, even a password-change-only one (offers "Log Out").
    pub signed_in: bool,
    pub area: Area,
    pub flash: Option<String>,
    /// Where the language switch returns to.
    pub back: String,
    /// Whether to show Accounts and Users (administrators only).
    pub is_admin_nav: bool,
}

impl Page {
    /// A message.
    pub fn t(&self, id: &str) -> String {
        self.t.get(id)
    }

    /// A message with one text argument.
    pub fn t1(&self, id: &str, name: &'static str, value: &str) -> String {
        self.t.get_with(id, &[(name, Arg::Text(value))])
    }

    /// A message with one number argument.
    pub fn tn(&self, id: &str, name: &'static str, value: &i64) -> String {
        self.t.get_with(id, &[(name, Arg::Number(*value))])
    }

    /// The languages the switch offers: (tag, native name, current?).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Locale::ALL
            .iter()
            .map(|l| (l.tag(), l.native_name(), l.tag() == self.lang))
            .collect()
    }

    /// The label of a group: the built-in group is shown in the page's language.
    pub fn group_label(&self, group: &Group) -> String {
        if group.builtin {
            group_label(&self.t, &group.name)
        } else {
            group.name.clone()
        }
    }

    /// A user's status in words.
    pub fn status(&self, user: &User) -> String {
        self.t(match user.status {
            UserStatus::Active => "status-active",
            UserStatus::Pending => "status-pending",
            UserStatus::Locked => "status-locked",
        })
    }

    /// The localized name of a language tag, for settings.
    pub fn language_name(&self, locale: &Option<Locale>) -> String {
        match locale {
            Some(l) => l.native_name().to_owned(),
            None => self.t("portal-language-browser"),
        }
    }
}

/// The built-in group's stored name shown in `t`'s language; other names unchanged.
pub fn group_label(t: &Translator, stored: &str) -> String {
    if stored == GroupName::ACCOUNT_ADMINISTRATORS {
        t.get("group-account-administrators")
    } else {
        stored.to_owned()
    }
}

/// Renders a template, or a bare 500 if the template itself fails.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Renders a template with a status other than 200 (forms refused with 422).
pub fn render_status<T: Template>(status: StatusCode, template: &T) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// A message shown on a form, next to `field` (or at the top when `None`).
#[derive(Debug, Clone, Default)]
pub struct FormError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl FormError {
    /// Whether the error belongs to `field`.
    pub fn is(&self, field: &str) -> bool {
        self.field == Some(field)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: Translator,
    pub lang: &'static str,
    pub title: String,
    pub body: String,
    pub request_id: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Page,
    pub action: &'static str,
    pub email: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub page: Page,
    /// Set when the password was chosen by someone else and must be replaced.
    pub forced: bool,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AccountsPage {
    pub page: Page,
    pub accounts: Vec<Account>,
    pub may_create: bool,
    pub name: String,
    pub admin: String,
    pub error: Option<FormError>,
}

/// The tab bar of an account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountTab {
    Details,
    Groups,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AccountDetailsPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub administrators: Vec<Member>,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub groups: Vec<Group>,
    pub count: i64,
    pub group_name: String,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
pub struct MembersPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub group: Group,
    pub group_label: String,
    pub members: Vec<Member>,
    pub next_after: Option<String>,
    pub user_id: String,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: Page,
    pub users: Vec<User>,
    pub query: String,
    pub next_after: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/new_user.html")]
pub struct NewUserPage {
    pub page: Page,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub force_password_change: bool,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
pub struct PortalHomePage {
    pub page: Page,
    pub user: User,
    pub accounts: Vec<Account>,
    pub administrator: bool,
}
