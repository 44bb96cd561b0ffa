//! Secure messages in a real browser: two headless Chromium sessions, Alice (a sender
//! of Acme Corp) and Dana (a new recipient), follow flows 2 and 3 of DESIGN §4 click
//! by click. Alice composes with an attachment; the outbox worker delivers the
//! notification over real SMTP (the mail crate's aiosmtpd sink) or into the `.eml`
//! folder; Dana opens the attached Registered Envelope from disk (`file://`), clicks
//! "Open Online", registers, proves her mailbox with the activation link, reads the
//! message and downloads the attachment, replies; Alice gets the reply and the read
//! receipt, locks the message, and Dana is told why. In English, Alice then follows
//! the seeds' troubleshooting path to make Dana an account administrator.
//!
//! Dana's part runs in English, German and French: the account's default language
//! makes the notification and the envelope German or French, and Dana's own choice
//! (the language switch, or her browser's language) makes the pages hers. Every
//! element is found by the words a person reads, so a label that deviates from the
//! glossary or the catalogues makes these tests fail. Screenshots land in
//! `target/browser-screenshots/msg-<lang>-<step>.png`.
//!
//! Here: the fixtures, the three languages and the set-up of app, mailbox and
//! browsers; the story's steps are in `story`.

mod story;

use anyhow::Context as _;
use fantoccini::Client;
use sealpost_domain::types::Locale;

use crate::helpers::{Db, Mail, SmtpSink, TestApp};
use crate::webdriver::{Browser, ChromeDriver, screenshot_dir};

/// Dana's password: long enough, and free of her address.
const DANA_PASSWORD: &str = "Harbour-Lights-73";
const SUBJECT: &str = "Quarterly figures";
const BODY: &str = "Hello Dana,\nthe figures are attached.";
const ATTACHMENT: &str = "figures.bin";
const REPLY: &str = "Thank you, received.";
const LOCK_REASON: &str = "Sent before the board approved it";

/// What Alice reads: her browser speaks English (the glossary's English column and
/// the English catalogues).
mod alice {
    pub const EMAIL: &str = "Email address";
    pub const PASSWORD: &str = "Password";
    pub const LOG_IN: &str = "Log In";
    pub const COMPOSE: &str = "Compose Message";
    pub const TO: &str = "To";
    pub const SUBJECT: &str = "Subject";
    pub const MESSAGE: &str = "Message";
    pub const ATTACHMENTS: &str = "Attachments";
    pub const ALLOW_REPLY: &str = "Allow Reply";
    pub const READ_RECEIPT: &str = "Request a read receipt";
    pub const SEND: &str = "Send";
    pub const RECIPIENT_MALFORMED: &str =
        "One of the addresses is not a valid email address. Separate addresses with commas.";
    pub const ALREADY_ATTACHED: &str = "Already attached";
    pub const SENT: &str = "Your secure message has been sent.";
    pub const NOT_OPENED: &str = "Not opened yet";
    pub const INBOX: &str = "Inbox";
    pub const SENT_NAV: &str = "Sent";
    pub const LOCK_REASON: &str = "Reason shown to recipients";
    pub const LOCK_START: &str = "Lock message…";
    pub const LOCK_TITLE: &str = "Lock this message?";
    pub const LOCK: &str = "Lock message";
    pub const LOCKED: &str = "The message is locked.";
    pub const ACCOUNTS: &str = "Accounts";
    pub const GROUPS: &str = "Groups";
    pub const ADMINISTRATORS: &str = "Account Administrators";
    pub const USER_ID: &str = "User ID";
    pub const ADD_TO_GROUP: &str = "Add to Group";
    /// With `{email}` and `{group}`.
    pub const MEMBER_ADDED: &str = "{email} was added to the group {group}.";
}

/// What Dana meets in one language: the mail in the account's language, the pages
/// in the language she chose.
struct Language {
    /// For the screenshots' file names.
    name: &'static str,
    /// `<html lang>` of the envelope and of Dana's pages.
    tag: &'static str,
    /// The account's default language: the notification's and the envelope's.
    account: Locale,
    /// Dana's browser's language.
    browser: &'static str,
    /// The language switch Dana clicks on the registration page, if her browser
    /// does not speak her language.
    switch: Option<&'static str>,
    notification_subject: &'static str,
    envelope_from: &'static str,
    envelope_to: &'static str,
    open_online: &'static str,
    register_title: &'static str,
    email: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    password: &'static str,
    confirm_password: &'static str,
    language: &'static str,
    /// The language's own name in the registration form's list.
    language_name: &'static str,
    register: &'static str,
    check_mailbox: &'static str,
    activation_subject: &'static str,
    activate_title: &'static str,
    confirm_and_continue: &'static str,
    from: &'static str,
    attachments: &'static str,
    reply: &'static str,
    inbox: &'static str,
    message: &'static str,
    send: &'static str,
    sent: &'static str,
    locked_title: &'static str,
    locked: &'static str,
    reason: &'static str,
    /// With `{sender}`.
    contact: &'static str,
}

