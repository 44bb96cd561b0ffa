//! The user page in a real browser, in English, German and French: an operator
//! finds a user in Users, locks them with a reason, which the user then reads at
//! login; unlocks them; sends a reset link, which the user follows from the mail
//! (delivered into the test's mail folder) to set a new password and log in; and
//! resets the two-step verification the user had turned on.

use anyhow::Context as _;

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::helpers::{Db, PASSWORD, TestApp};
use crate::webdriver::{self, ChromeDriver, button, flash, link, literal, nav_link};

const NEW_PASSWORD: &str = "Quiet-Meadow-Compass-73";

/// The words a person reads on the way, in one language (`{email}` filled in).
struct Words {
    search: &'static str,
    search_button: &'static str,
    lock: &'static str,
    reason: &'static str,
    locked: &'static str,
    unlock: &'static str,
    unlocked: &'static str,
    send_reset: &'static str,
    reset_sent: &'static str,
    /// The start of what the locked user reads at login.
    locked_at_login: &'static str,
    reset_two_step: &'static str,
    /// The confirmation's last words.
    told_by_mail: &'static str,
    two_step_reset: &'static str,
    /// Part of the subject of the mail that tells the user.
    notice_subject: &'static str,
}

const WORDS: [(&Language, Words); 3] = [
    (
        &ENGLISH,
        Words {
            search: "Search by name or email address",
            search_button: "Search",
            lock: "Lock User",
            reason: "Reason (shown to the user)",
            locked: "{email} is locked.",
            unlock: "Unlock User",
            unlocked: "{email} is unlocked.",
            send_reset: "Send Password Reset Link",
            reset_sent: "A password reset link was sent to {email}.",
            locked_at_login: "This user is locked. Reason:",
            reset_two_step: "Reset Two-Step Verification",
            told_by_mail: "{email} is told by mail.",
            two_step_reset: "Two-step verification of {email} was reset: their authenticator app, passkeys and recovery codes no longer work.",
            notice_subject: "two-step verification was reset",
        },
    ),
    (
        &GERMAN,
        Words {
            search: "Nach Name oder E-Mail-Adresse suchen",
            search_button: "Suchen",
            lock: "Benutzer sperren",
            reason: "Grund (wird dem Benutzer angezeigt)",
            locked: "{email} ist gesperrt.",
            unlock: "Benutzer entsperren",
            unlocked: "{email} ist entsperrt.",
            send_reset: "Link zum Zurücksetzen des Kennworts senden",
            reset_sent: "Ein Link zum Zurücksetzen des Kennworts wurde an {email} gesendet.",
            locked_at_login: "Dieser Benutzer ist gesperrt. Grund:",
            reset_two_step: "Zwei-Schritt-Verifizierung zurücksetzen",
            told_by_mail: "{email} wird per E-Mail darüber informiert.",
            two_step_reset: "Die Zwei-Schritt-Verifizierung von {email} wurde zurückgesetzt: App, Passkeys und Wiederherstellungscodes gelten nicht mehr.",
            notice_subject: "Zwei-Schritt-Verifizierung bei",
        },
    ),
    (
        &FRENCH,
        Words {
            search: "Rechercher par nom ou adresse e-mail",
            search_button: "Rechercher",
            lock: "Verrouiller l'utilisateur",
            reason: "Motif (affiché à l'utilisateur)",
            locked: "{email} est verrouillé.",
            unlock: "Déverrouiller l'utilisateur",
            unlocked: "{email} est déverrouillé.",
            send_reset: "Envoyer un lien de réinitialisation du mot de passe",
            reset_sent: "Un lien de réinitialisation du mot de passe a été envoyé à {email}.",
            locked_at_login: "Cet utilisateur est verrouillé. Motif :",
            reset_two_step: "Réinitialiser la vérification en deux étapes",
            told_by_mail: "{email} en est informé par e-mail.",
            two_step_reset: "La vérification en deux étapes de {email} a été réinitialisée : son application, ses clés d'accès et ses codes de récupération ne fonctionnent plus.",
            notice_subject: "a été réinitialisée",
        },
    ),
];

