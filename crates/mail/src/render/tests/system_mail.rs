//! The system emails (activation, password reset, read receipt, security
//! notices, bounce): each parsed back and checked for its words in every language,
//! its one link and a self-contained, balanced HTML part.

use anyhow::{Context as _, Result};
use sealpost_domain::messages::{RenderedMail, SecurityNotice};
use sealpost_domain::types::Locale;
use sealpost_testkit::unescape;

use super::*;

/// What each system email must say, per language.
struct Expected {
    subject: &'static str,
    phrases: &'static [&'static str],
}

/// `link` is the button's address as written and as it appears in the HTML attribute.
fn check_system_mail(
    mail: &RenderedMail,
    locale: Locale,
    expected: &Expected,
    link: Option<(&str, &str)>,
) -> Result<()> {
    assert_crlf(&mail.raw)?;
    assert_message_id(mail, "mail.example.com")?;
    let message = parse(mail)?;
    assert_eq!(message.subject(), Some(expected.subject), "{locale:?}");
    let from = message.from().and_then(|f| f.first()).context("no From")?;
    assert_eq!(from.address(), Some("sealpost@mail.example.com"));
    assert_eq!(from.name(), Some("Sealpost"));
    assert_eq!(
        message.header_raw("Content-Language").map(str::trim),
        Some(locale.tag())
    );
    assert_eq!(message.attachment_count(), 0);
    let text = message.body_text(0).context("no text part")?;
    let html = message.body_html(0).context("no HTML part")?;
    let shown = unescape(&html);
    for phrase in expected.phrases {
        assert!(text.contains(phrase), "{locale:?} text lacks {phrase:?}: {text}");
        assert!(shown.contains(phrase), "{locale:?} HTML lacks {phrase:?}");
    }
    if let Some((link, in_html)) = link {
        assert!(text.contains(link));
        assert!(html.contains(&format!("href=\"{in_html}\"")));
    }
    let allowed: Vec<&str> = link.map(|(_, in_html)| in_html).into_iter().collect();
    assert_self_contained(&html, &allowed)?;
    assert_balanced(&html)?;
    Ok(())
}

#[test]
fn activation_link_is_single_use_and_expires_in_48_hours() -> Result<()> {
    let notifier = notifier()?;
    let to = address("bob@client.example")?;
    let link = "https://sealpost.example.com/register/confirm?token=abc&x=1";
    let cases = [
        (
            Locale::En,
            Expected {
                subject: "Confirm your email address for Sealpost",
                phrases: &[
                    "bob@client.example",
                    "48 hours",
                    "only once",
                    "Confirm my email address",
                ],
            },
        ),
        (
            Locale::De,
            Expected {
                subject: "Bestätigen Sie Ihre E-Mail-Adresse für Sealpost",
                phrases: &["bob@client.example", "48 Stunden", "nur einmal"],
            },
        ),
        (
            Locale::Fr,
            Expected {
                subject: "Confirmez votre adresse e-mail pour Sealpost",
                phrases: &["bob@client.example", "48 heures", "qu'une fois"],
            },
        ),
    ];
    for (locale, expected) in cases {
        let mail = notifier.activation(&to, locale, link)?;
        // The "&" is escaped inside the HTML attribute, as HTML requires.
        let in_html = "https://sealpost.example.com/register/confirm?token=abc&#38;x=1";
        check_system_mail(&mail, locale, &expected, Some((link, in_html)))?;
    }
    Ok(())
}

#[test]
fn password_reset_link_expires_in_an_hour_and_can_be_ignored() -> Result<()> {
    let notifier = notifier()?;
    let to = address("bob@client.example")?;
    let link = "https://sealpost.example.com/password/reset/t0k3n";
    let cases = [
        (
            Locale::En,
            Expected {
                subject: "Reset your Sealpost password",
                phrases: &["1 hour", "only once", "did not ask", "ignore this email"],
            },
        ),
        (
            Locale::De,
            Expected {
                subject: "Kennwort für Sealpost zurücksetzen",
                phrases: &["1 Stunde", "nur einmal", "ignorieren Sie diese E-Mail"],
            },
        ),
        (
            Locale::Fr,
            Expected {
                subject: "Réinitialisez votre mot de passe Sealpost",
                phrases: &["1 heure", "qu'une fois", "ignorez cet e-mail"],
            },
        ),
    ];
    for (locale, expected) in cases {
        let mail = notifier.password_reset(&to, locale, link)?;
        check_system_mail(&mail, locale, &expected, Some((link, link)))?;
    }
    Ok(())
}