const ENGLISH: Language = Language {
    name: "en",
    tag: "en",
    account: Locale::En,
    browser: "en-US",
    switch: None,
    notification_subject: "Secure message from",
    envelope_from: "From",
    envelope_to: "To",
    open_online: "Open Online",
    register_title: "Register",
    email: "Email address",
    first_name: "First Name",
    last_name: "Last Name",
    password: "Password",
    confirm_password: "Confirm Password",
    language: "Language",
    language_name: "English",
    register: "Register",
    check_mailbox: "Check your mailbox",
    activation_subject: "Confirm your email address",
    activate_title: "Confirm your email address",
    confirm_and_continue: "Confirm and continue",
    from: "From",
    attachments: "Attachments",
    reply: "Reply",
    inbox: "Inbox",
    message: "Message",
    send: "Send",
    sent: "Your secure message has been sent.",
    locked_title: "This message is locked",
    locked: "The sender has locked this message. It cannot be opened.",
    reason: "Reason:",
    contact: "Questions about this message? Contact the sender: {sender}.",
};

const GERMAN: Language = Language {
    name: "de",
    tag: "de",
    account: Locale::De,
    browser: "en-US",
    switch: Some("Deutsch"),
    notification_subject: "Sichere Nachricht von",
    envelope_from: "Von",
    envelope_to: "An",
    open_online: "Online öffnen",
    register_title: "Registrieren",
    email: "E-Mail-Adresse",
    first_name: "Vorname",
    last_name: "Nachname",
    password: "Kennwort",
    confirm_password: "Kennwort bestätigen",
    language: "Sprache",
    language_name: "Deutsch",
    register: "Registrieren",
    check_mailbox: "Prüfen Sie Ihr Postfach",
    activation_subject: "Bestätigen Sie Ihre E-Mail-Adresse",
    activate_title: "E-Mail-Adresse bestätigen",
    confirm_and_continue: "Bestätigen und fortfahren",
    from: "Von",
    attachments: "Anhänge",
    reply: "Antworten",
    inbox: "Posteingang",
    message: "Nachricht",
    send: "Senden",
    sent: "Ihre verschlüsselte Nachricht wurde gesendet.",
    locked_title: "Diese Nachricht ist gesperrt",
    locked: "Der Absender hat diese Nachricht gesperrt. Sie kann nicht geöffnet werden.",
    reason: "Grund:",
    contact: "Fragen zu dieser Nachricht? Wenden Sie sich an den Absender: {sender}.",
};

const FRENCH: Language = Language {
    name: "fr",
    tag: "fr",
    account: Locale::Fr,
    browser: "fr-FR",
    switch: None,
    notification_subject: "Message sécurisé envoyé par",
    envelope_from: "De",
    envelope_to: "À",
    open_online: "Ouvrir en ligne",
    register_title: "S'inscrire",
    email: "Adresse e-mail",
    first_name: "Prénom",
    last_name: "Nom de famille",
    password: "Mot de passe",
    confirm_password: "Confirmation du mot de passe",
    language: "Langue",
    language_name: "Français",
    register: "S'inscrire",
    check_mailbox: "Consultez votre boîte aux lettres",
    activation_subject: "Confirmez votre adresse e-mail",
    activate_title: "Confirmez votre adresse e-mail",
    confirm_and_continue: "Confirmer et continuer",
    from: "De",
    attachments: "Pièces jointes",
    reply: "Répondre",
    inbox: "Boîte de réception",
    message: "Message",
    send: "Envoyer",
    sent: "Votre message sécurisé a été envoyé.",
    locked_title: "Ce message est verrouillé",
    locked: "L'expéditeur a verrouillé ce message. Il ne peut pas être ouvert.",
    reason: "Motif :",
    contact: "Des questions sur ce message ? Contactez l'expéditeur : {sender}.",
};

