//! The seed procedure in a real browser: headless Chromium, driven through
//! ChromeDriver with fantoccini, follows the documents in `shared/seeds` click by
//! click in English, German and French. Every element is found by the text a person
//! reads in that language (the glossary's words: labels, buttons, links), so a label
//! that deviates from the glossary makes these tests fail.
//!
//! Needs Chromium and ChromeDriver; see [`crate::webdriver`] for where they are
//! looked for and `SEALPOST_SKIP_BROWSER`. Screenshots for humans land in
//! `target/browser-screenshots/`.

use anyhow::{anyhow, ensure};
use fantoccini::elements::Element;

use crate::helpers::{Db, PASSWORD, TestApp};
use crate::webdriver::{
    self, ChromeDriver, alert, button, flash, heading, label, link, literal, nav_link, screenshot_dir,
};

const TEMPORARY: &str = "Temporary-Pass-9";
const MISTYPED: &str = "Temporary-Pass-8";
const PERMANENT: &str = "Bobs-Own-Secret-77";

/// What a person reads on the pages, in one language: the glossary's rows and the
/// few catalogue strings (main.ftl) the procedure also meets.
pub(crate) struct Language {
    /// For file names of screenshots.
    pub(crate) name: &'static str,
    /// `<html lang>` of the pages.
    pub(crate) tag: &'static str,
    /// The language switch button to click on the login page (none: the browser's).
    pub(crate) switch: Option<&'static str>,
    pub(crate) login_email: &'static str,
    pub(crate) login_password: &'static str,
    pub(crate) log_in: &'static str,
    pub(crate) log_out: &'static str,
    pub(crate) nav_accounts: &'static str,
    pub(crate) nav_users: &'static str,
    pub(crate) tab_details: &'static str,
    pub(crate) tab_groups: &'static str,
    pub(crate) builtin_group: &'static str,
    pub(crate) group_name_field: &'static str,
    pub(crate) add_group: &'static str,
    pub(crate) col_name: &'static str,
    pub(crate) col_actions: &'static str,
    pub(crate) showing_one_group: &'static str,
    pub(crate) back_to_accounts: &'static str,
    pub(crate) user_id: &'static str,
    pub(crate) add_to_group: &'static str,
    pub(crate) non_existent_user: &'static str,
    /// With `{email}` and `{group}`.
    pub(crate) member_added: &'static str,
    pub(crate) add_user: &'static str,
    pub(crate) username: &'static str,
    pub(crate) first_name: &'static str,
    pub(crate) last_name: &'static str,
    pub(crate) password: &'static str,
    pub(crate) confirm_password: &'static str,
    pub(crate) force_expiration: &'static str,
    pub(crate) save: &'static str,
    pub(crate) password_mismatch: &'static str,
    /// With `{email}`.
    pub(crate) user_added: &'static str,
    pub(crate) forced_password_title: &'static str,
    pub(crate) current_password: &'static str,
    pub(crate) new_password: &'static str,
    pub(crate) confirm_new_password: &'static str,
    pub(crate) save_password: &'static str,
    pub(crate) password_changed: &'static str,
}

pub(crate) const ENGLISH: Language = Language {
    name: "en",
    tag: "en",
    switch: None,
    login_email: "Email address",
    login_password: "Password",
    log_in: "Log In",
    log_out: "Log Out",
    nav_accounts: "Accounts",
    nav_users: "Users",
    tab_details: "Details",
    tab_groups: "Groups",
    builtin_group: "Account Administrators",
    group_name_field: "Group Name",
    add_group: "Add Group",
    col_name: "Name",
    col_actions: "Actions",
    showing_one_group: "Showing 1 group(s).",
    back_to_accounts: "Back to Accounts List",
    user_id: "User ID",
    add_to_group: "Add to Group",
    non_existent_user: "Cannot add a non-existent user.",
    member_added: "{email} was added to the group {group}.",
    add_user: "Add User",
    username: "Username",
    first_name: "First Name",
    last_name: "Last Name",
    password: "Password",
    confirm_password: "Confirm Password",
    force_expiration: "Force password expiration",
    save: "Save",
    password_mismatch: "The passwords do not match.",
    user_added: "User {email} added.",
    forced_password_title: "Set a new password",
    current_password: "Current password",
    new_password: "New password",
    confirm_new_password: "Confirm Password",
    save_password: "Save password",
    password_changed: "Your new password is set.",
};

