//! The SMTP gateway driven by real clients (swaks, Python's smtplib, lettre,
//! Postfix relaying as an organisation's mail server) and
//! by hand-written hostile sessions, in front of a real server on both
//! databases; the recipient then opens what was submitted over HTTP.
//!
//! The gateway runs in the test's process on a free port, over the same
//! `Services` as the web server, so the recipient reads through the real pages.

mod clients;
mod hostile;
mod postfix;
mod profile_choice;
mod refusals;
mod relay;
mod senders;
mod shutdown;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail, ensure};
use sealpost_domain::services::account_tokens::NewTokenRequest;
use sealpost_mail::gateway::{Gateway, GatewayConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::ServerConfig;

use crate::helpers::{TestApp, logged_in};

/// A gateway listening for the test, stopped when dropped.
pub struct RunningGateway {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a gateway over the app's services on a free port of 127.0.0.1.
pub async fn gateway(
    app: &TestApp,
    config: GatewayConfig,
    tls: Option<Arc<ServerConfig>>,
) -> anyhow::Result<RunningGateway> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let gateway = Gateway::new(app.services.clone(), config, tls);
    let task = tokio::spawn(gateway.serve(listener, false));
    Ok(RunningGateway { port, task })
}

/// Acme with Alice (administrator, so a member who may send), Bob and Carol
/// (recipients whose mailboxes are proven), and an SMTP submission token of
/// Acme's, optionally bound to `networks`; returns the token's secret.
pub async fn acme_with_token(app: &TestApp, networks: &str) -> anyhow::Result<String> {
    for user in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        app.add_user(user, false).await?;
    }
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    token_for(app, account.number, networks).await
}

/// [`acme_with_token`] (the token for any network) and a gateway with the default
/// settings: the token's secret and the running gateway.
pub async fn acme_and_gateway(app: &TestApp) -> anyhow::Result<(String, RunningGateway)> {
    let token = acme_with_token(app, "").await?;
    let gw = gateway(app, GatewayConfig::default(), None).await?;
    Ok((token, gw))
}

/// A new SMTP submission token of the account `number`, created by Alice.
pub async fn token_for(
    app: &TestApp,
    number: sealpost_domain::types::AccountNumber,
    networks: &str,
) -> anyhow::Result<String> {
    token_with(
        app,
        number,
        NewTokenRequest {
            networks: networks.to_owned(),
            ..NewTokenRequest::default()
        },
    )
    .await
}

/// A new SMTP submission token of the account `number`, created by Alice, with
/// `request`'s networks and options.
pub async fn token_with(
    app: &TestApp,
    number: sealpost_domain::types::AccountNumber,
    request: NewTokenRequest,
) -> anyhow::Result<String> {
    let scope = app.scope("alice@example.com", number).await?;
    let request = NewTokenRequest {
        name: "Mail server".to_owned(),
        scopes: vec!["smtp_submission".to_owned()],
        ..request
    };
    let issued = app
        .services
        .create_account_token(&scope, &request)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(issued.secret)
}

/// The message id in a "250 2.0.0 OK: queued as <id>" reply.
pub fn queued_id(reply: &str) -> anyhow::Result<String> {
    reply
        .split("queued as ")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect::<String>())
        .filter(|id| id.len() == 32)
        .ok_or_else(|| anyhow!("no queued id in {reply:?}"))
}

/// Whether `program` can be run; if not, the test says loudly that it skips.
pub fn have(program: &str, test: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED {test}: {program} is not installed (scripts/test installs it with apt)");
    }
    found
}

/// A hand-driven SMTP client: writes raw bytes, reads whole replies.
pub struct RawClient {
    reader: BufReader<TcpStream>,
}

impl RawClient {
    /// Connects and reads the greeting (which must be 220).
    pub async fn connect(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut client = Self {
            reader: BufReader::new(stream),
        };
        let greeting = client.reply().await?;
        if !greeting.starts_with("220 ") {
            bail!("greeting was {greeting:?}");
        }
        Ok(client)
    }