/// How the outbox worker delivers, and where the test reads what it delivered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Over SMTP to a real server (`crates/mail/tests/smtp_sink.py`).
    Smtp,
    /// As `.eml` files in [`TestApp::mail_dir`], as without a relay.
    Folder,
}

#[tokio::test]
async fn a_new_recipient_registers_reads_replies_and_sees_the_lock_in_english_over_smtp() -> anyhow::Result<()> {
    secure_message_in_a_browser(&ENGLISH, Delivery::Smtp).await
}

#[tokio::test]
async fn a_new_recipient_of_a_german_account_meets_german_mail_and_pages_from_the_eml_folder() -> anyhow::Result<()> {
    secure_message_in_a_browser(&GERMAN, Delivery::Folder).await
}

#[tokio::test]
async fn a_new_recipient_of_a_french_account_meets_french_mail_and_pages_over_smtp() -> anyhow::Result<()> {
    secure_message_in_a_browser(&FRENCH, Delivery::Smtp).await
}

/// The app, the mailbox, the fixtures and two browsers; both WebDriver sessions are
/// closed whatever the story's outcome.
async fn secure_message_in_a_browser(language: &Language, delivery: Delivery) -> anyhow::Result<()> {
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    let (app, mailbox) = match delivery {
        Delivery::Smtp => match SmtpSink::start()? {
            Some(sink) => match TestApp::spawn_smtp(Db::Sqlite, sink.port).await? {
                Some(app) => (app, Mailbox::Smtp(sink)),
                None => return Ok(()),
            },
            None => match TestApp::spawn(Db::Sqlite).await? {
                Some(app) => (app, Mailbox::Folder),
                None => return Ok(()),
            },
        },
        Delivery::Folder => match TestApp::spawn(Db::Sqlite).await? {
            Some(app) => (app, Mailbox::Folder),
            None => return Ok(()),
        },
    };

    // 1. Alice administers Acme Corp, so she is a member who may send; Dana has no
    // user yet.
    app.add_user("alice@example.com", false).await?;
    let account = app
        .add_account_speaking("Acme Corp", Some("alice@example.com"), language.account)
        .await?;

    let shots = format!("msg-{}", language.name);
    for who in ["alice", "dana"] {
        let _ = std::fs::remove_file(screenshot_dir().join(format!("{shots}-failure-{who}.png")));
    }
    let files = tempfile::tempdir()?;
    let alice_client = driver.session().await?;
    let dana_client = match driver.session_in(language.browser).await {
        Ok(client) => client,
        Err(error) => {
            let _ = alice_client.close().await;
            return Err(error);
        }
    };
    let story = Story {
        app: &app,
        mailbox: &mailbox,
        language,
        alice: browser(&alice_client, &app, &shots),
        dana: browser(&dana_client, &app, &shots),
        files,
    };
    let outcome = story.run(&account.number.to_string()).await;
    if outcome.is_err() {
        story.alice.screenshot("failure-alice").await;
        story.dana.screenshot("failure-dana").await;
    }
    drop(story);
    let closed_alice = alice_client.close().await;
    let closed_dana = dana_client.close().await;
    outcome.with_context(|| format!("the secure message story in {} failed", language.name))?;
    closed_alice.context("closing Alice's WebDriver session")?;
    closed_dana.context("closing Dana's WebDriver session")?;
    drop(driver);
    Ok(())
}

fn browser<'a>(client: &'a Client, app: &'a TestApp, shots: &str) -> Browser<'a> {
    Browser {
        client,
        base: &app.base,
        shots: shots.to_owned(),
    }
}

/// Where delivered mail is read.
enum Mailbox {
    Smtp(SmtpSink),
    Folder,
}

impl Mailbox {
    /// The newest delivered email to `to` whose subject contains `subject`.
    fn mail_to(&self, app: &TestApp, to: &str, subject: &str) -> anyhow::Result<Mail> {
        match self {
            Self::Smtp(sink) => sink.mail_to(to, subject),
            Self::Folder => app.mail_to(to, subject),
        }
    }

    fn all(&self, app: &TestApp) -> anyhow::Result<Vec<Mail>> {
        match self {
            Self::Smtp(sink) => sink.mails(),
            Self::Folder => app.mails(),
        }
    }
}

/// Everything the story needs: the app, where its mail lands, and the two people.
struct Story<'a> {
    app: &'a TestApp,
    mailbox: &'a Mailbox,
    language: &'a Language,
    alice: Browser<'a>,
    dana: Browser<'a>,
    /// Where the attachment to upload and the saved envelope are written.
    files: tempfile::TempDir,
}