pub(crate) const GERMAN: Language = Language {
    name: "de",
    tag: "de",
    switch: Some("Deutsch"),
    login_email: "E-Mail-Adresse",
    login_password: "Kennwort",
    log_in: "Anmelden",
    log_out: "Abmelden",
    nav_accounts: "Konten",
    nav_users: "Benutzer",
    tab_details: "Details",
    tab_groups: "Gruppen",
    builtin_group: "Kontoadministratoren",
    group_name_field: "Gruppenname",
    add_group: "Gruppe hinzufügen",
    col_name: "Name",
    col_actions: "Aktionen",
    showing_one_group: "1 Gruppe(n) angezeigt.",
    back_to_accounts: "Zurück zur Kontenliste",
    user_id: "Benutzer-ID",
    add_to_group: "Zu Gruppe hinzufügen",
    non_existent_user: "Es kann kein nicht vorhandener Benutzer hinzugefügt werden.",
    member_added: "{email} wurde der Gruppe {group} hinzugefügt.",
    add_user: "Benutzer hinzufügen",
    username: "Benutzername",
    first_name: "Vorname",
    last_name: "Nachname",
    password: "Kennwort",
    confirm_password: "Kennwort bestätigen",
    force_expiration: "Kennwortablauf erzwingen",
    save: "Speichern",
    password_mismatch: "Die Kennwörter stimmen nicht überein.",
    user_added: "Benutzer {email} hinzugefügt.",
    forced_password_title: "Neues Kennwort festlegen",
    current_password: "Aktuelles Kennwort",
    new_password: "Neues Kennwort",
    confirm_new_password: "Kennwort bestätigen",
    save_password: "Kennwort speichern",
    password_changed: "Ihr neues Kennwort ist gesetzt.",
};

pub(crate) const FRENCH: Language = Language {
    name: "fr",
    tag: "fr",
    switch: Some("Français"),
    login_email: "Adresse e-mail",
    login_password: "Mot de passe",
    log_in: "Se connecter",
    log_out: "Se déconnecter",
    nav_accounts: "Comptes",
    nav_users: "Utilisateurs",
    tab_details: "Détails",
    tab_groups: "Groupes",
    builtin_group: "Administrateurs de compte",
    group_name_field: "Nom du groupe",
    add_group: "Ajouter un groupe",
    col_name: "Nom",
    col_actions: "Actions",
    showing_one_group: "1 groupe(s) affiché(s).",
    back_to_accounts: "Retour à la liste des comptes",
    user_id: "ID utilisateur",
    add_to_group: "Ajouter au groupe",
    non_existent_user: "Ne peut pas ajouter un utilisateur inexistant.",
    member_added: "{email} a été ajouté au groupe {group}.",
    add_user: "Ajouter un utilisateur",
    username: "Nom d'utilisateur",
    first_name: "Prénom",
    last_name: "Nom de famille",
    password: "Mot de passe",
    confirm_password: "Confirmation du mot de passe",
    force_expiration: "Imposer l'expiration du mot de passe",
    save: "Enregistrer",
    password_mismatch: "Les mots de passe ne correspondent pas.",
    user_added: "Utilisateur {email} ajouté.",
    forced_password_title: "Définir un nouveau mot de passe",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    confirm_new_password: "Confirmation du mot de passe",
    save_password: "Enregistrer le mot de passe",
    password_changed: "Votre nouveau mot de passe est enregistré.",
};

on_both_databases!(the_seed_procedure_works_click_by_click_in_english, in_english);
async fn in_english(app: TestApp) -> anyhow::Result<()> {
    seed_procedure_in_a_browser(app, &ENGLISH).await
}

#[tokio::test]
async fn the_seed_procedure_works_click_by_click_in_german() -> anyhow::Result<()> {
    match TestApp::spawn(Db::Sqlite).await? {
        Some(app) => seed_procedure_in_a_browser(app, &GERMAN).await,
        None => Ok(()),
    }
}

#[tokio::test]
async fn the_seed_procedure_works_click_by_click_in_french() -> anyhow::Result<()> {
    match TestApp::spawn(Db::Sqlite).await? {
        Some(app) => seed_procedure_in_a_browser(app, &FRENCH).await,
        None => Ok(()),
    }
}

/// Fixtures, a browser, the procedure; the WebDriver session is closed whatever
/// the procedure's outcome.
async fn seed_procedure_in_a_browser(app: TestApp, language: &Language) -> anyhow::Result<()> {
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    app.add_user("alice@example.com", false).await?;
    app.add_user("carol@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let client = driver.session().await?;
    let browser = Browser {
        web: webdriver::Browser {
            client: &client,
            base: &app.base,
            shots: language.name.to_owned(),
        },
        language,
    };
    let _ = std::fs::remove_file(screenshot_dir().join(format!("{}-failure.png", language.name)));
    let outcome = procedure(&browser, &account.number.to_string()).await;
    browser
        .finish(outcome, format!("the seed procedure in {} failed", language.name))
        .await?;

    // 9. What the clicks stored: all three administer the account.
    let store = app.store_port();
    let account = app.account(account.number).await?;
    for email in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        let user = app.user(email).await?;
        ensure!(
            store
                .is_account_admin(account.id, user.id)
                .await
                .map_err(|e| anyhow!("{e:?}"))?,
            "{email} should administer account {}",
            account.number
        );
    }
    drop(driver);
    Ok(())
}