    /// Connects and logs in with `token`, which must be accepted (235).
    pub async fn logged_in(port: u16, token: &str) -> anyhow::Result<Self> {
        let mut client = Self::connect(port).await?;
        let auth = client.login(token).await?;
        ensure!(auth.starts_with("235"), "AUTH answered {auth:?}");
        Ok(client)
    }

    /// Sends bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.reader.get_mut().write_all(bytes).await?;
        Ok(())
    }

    /// One whole reply (every line up to the one with a space after the code);
    /// empty when the server closed the connection.
    pub async fn reply(&mut self) -> anyhow::Result<String> {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(Duration::from_secs(20), self.reader.read_line(&mut line))
                .await
                .context("no reply within 20 s")??;
            if read == 0 {
                return Ok(reply);
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(reply);
            }
        }
    }

    /// Sends a command line (CRLF added) and returns the reply.
    pub async fn command(&mut self, line: &str) -> anyhow::Result<String> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// Sends a command line; fails unless the reply starts with `code`.
    pub async fn expect(&mut self, line: &str, code: &str) -> anyhow::Result<String> {
        let reply = self.command(line).await?;
        ensure!(reply.starts_with(code), "{line:?} was answered {reply:?}, not {code}");
        Ok(reply)
    }

    /// EHLO and AUTH PLAIN with `token`; returns the AUTH reply.
    pub async fn login(&mut self, token: &str) -> anyhow::Result<String> {
        use base64::Engine as _;
        let ehlo = self.command("EHLO client.test").await?;
        if !ehlo.starts_with("250") {
            bail!("EHLO answered {ehlo:?}");
        }
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0gw\0{token}"));
        self.command(&format!("AUTH PLAIN {plain}")).await
    }

    /// A [`RawClient::transaction`] from `from` to Bob of the [`simple_message`]
    /// `subject` and `body`: the final reply.
    pub async fn send_simple(&mut self, from: &str, subject: &str, body: &str) -> anyhow::Result<String> {
        self.transaction(from, &["bob@example.com"], &simple_message(subject, body))
            .await
    }

    /// A whole transaction after login: MAIL, RCPT each, DATA, the message
    /// (already CRLF-framed and dot-stuffed) and the final dot. Returns the
    /// final reply.
    pub async fn transaction(&mut self, from: &str, to: &[&str], message: &str) -> anyhow::Result<String> {
        let mail = self.command(&format!("MAIL FROM:<{from}>")).await?;
        if !mail.starts_with("250") {
            return Ok(mail);
        }
        for rcpt in to {
            let answer = self.command(&format!("RCPT TO:<{rcpt}>")).await?;
            if !answer.starts_with("250") {
                return Ok(answer);
            }
        }
        let data = self.command("DATA").await?;
        if !data.starts_with("354") {
            return Ok(data);
        }
        self.send(message.as_bytes()).await?;
        self.command(".").await
    }
}

/// A small text message from Alice to Bob, CRLF-framed.
pub fn simple_message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: {subject}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// Bob opens message `id` (after the notifications went out): the page's text.
pub async fn bob_reads(app: &TestApp, id: &str) -> anyhow::Result<crate::helpers::Answer> {
    app.deliver().await?;
    let bob = logged_in(app, "bob@example.com").await?;
    bob.get(&format!("/m/{id}")).await
}

/// The first account's latest 200 audit events as Alice, its administrator, reads
/// them: (action, target, outcome), newest first.
pub async fn audit_actions(app: &TestApp) -> anyhow::Result<Vec<(String, String, String)>> {
    let scope = app
        .scope("alice@example.com", app.first_account().await?.number)
        .await?;
    let events = app
        .services
        .account_audit(&scope, 200)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(events
        .into_iter()
        .map(|(e, _)| (e.action, e.target, e.outcome))
        .collect())
}

/// How many messages the account has stored (the sender's count of Acme).
pub async fn stored_messages(app: &TestApp) -> anyhow::Result<usize> {
    Ok(alices_messages(app).await?.len())
}

/// The messages Alice sent, newest first, as stored.
pub async fn alices_messages(app: &TestApp) -> anyhow::Result<Vec<sealpost_domain::messages::Message>> {
    let alice = app.actor("alice@example.com").await?;
    let sent = app
        .services
        .sent_messages(&alice, None)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(sent.into_iter().map(|s| s.message).collect())
}