#[test]
fn read_receipt_names_the_reader_and_the_sending_time() -> Result<()> {
    let notifier = notifier()?;
    let to = address("alice@corp.example")?;
    let reader = address("bob@client.example")?;
    let link = "https://sealpost.example.com/portal/sent/00112233445566778899aabbccddeeff";
    let cases = [
        (
            Locale::En,
            Expected {
                subject: "bob@client.example opened your secure message",
                phrases: &["November 20, 2026 at 9:07\u{202f}AM UTC", "View the message"],
            },
        ),
        (
            Locale::De,
            Expected {
                subject: "bob@client.example hat Ihre sichere Nachricht geöffnet",
                phrases: &["am 20. November 2026 um 09:07 UTC", "Nachricht anzeigen"],
            },
        ),
        (
            Locale::Fr,
            Expected {
                subject: "bob@client.example a ouvert votre message sécurisé",
                phrases: &["le 20 novembre 2026 à 09:07 UTC", "Voir le message"],
            },
        ),
    ];
    for (locale, expected) in cases {
        let mail = notifier.read_receipt(&to, locale, None, &reader, SENT_AT, link)?;
        check_system_mail(&mail, locale, &expected, Some((link, link)))?;
    }
    Ok(())
}

/// Each security notice in each language: its subject, when and what changed, the
/// way to act on it, and what to do if the user did not make the change.
#[test]
fn security_notices_say_what_changed_when_and_what_to_do_if_it_was_not_the_user() -> Result<()> {
    let notifier = notifier()?;
    let to = address("max@corp.example")?;
    let security = "https://sealpost.example.com/me/security";
    let forgot = "https://sealpost.example.com/password/forgot";
    let cases = [
        (
            SecurityNotice::TwoStepReset,
            security,
            Locale::En,
            Expected {
                subject: "Your Sealpost two-step verification was reset",
                phrases: &[
                    "An administrator reset the two-step verification of max@corp.example at Sealpost on \
                     November 20, 2026 at 9:07\u{202f}AM UTC",
                    "passkeys and recovery codes no longer work",
                    "Open my security settings",
                    "tell your administrator at once",
                ],
            },
        ),
        (
            SecurityNotice::TwoStepReset,
            security,
            Locale::De,
            Expected {
                subject: "Ihre Zwei-Schritt-Verifizierung bei Sealpost wurde zurückgesetzt",
                phrases: &[
                    "Ein Administrator hat am 20. November 2026 um 09:07 UTC die Zwei-Schritt-Verifizierung \
                     von max@corp.example",
                    "Meine Sicherheitseinstellungen öffnen",
                    "„Kennwort vergessen?“",
                ],
            },
        ),
        (
            SecurityNotice::TwoStepReset,
            security,
            Locale::Fr,
            Expected {
                subject: "Votre vérification en deux étapes sur Sealpost a été réinitialisée",
                phrases: &[
                    "de max@corp.example sur Sealpost le 20 novembre 2026 à 09:07 UTC",
                    "Ouvrir mes paramètres de sécurité",
                    "prévenez immédiatement votre administrateur",
                ],
            },
        ),
        (
            SecurityNotice::PasswordChanged,
            forgot,
            Locale::En,
            Expected {
                subject: "Your Sealpost password was changed",
                phrases: &[
                    "The password of max@corp.example at Sealpost was changed on November 20, 2026 at \
                     9:07\u{202f}AM UTC.",
                    "Choose a new password",
                    "If you did not change it, someone else may know your password",
                ],
            },
        ),
        (
            SecurityNotice::PasswordChanged,
            forgot,
            Locale::De,
            Expected {
                subject: "Ihr Kennwort bei Sealpost wurde geändert",
                phrases: &[
                    "Das Kennwort von max@corp.example bei Sealpost wurde am 20. November 2026 um 09:07 UTC \
                     geändert.",
                    "Neues Kennwort wählen",
                ],
            },
        ),
        (
            SecurityNotice::PasswordChanged,
            forgot,
            Locale::Fr,
            Expected {
                subject: "Votre mot de passe sur Sealpost a été modifié",
                phrases: &[
                    "Le mot de passe de max@corp.example sur Sealpost a été modifié le 20 novembre 2026 à 09:07 UTC.",
                    "Choisir un nouveau mot de passe",
                ],
            },
        ),
        (
            SecurityNotice::TwoStepOff,
            security,
            Locale::En,
            Expected {
                subject: "Two-step verification of your Sealpost login was turned off",
                phrases: &[
                    "was turned off for max@corp.example at Sealpost on November 20, 2026 at 9:07\u{202f}AM UTC",
                    "If you did not turn it off, someone else knows your password",
                ],
            },
        ),
        (
            SecurityNotice::TwoStepOff,
            security,
            Locale::De,
            Expected {
                subject: "Die Zwei-Schritt-Verifizierung Ihrer Anmeldung bei Sealpost wurde ausgeschaltet",
                phrases: &["am 20. November 2026 um 09:07 UTC für max@corp.example bei Sealpost"],
            },
        ),
        (
            SecurityNotice::TwoStepOff,
            security,
            Locale::Fr,
            Expected {
                subject: "La vérification en deux étapes de votre connexion à Sealpost a été désactivée",
                phrases: &["pour max@corp.example sur Sealpost le 20 novembre 2026 à 09:07 UTC"],
            },
        ),
        (
            SecurityNotice::PasskeyAdded("Laptop <b>"),
            security,
            Locale::En,
            Expected {
                subject: "A passkey was added to your Sealpost login",
                phrases: &[
                    "A passkey named “Laptop <b>” was added to the login of max@corp.example at Sealpost on November 20, 2026",
                    "If you did not add it, someone else can log in as you",
                ],
            },
        ),
        (
            SecurityNotice::PasskeyAdded("Laptop <b>"),
            security,
            Locale::De,
            Expected {
                subject: "Ihrer Anmeldung bei Sealpost wurde ein Passkey hinzugefügt",
                phrases: &[
                    "Der Anmeldung von max@corp.example bei Sealpost wurde am 20. November 2026 um 09:07 UTC ein Passkey namens „Laptop <b>“ hinzugefügt.",
                ],
            },
        ),
        (
            SecurityNotice::PasskeyAdded("Laptop <b>"),
            security,
            Locale::Fr,
            Expected {
                subject: "Une clé d'accès a été ajoutée à votre connexion à Sealpost",
                phrases: &[
                    "Une clé d'accès nommée « Laptop <b> » a été ajoutée à la connexion de max@corp.example sur Sealpost le 20",
                ],
            },
        ),
        (
            SecurityNotice::RecoveryCodeUsed,
            security,
            Locale::En,
            Expected {
                subject: "A recovery code was used to log in to Sealpost",
                phrases: &[
                    "One of the recovery codes of max@corp.example at Sealpost was used to log in on November 20, 2026",
                    "That code no longer works",
                ],
            },
        ),
        (
            SecurityNotice::RecoveryCodeUsed,
            security,
            Locale::De,
            Expected {
                subject: "Bei Sealpost wurde ein Wiederherstellungscode zur Anmeldung verwendet",
                phrases: &[
                    "Einer der Wiederherstellungscodes von max@corp.example bei Sealpost wurde am 20. November 2026",
                ],
            },
        ),
        (
            SecurityNotice::RecoveryCodeUsed,
            security,
            Locale::Fr,
            Expected {
                subject: "Un code de récupération a servi à vous connecter à Sealpost",
                phrases: &[
                    "L'un des codes de récupération de max@corp.example sur Sealpost a servi à se connecter le 20",
                ],
            },
        ),
    ];
    for (notice, link, locale, expected) in cases {
        let mail = notifier.security_notice(notice, &to, locale, None, SENT_AT, link)?;
        check_system_mail(&mail, locale, &expected, Some((link, link)))
            .with_context(|| format!("{notice:?} in {locale:?}"))?;
    }
    Ok(())
}