/// The seed documents' steps, then their troubleshooting section, as a person
/// clicks them.
async fn procedure(browser: &Browser<'_>, number: &str) -> anyhow::Result<()> {
    let l = browser.language;

    // 1. Log in at /admin (in the page's language, switched if need be).
    browser.goto("/admin/login").await?;
    if let Some(switch) = l.switch {
        browser.click(&button(switch)).await?;
    }
    browser.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
    browser.log_in("alice@example.com", PASSWORD).await?;

    // 2.–3. Accounts, the link of the account number, Groups.
    browser.open_groups(number).await?;
    browser.find(&link(l.tab_details)).await?;
    let headers = browser.texts("//table[contains(@class,'groups')]/thead/tr/th").await?;
    ensure!(
        headers == [l.col_name, l.col_actions],
        "the groups table's header reads {headers:?}"
    );
    let rows = browser.texts("//table[contains(@class,'groups')]/tbody/tr").await?;
    ensure!(rows.len() == 1, "expected only the built-in group, got {rows:?}");
    let row = browser.administrators_row();
    browser.find(&row).await?;
    let footer = browser.text("//p[contains(@class,'footer')]").await?;
    ensure!(
        footer == format!("{} {}", l.showing_one_group, l.back_to_accounts),
        "the groups footer reads {footer:?}"
    );
    browser
        .find(&format!(
            "//p[contains(@class,'footer')]/a[normalize-space()={}]",
            literal(l.back_to_accounts)
        ))
        .await?;
    browser.field(&format!("{}*", l.group_name_field)).await?;
    browser.find(&button(l.add_group)).await?;
    browser.screenshot("groups").await;

    // 4. The first icon in the Actions column.
    let icon = browser
        .find(&format!("{row}/td[contains(@class,'actions')]/*[1]"))
        .await?;
    let name = icon.attr("aria-label").await?.unwrap_or_default();
    ensure!(
        name.contains(l.builtin_group),
        "the first icon's accessible name {name:?} does not name the group"
    );
    icon.click().await?;
    browser.field(l.user_id).await?;
    browser
        .find(&format!("//h2[normalize-space()={}]", literal(l.builtin_group)))
        .await?;

    // 5.–6. User ID, Add to Group: the person has no user yet.
    browser.fill(l.user_id, "bob@example.com").await?;
    browser.click(&button(l.add_to_group)).await?;
    browser.find(&alert(l.non_existent_user)).await?;
    let typed = browser.value(l.user_id).await?;
    ensure!(
        typed == "bob@example.com",
        "what was typed must stay in the field, found {typed:?}"
    );
    browser.screenshot("non-existent-user").await;

    // Troubleshooting: Users, Add User; a mistyped confirmation first.
    browser.click(&nav_link(l.nav_users)).await?;
    browser.click(&link(l.add_user)).await?;
    let username = format!("{}*", l.username);
    let first_name = format!("{}*", l.first_name);
    let last_name = format!("{}*", l.last_name);
    let password = format!("{}*", l.password);
    let confirm_password = format!("{}*", l.confirm_password);
    browser.fill(&username, "bob@example.com").await?;
    browser.fill(&first_name, "Bob").await?;
    browser.fill(&last_name, "Builder").await?;
    browser.fill(&password, TEMPORARY).await?;
    browser.fill(&confirm_password, MISTYPED).await?;
    ensure!(
        !browser.force_expiration_box().await?.is_selected().await?,
        "Force password expiration must start unticked"
    );
    browser.click(&label(l.force_expiration)).await?;
    ensure!(
        browser.force_expiration_box().await?.is_selected().await?,
        "clicking the label text must tick Force password expiration"
    );
    browser.click(&button(l.save)).await?;
    browser.find(&alert(l.password_mismatch)).await?;
    for (field, kept) in [
        (&username, "bob@example.com"),
        (&first_name, "Bob"),
        (&last_name, "Builder"),
    ] {
        let value = browser.value(field).await?;
        ensure!(value == kept, "{field} should keep {kept:?}, holds {value:?}");
    }
    ensure!(
        browser.force_expiration_box().await?.is_selected().await?,
        "Force password expiration must stay ticked after a refusal"
    );
    browser.fill(&password, TEMPORARY).await?;
    browser.fill(&confirm_password, TEMPORARY).await?;
    browser.click(&button(l.save)).await?;
    browser
        .find(&flash(&l.user_added.replace("{email}", "bob@example.com")))
        .await?;

    // Retry: Accounts, the number, Groups, the first icon; now it works.
    browser.add_member(number, "bob@example.com").await?;

    // 8. The new administrator logs in with the temporary password and must
    // replace it before anything else.
    browser.click(&button(l.log_out)).await?;
    browser.find(&button(l.log_in)).await?;
    browser.log_in("bob@example.com", TEMPORARY).await?;
    browser.expect_forced_password_page().await?;
    browser.goto("/admin/accounts").await?;
    browser.expect_forced_password_page().await?;
    browser.fill(l.current_password, TEMPORARY).await?;
    browser.fill(l.new_password, PERMANENT).await?;
    browser.fill(l.confirm_new_password, PERMANENT).await?;
    browser.click(&button(l.save_password)).await?;
    browser.find(&flash(l.password_changed)).await?;
    browser.find(&heading(l.nav_accounts)).await?;
    let path = browser.path().await?;
    ensure!(path == "/admin/accounts", "after the new password: {path}");

    // … and can now administer the account: a third administrator.
    browser.add_member(number, "carol@example.com").await?;
    let mut members = browser
        .texts("//table[contains(@class,'members')]/tbody/tr/td[1]")
        .await?;
    members.sort();
    ensure!(
        members == ["alice@example.com", "bob@example.com", "carol@example.com"],
        "the members table lists {members:?}"
    );
    browser.screenshot("members").await;
    Ok(())
}

