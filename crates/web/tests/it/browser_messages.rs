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

use std::path::Path;

use anyhow::{Context as _, anyhow, ensure};
use fantoccini::Client;
use sealpost_domain::types::Locale;

use crate::helpers::{Db, Mail, PASSWORD, SmtpSink, TestApp};
use crate::webdriver::{Browser, ChromeDriver, alert, button, flash, label, link, literal, nav_link, screenshot_dir};

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
    pub const LOCK: &str = "Lock";
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

impl Story<'_> {
    async fn run(&self, account_number: &str) -> anyhow::Result<()> {
        let attachment: Vec<u8> = b"Q3 figures\n".iter().copied().chain(0..=255u8).collect();
        let id = self.alice_sends(&attachment).await?;
        self.dana_opens_the_envelope(&id).await?;
        self.dana_registers_and_reads(&attachment).await?;
        self.dana_replies().await?;
        self.alice_locks_and_dana_is_told_why().await?;
        if self.language.name == "en" {
            self.alice_makes_dana_an_administrator(account_number).await?;
        }
        Ok(())
    }

    /// Step 2: Alice logs in to the portal and sends a message with an attachment, a
    /// reply allowed and a read receipt requested; returns the message's id. She
    /// mistypes Dana's address first: the refused form keeps everything, the
    /// attachment included, and she only corrects the address.
    async fn alice_sends(&self, attachment: &[u8]) -> anyhow::Result<String> {
        let alice = &self.alice;
        alice.goto("/portal/login").await?;
        alice.fill(alice::EMAIL, "alice@example.com").await?;
        alice.fill(alice::PASSWORD, PASSWORD).await?;
        alice.click(&button(alice::LOG_IN)).await?;
        alice.click(&nav_link(alice::COMPOSE)).await?;
        alice.fill(alice::TO, "dana@").await?;
        alice.fill(alice::SUBJECT, SUBJECT).await?;
        alice.fill(alice::MESSAGE, BODY).await?;
        // Replies (all, forwarding) start allowed; a read receipt must be asked for.
        for option in [alice::ALLOW_REPLY, alice::READ_RECEIPT] {
            let tick = format!("{}//input[@type='checkbox']", label(option));
            if !alice.find(&tick).await?.is_selected().await? {
                alice.click(&label(option)).await?;
            }
            ensure!(
                alice.find(&tick).await?.is_selected().await?,
                "clicking {option:?} must tick it"
            );
        }
        let path = self.files.path().join(ATTACHMENT);
        std::fs::write(&path, attachment)?;
        alice
            .field(alice::ATTACHMENTS)
            .await?
            .send_keys(&path.display().to_string())
            .await?;
        alice.screenshot("alice-compose").await;
        alice.click(&button(alice::SEND)).await?;

        alice.find(&alert(alice::RECIPIENT_MALFORMED)).await?;
        let kept = format!(
            "//fieldset[legend[normalize-space()={}]]//label[contains(., {})]//input[@name='keep']",
            literal(alice::ALREADY_ATTACHED),
            literal(ATTACHMENT)
        );
        ensure!(
            alice.find(&kept).await?.is_selected().await?,
            "the refused form keeps the attachment, ticked"
        );
        for option in [alice::ALLOW_REPLY, alice::READ_RECEIPT] {
            let tick = format!("{}//input[@type='checkbox']", label(option));
            ensure!(
                alice.find(&tick).await?.is_selected().await?,
                "the refused form keeps {option:?} ticked"
            );
        }
        ensure!(
            alice.value(alice::SUBJECT).await? == SUBJECT,
            "the refused form keeps the subject"
        );
        alice.screenshot("alice-compose-refused").await;
        alice.fill(alice::TO, "dana@example.com").await?;
        alice.click(&button(alice::SEND)).await?;

        alice.find(&flash(alice::SENT)).await?;
        let opened = alice.text(&recipient_status("dana@example.com")).await?;
        ensure!(
            opened == alice::NOT_OPENED,
            "the tracking page says {opened:?} for Dana"
        );
        alice.screenshot("alice-tracking").await;
        let path = alice.path().await?;
        Ok(path
            .strip_prefix("/portal/sent/")
            .with_context(|| format!("after sending, Alice is at {path}"))?
            .to_owned())
    }

    /// Step 3: The notification reaches Dana with the Registered Envelope attached; she
    /// opens the file in her browser and clicks "Open Online".
    async fn dana_opens_the_envelope(&self, id: &str) -> anyhow::Result<()> {
        let (l, dana) = (self.language, &self.dana);
        ensure!(self.app.deliver().await? == 1, "one notification for one recipient");
        let mail = self
            .mailbox
            .mail_to(self.app, "dana@example.com", l.notification_subject)?;
        ensure!(
            !String::from_utf8_lossy(&mail.raw).contains(SUBJECT),
            "the notification never carries the subject"
        );
        ensure!(
            mail.link(&format!("{}/m/", self.app.base))? == format!("{}/m/{id}", self.app.base),
            "the notification links to the message"
        );
        let (name, bytes) = mail
            .attachments
            .iter()
            .find(|(name, _)| name.starts_with("securedoc_") && name.ends_with(".html"))
            .context("no Registered Envelope attached")?;
        let saved = self.files.path().join(name);
        std::fs::write(&saved, bytes)?;

        dana.client.goto(&file_url(&saved)?).await?;
        dana.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
        let from = dana.text(&envelope_detail(l.envelope_from)).await?;
        ensure!(
            from == "Test alice <alice@example.com>",
            "the envelope names the sender as {from:?}"
        );
        let to = dana.text(&envelope_detail(l.envelope_to)).await?;
        ensure!(to == "dana@example.com", "the envelope names the recipient as {to:?}");
        dana.find(&button(l.open_online)).await?;
        // First-timers may also go straight to registration (the glossary's other
        // envelope button); Dana takes "Open Online", which leads there too.
        dana.find(&button(l.register)).await?;
        dana.screenshot("envelope").await;
        // The form posts from file:// to the server: the one cross-site POST accepted.
        dana.click(&button(l.open_online)).await?;
        Ok(())
    }

    /// Step 4: Dana registers, confirms her address with the emailed link, and reads the
    /// message and its attachment.
    async fn dana_registers_and_reads(&self, attachment: &[u8]) -> anyhow::Result<()> {
        let (l, dana) = (self.language, &self.dana);
        // The registration page first speaks her browser's language; she may switch.
        dana.find("//input[@id='email' and @value='dana@example.com']").await?;
        if let Some(switch) = l.switch {
            dana.click(&format!(
                "//form[contains(@class,'lang-switch')]//button[normalize-space()={}]",
                literal(switch)
            ))
            .await?;
        }
        dana.find(&title(l.register_title)).await?;
        dana.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
        let email = dana.value(l.email).await?;
        ensure!(email == "dana@example.com", "the registration is for {email:?}");
        dana.fill(l.first_name, "Dana").await?;
        dana.fill(l.last_name, "Scully").await?;
        dana.fill(l.password, DANA_PASSWORD).await?;
        dana.fill(l.confirm_password, DANA_PASSWORD).await?;
        dana.field(l.language).await?.select_by_label(l.language_name).await?;
        dana.screenshot("register").await;
        dana.click(&button(l.register)).await?;
        dana.find(&title(l.check_mailbox)).await?;

        self.app.deliver().await?;
        let activation = self
            .mailbox
            .mail_to(self.app, "dana@example.com", l.activation_subject)?;
        let link = activation
            .link(&format!("{}/activate?token=", self.app.base))?
            .replace("&amp;", "&");
        dana.client.goto(&link).await?;
        dana.find(&title(l.activate_title)).await?;
        dana.click(&button(l.confirm_and_continue)).await?;

        dana.find(&title(SUBJECT)).await?;
        dana.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
        let from = dana.text(&message_detail(l.from)).await?;
        ensure!(from == "Test alice <alice@example.com>", "the message is from {from:?}");
        let body = dana.find("//pre[contains(@class,'body')]").await?.text().await?;
        ensure!(body == BODY, "the message reads {body:?}");
        dana.find(&format!("//h2[normalize-space()={}]", literal(l.attachments)))
            .await?;
        let download = dana
            .find(&format!(
                "//ul[contains(@class,'attachments')]/li/a[normalize-space()={}]",
                literal(ATTACHMENT)
            ))
            .await?;
        dana.screenshot("message").await;

        // Headless downloads are awkward: fetch the link with Dana's session cookie.
        let url = download.prop("href").await?.context("the attachment has no link")?;
        let session = dana
            .client
            .get_all_cookies()
            .await?
            .into_iter()
            .find(|c| c.name() == "sp_session")
            .context("Dana's browser holds no session cookie")?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let response = http
            .get(&url)
            .header("cookie", format!("sp_session={}", session.value()))
            .send()
            .await?;
        ensure!(response.status() == 200, "the download answered {}", response.status());
        ensure!(
            response.bytes().await?.as_ref() == attachment,
            "the attachment comes back byte for byte"
        );
        let anonymous = http.get(&url).send().await?;
        ensure!(
            anonymous.status() == 303,
            "without the session the attachment is not served ({})",
            anonymous.status()
        );
        Ok(())
    }

    /// Step 5: Dana replies; the reply is in Alice's inbox, and Alice's read receipt
    /// arrived.
    async fn dana_replies(&self) -> anyhow::Result<()> {
        let (l, dana, alice) = (self.language, &self.dana, &self.alice);
        dana.click(&link(l.reply)).await?;
        let quoted = dana.value(l.message).await?;
        ensure!(
            quoted.contains("> Hello Dana,"),
            "the reply quotes the message: {quoted:?}"
        );
        dana.field(l.message).await?.send_keys(&format!("\n{REPLY}")).await?;
        dana.screenshot("reply").await;
        dana.click(&button(l.send)).await?;
        dana.find(&flash(l.sent)).await?;

        alice.click(&nav_link(alice::INBOX)).await?;
        let reply = format!("Re: {SUBJECT}");
        let sender = alice
            .text(&format!(
                "//table[contains(@class,'messages')]/tbody/tr[td[1][normalize-space()={}]]/td[2]",
                literal(&reply)
            ))
            .await?;
        ensure!(
            sender.contains("dana@example.com"),
            "Alice's inbox shows the reply from {sender:?}"
        );
        alice.screenshot("alice-inbox").await;
        alice.click(&link(&reply)).await?;
        let text = alice.find("//pre[contains(@class,'body')]").await?.text().await?;
        ensure!(text.contains(REPLY), "the reply reads {text:?}");

        self.app.deliver().await?;
        // The receipt's subject names the reader; its language is the sender's.
        self.mailbox
            .mail_to(self.app, "alice@example.com", "dana@example.com")
            .context("Alice's read receipt")?;
        let receipts = self
            .mailbox
            .all(self.app)?
            .into_iter()
            .filter(|m| m.to.contains("alice@example.com") && m.subject.contains("dana@example.com"))
            // Dana's reply notification names her by address too (she is outside
            // Acme); it is the one carrying an envelope.
            .filter(|m| m.envelope().is_err())
            .count();
        ensure!(receipts == 1, "one read receipt, got {receipts}");
        Ok(())
    }

    /// Step 6: Alice locks the message with a reason; Dana, reloading, reads why and
    /// whom to ask.
    async fn alice_locks_and_dana_is_told_why(&self) -> anyhow::Result<()> {
        let (l, dana, alice) = (self.language, &self.dana, &self.alice);
        dana.click(&nav_link(l.inbox)).await?;
        dana.click(&link(SUBJECT)).await?;
        dana.find(&title(SUBJECT)).await?;
        alice.click(&nav_link(alice::SENT_NAV)).await?;
        alice.click(&link(SUBJECT)).await?;
        let opened = alice.text(&recipient_status("dana@example.com")).await?;
        ensure!(
            opened != alice::NOT_OPENED && !opened.is_empty(),
            "the tracking page should show when Dana opened it, shows {opened:?}"
        );
        alice.fill(alice::LOCK_REASON, LOCK_REASON).await?;
        alice.click(&button(alice::LOCK)).await?;
        alice.find(&flash(alice::LOCKED)).await?;

        dana.client.refresh().await?;
        dana.find(&title(l.locked_title)).await?;
        dana.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
        let explanation = dana.text("//*[@role='status' and contains(@class,'notice')]").await?;
        ensure!(explanation == l.locked, "the lock page explains {explanation:?}");
        dana.find(&format!(
            "//p[normalize-space()={}]",
            literal(&format!("{} {LOCK_REASON}", l.reason))
        ))
        .await?;
        dana.find(&format!(
            "//p[normalize-space()={}]",
            literal(&l.contact.replace("{sender}", "alice@example.com"))
        ))
        .await?;
        let page = dana.text("//main").await?;
        ensure!(
            !page.contains("the figures are attached"),
            "a locked message shows nothing of itself"
        );
        dana.screenshot("locked").await;
        Ok(())
    }

    /// Step 7: The seeds' troubleshooting path: now that Dana has a user, Alice can make
    /// her an account administrator.
    async fn alice_makes_dana_an_administrator(&self, number: &str) -> anyhow::Result<()> {
        let alice = &self.alice;
        alice.goto("/admin").await?;
        alice.click(&nav_link(alice::ACCOUNTS)).await?;
        alice.click(&link(number)).await?;
        alice
            .click(&format!(
                "//nav[contains(@class,'tabs')]/a[normalize-space()={}]",
                literal(alice::GROUPS)
            ))
            .await?;
        alice
            .click(&format!(
                "//table[contains(@class,'groups')]/tbody/tr[td[1][starts-with(normalize-space(), {})]]\
                 /td[contains(@class,'actions')]/*[1]",
                literal(&format!("{} (", alice::ADMINISTRATORS))
            ))
            .await?;
        alice.fill(alice::USER_ID, "dana@example.com").await?;
        alice.click(&button(alice::ADD_TO_GROUP)).await?;
        let added = alice::MEMBER_ADDED
            .replace("{email}", "dana@example.com")
            .replace("{group}", alice::ADMINISTRATORS);
        if let Err(error) = alice.find(&flash(&added)).await {
            // Say what the page said instead, when it refused.
            let refusal = alice.text("//*[@role='alert']").await.unwrap_or_default();
            return Err(error.context(format!("adding Dana was refused: {refusal:?}")));
        }
        let mut members = alice
            .texts("//table[contains(@class,'members')]/tbody/tr/td[1]")
            .await?;
        members.sort();
        ensure!(
            members == ["alice@example.com", "dana@example.com"],
            "the administrators are {members:?}"
        );
        alice.screenshot("alice-members").await;
        Ok(())
    }
}

/// The `file://` URL of a file on disk.
fn file_url(path: &Path) -> anyhow::Result<String> {
    let absolute = path.canonicalize()?;
    let text = absolute
        .to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", absolute.display()))?;
    Ok(format!("file://{text}"))
}

fn title(text: &str) -> String {
    format!("//h1[normalize-space()={}]", literal(text))
}

/// The value next to `term` in the envelope's details.
fn envelope_detail(term: &str) -> String {
    format!(
        "//main//dl/dt[normalize-space()={}]/following-sibling::dd[1]",
        literal(term)
    )
}

/// The value next to `term` in the message's details.
fn message_detail(term: &str) -> String {
    format!(
        "//dl[contains(@class,'details')]/dt[normalize-space()={}]/following-sibling::dd[1]",
        literal(term)
    )
}

/// The "Opened" cell of `email`'s row on the tracking page.
fn recipient_status(email: &str) -> String {
    format!(
        "//table[contains(@class,'recipients')]/tbody/tr[td[1][normalize-space()={}]]/td[2]",
        literal(email)
    )
}