#[tokio::test]
async fn an_operator_locks_unlocks_and_resets_a_user_who_sees_the_reason_in_each_language() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
        return Ok(());
    };
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    for (language, words) in &WORDS {
        let email = format!("rita.{}@example.com", language.name);
        app.add_user(&email, false).await?;
        let operator = driver.session().await?;
        let user = driver.session().await?;
        let shots = |who: &str| format!("users-{}-{who}", language.name);
        let as_operator = Browser {
            web: webdriver::Browser {
                client: &operator,
                base: &app.base,
                shots: shots("operator"),
            },
            language,
        };
        let as_user = Browser {
            web: webdriver::Browser {
                client: &user,
                base: &app.base,
                shots: shots("user"),
            },
            language,
        };
        let outcome = lock_unlock_reset(&app, &as_operator, &as_user, &email, words).await;
        if outcome.is_err() {
            as_operator.screenshot("failure").await;
            as_user.screenshot("failure").await;
        }
        let closed = (operator.close().await, user.close().await);
        outcome.with_context(|| format!("the user page in {} failed", language.name))?;
        closed.0.context("closing the WebDriver session")?;
        closed.1.context("closing the WebDriver session")?;
    }
    drop(driver);
    Ok(())
}

async fn lock_unlock_reset(
    app: &TestApp,
    operator: &Browser<'_>,
    user: &Browser<'_>,
    email: &str,
    words: &Words,
) -> anyhow::Result<()> {
    let l = operator.language;
    operator.log_in_at("/admin/login", "olga@example.com", PASSWORD).await?;
    operator.click(&nav_link(l.nav_users)).await?;
    operator.fill(words.search, email).await?;
    operator.click(&button(words.search_button)).await?;
    operator.click(&link(email)).await?;
    operator.click(&link(words.lock)).await?;
    let reason = format!("Laptop stolen ({})", l.name);
    operator.fill(words.reason, &reason).await?;
    operator.click(&button(words.lock)).await?;
    operator.find(&flash(&words.locked.replace("{email}", email))).await?;
    operator.screenshot("locked").await;

    user.log_in_at("/portal/login", email, PASSWORD).await?;
    let said = user.text(&alert_starting(words.locked_at_login)).await?;
    anyhow::ensure!(
        said.contains(&reason) && said.contains("olga@example.com"),
        "the locked user reads the reason and whom to contact: {said:?}"
    );
    user.screenshot("locked-login").await;

    operator.click(&button(words.unlock)).await?;
    operator.find(&flash(&words.unlocked.replace("{email}", email))).await?;
    operator.click(&button(words.send_reset)).await?;
    operator
        .find(&flash(&words.reset_sent.replace("{email}", email)))
        .await?;

    app.deliver().await?;
    let link_path = app.link_path(email, "", "/password/reset?token=")?;
    user.goto(&link_path).await?;
    user.fill(l.new_password, NEW_PASSWORD).await?;
    user.fill(l.confirm_new_password, NEW_PASSWORD).await?;
    user.click(&button(l.save_password)).await?;
    // The reset logs the user in; log out and in again with the new password.
    user.click(&button(l.log_out)).await?;
    user.log_in_at("/portal/login", email, NEW_PASSWORD).await?;
    user.find(&button(l.log_out)).await?;
    let path = user.path().await?;
    anyhow::ensure!(
        path.starts_with("/portal"),
        "logged in with the new password, at {path}"
    );
    user.screenshot("new-password").await;

    // Her phone, then its loss: she turned two-step verification on, and the
    // operator resets it after a confirmation; the password alone logs her in.
    let rita = crate::helpers::logged_in_with(app, email, NEW_PASSWORD).await?;
    crate::two_step::enrol(app, &rita).await?;
    user.click(&button(l.log_out)).await?;
    let page = operator.path().await?;
    operator.goto(&page).await?;
    operator.click(&link(words.reset_two_step)).await?;
    operator.screenshot("reset-two-step").await;
    let told = words.told_by_mail.replace("{email}", email);
    operator
        .find(&format!("//p[contains(normalize-space(), {})]", literal(&told)))
        .await?;
    operator.click(&button(words.reset_two_step)).await?;
    operator
        .find(&flash(&words.two_step_reset.replace("{email}", email)))
        .await?;
    app.deliver().await?;
    let notice = app.mail_to(email, words.notice_subject)?;
    anyhow::ensure!(notice.text.contains("/me/security"), "{}", notice.text);
    user.log_in_at("/portal/login", email, NEW_PASSWORD).await?;
    user.find(&button(l.log_out)).await?;
    let path = user.path().await?;
    anyhow::ensure!(
        path.starts_with("/portal"),
        "the password alone logs in after the reset, at {path}"
    );
    Ok(())
}

/// The alert whose text starts with `start`.
fn alert_starting(start: &str) -> String {
    format!(
        "//*[@role='alert' and starts-with(normalize-space(), {})]",
        literal(start)
    )
}