/// One WebDriver session on the app, in one language: the shared [`webdriver::Browser`]
/// and the procedure's own steps.
pub(crate) struct Browser<'a> {
    pub(crate) web: webdriver::Browser<'a>,
    pub(crate) language: &'a Language,
}

impl<'a> std::ops::Deref for Browser<'a> {
    type Target = webdriver::Browser<'a>;

    fn deref(&self) -> &Self::Target {
        &self.web
    }
}

impl Browser<'_> {
    /// The checkbox inside the label "Force password expiration".
    async fn force_expiration_box(&self) -> anyhow::Result<Element> {
        self.find(&format!(
            "{}//input[@type='checkbox']",
            label(self.language.force_expiration)
        ))
        .await
    }

    /// Opens `path` (a login page), switches it to this browser's language where
    /// the page does not speak it already, and logs in as `email`.
    pub(crate) async fn log_in_at(&self, path: &str, email: &str, password: &str) -> anyhow::Result<()> {
        self.goto(path).await?;
        if let Some(switch) = self.language.switch {
            self.click(&button(switch)).await?;
        }
        self.log_in(email, password).await
    }

    pub(crate) async fn log_in(&self, email: &str, password: &str) -> anyhow::Result<()> {
        let l = self.language;
        self.fill(l.login_email, email).await?;
        self.fill(l.login_password, password).await?;
        self.click(&button(l.log_in)).await
    }

    /// Accounts (top navigation), the account number's link, the Groups tab.
    async fn open_groups(&self, number: &str) -> anyhow::Result<()> {
        let l = self.language;
        self.click(&nav_link(l.nav_accounts)).await?;
        self.click(&link(number)).await?;
        self.click(&format!(
            "//nav[contains(@class,'tabs')]/a[normalize-space()={}]",
            literal(l.tab_groups)
        ))
        .await?;
        self.find(&self.administrators_row()).await?;
        Ok(())
    }

    /// The built-in group's row of the groups table.
    fn administrators_row(&self) -> String {
        format!(
            "//table[contains(@class,'groups')]/tbody/tr[td[1][starts-with(normalize-space(), {})]]",
            literal(&format!("{} (", self.language.builtin_group))
        )
    }

    /// From anywhere: to the administrators group by clicks, then User ID and Add
    /// to Group; expects the confirmation and the new member in the table.
    async fn add_member(&self, number: &str, email: &str) -> anyhow::Result<()> {
        let l = self.language;
        self.open_groups(number).await?;
        self.click(&format!(
            "{}/td[contains(@class,'actions')]/*[1]",
            self.administrators_row()
        ))
        .await?;
        self.fill(l.user_id, email).await?;
        self.click(&button(l.add_to_group)).await?;
        self.find(&flash(
            &l.member_added
                .replace("{email}", email)
                .replace("{group}", l.builtin_group),
        ))
        .await?;
        self.find(&format!(
            "//table[contains(@class,'members')]/tbody/tr/td[1][normalize-space()={}]",
            literal(email)
        ))
        .await?;
        Ok(())
    }

    async fn expect_forced_password_page(&self) -> anyhow::Result<()> {
        let l = self.language;
        self.find(&heading(l.forced_password_title)).await?;
        let path = self.path().await?;
        ensure!(path == "/password", "expected the set-new-password page, at {path}");
        Ok(())
    }
}