#[test]
fn bounce_tells_the_sender_which_notification_failed_and_why() -> Result<()> {
    let notifier = notifier()?;
    let to = address("alice@corp.example")?;
    let failed = address("nobody@client.example")?;
    let reason = "permanent error (550): 5.1.1 <nobody@client.example>: no such user";
    let cases = [
        (
            Locale::En,
            Expected {
                subject: "Undeliverable: secure message to nobody@client.example",
                phrases: &["could not be delivered", "Reason"],
            },
        ),
        (
            Locale::De,
            Expected {
                subject: "Unzustellbar: sichere Nachricht an nobody@client.example",
                phrases: &["konnte nicht zugestellt werden", "Grund"],
            },
        ),
        (
            Locale::Fr,
            Expected {
                subject: "Non distribuable : message sécurisé pour nobody@client.example",
                phrases: &["n'a pas pu être distribuée", "Motif"],
            },
        ),
    ];
    for (locale, expected) in cases {
        let mail = notifier.bounce(&to, locale, &failed, reason)?;
        check_system_mail(&mail, locale, &expected, None)?;
        let message = parse(&mail)?;
        let text = message.body_text(0).context("no text part")?;
        assert!(text.contains(reason), "{text}");
        let html = message.body_html(0).context("no HTML part")?;
        assert!(html.contains("&#60;nobody@client.example&#62;: no such user"));
    }
    Ok(())
}

#[test]
fn an_unusable_from_address_is_refused_with_a_clear_message() -> Result<()> {
    let clock = Arc::new(FakeClock::new(NOW));
    let error = MailNotifier::new("Sealpost", "not an address", clock.clone()).map(|_| ());
    assert_eq!(
        error.map_err(|e| e.to_string()),
        Err("mail_from = \"not an address\" is not an email address; write it as `name@example.com` or `Name <name@example.com>`".to_owned())
    );
    let named = MailNotifier::new("Sealpost", "Acme Secure Mail <secure@acme.example>", clock)?;
    let mail = named.activation(&address("bob@client.example")?, Locale::En, "https://x.example/a")?;
    let message = parse(&mail)?;
    let from = message.from().and_then(|f| f.first()).context("no From")?;
    assert_eq!(from.name(), Some("Acme Secure Mail"));
    assert_message_id(&mail, "acme.example")?;
    Ok(())
}
