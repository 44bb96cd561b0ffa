//! The story itself, step by step: Alice sends, Dana opens the envelope, registers,
//! reads and replies, Alice locks the message and Dana is told why; in English
//! Alice then makes Dana an account administrator.

use std::path::Path;

use anyhow::{Context as _, anyhow, ensure};

use crate::helpers::PASSWORD;
use crate::webdriver::{alert, button, flash, heading, label, link, literal, nav_link};

use super::{ATTACHMENT, BODY, DANA_PASSWORD, LOCK_REASON, REPLY, SUBJECT, Story, alice};

impl Story<'_> {
    pub(super) async fn run(&self, account_number: &str) -> anyhow::Result<()> {
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
            mail.link(&format!("{}/m/", self.app.base))? == format!("{}/m/{id}?r=dana%40example.com", self.app.base),
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
        dana.find(&heading(l.register_title)).await?;
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
        dana.find(&heading(l.check_mailbox)).await?;

        self.app.deliver().await?;
        let activation = self
            .mailbox
            .mail_to(self.app, "dana@example.com", l.activation_subject)?;
        let link = activation
            .link(&format!("{}/activate?token=", self.app.base))?
            .replace("&amp;", "&");
        dana.client.goto(&link).await?;
        dana.find(&heading(l.activate_title)).await?;
        dana.click(&button(l.confirm_and_continue)).await?;

        dana.find(&heading(SUBJECT)).await?;
        dana.find(&format!("//html[@lang={}]", literal(l.tag))).await?;
        let from = dana.text(&message_detail(l.from)).await?;
        ensure!(from == "Test alice <alice@example.com>", "the message is from {from:?}");
        let body = dana.find("//pre[contains(@class,'body')]").await?.text().await?;
        ensure!(body == BODY, "the message reads {body:?}");
        dana.find(&format!("//h2[normalize-space()={}]", literal(l.attachments)))
            .await?;
        let url = dana.attachment_url(ATTACHMENT).await?;
        dana.screenshot("message").await;

        // Headless downloads are awkward: fetch the link with Dana's session cookie.
        let response = dana.get_with_session(&url).await?;
        ensure!(response.status() == 200, "the download answered {}", response.status());
        ensure!(
            response.bytes().await?.as_ref() == attachment,
            "the attachment comes back byte for byte"
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
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

    /// Step 6: Alice locks the message with a reason, through its confirmation
    /// step; Dana, reloading, reads why and
    /// whom to ask.
    async fn alice_locks_and_dana_is_told_why(&self) -> anyhow::Result<()> {
        let (l, dana, alice) = (self.language, &self.dana, &self.alice);
        dana.click(&nav_link(l.inbox)).await?;
        dana.click(&link(SUBJECT)).await?;
        dana.find(&heading(SUBJECT)).await?;
        alice.click(&nav_link(alice::SENT_NAV)).await?;
        alice.click(&link(SUBJECT)).await?;
        let opened = alice.text(&recipient_status("dana@example.com")).await?;
        ensure!(
            opened != alice::NOT_OPENED && !opened.is_empty(),
            "the tracking page should show when Dana opened it, shows {opened:?}"
        );
        alice.click(&button(alice::LOCK_START)).await?;
        alice.find(&heading(alice::LOCK_TITLE)).await?;
        alice.fill(alice::LOCK_REASON, LOCK_REASON).await?;
        alice.click(&button(alice::LOCK)).await?;
        alice.find(&flash(alice::LOCKED)).await?;

        dana.client.refresh().await?;
        dana.find(&heading(l.locked_title)).await?;
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
