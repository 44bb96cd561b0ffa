//! A real SMTP server for the tests: `smtp_sink.py` (Python's aiosmtpd) run as a
//! child process on 127.0.0.1, keeping every mail it accepts as `<n>.eml` (the DATA
//! bytes) next to `<n>.env` (MAIL FROM, then one RCPT TO a line) in a folder of its
//! own. Recipients whose local part starts with `tempfail` get a 451, `reject` a 550.
//!
//! Where python3 or aiosmtpd is missing, starting it is an error that says how to
//! install it, unless `SEALPOST_SKIP_SMTP=1` allows skipping: then the starters
//! answer `None` after a loud note, and the test returns early.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use mail_parser::MimeHeaders as _;
use tempfile::TempDir;

/// How the sink is started.
#[derive(Debug, Clone, Copy, Default)]
pub struct SinkOptions {
    /// The port to listen on (a relay that comes back where it was); a free one
    /// when `None`.
    pub port: Option<u16>,
    /// A pause after storing each mail before answering 250: a slow relay, so that
    /// a client killed meanwhile has delivered a mail it does not know about.
    pub delay: Duration,
}

/// A running sink; killed when dropped.
pub struct SmtpSink {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    dir: TempDir,
}

/// One mail the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The DATA bytes as the server stored them.
    pub raw: Vec<u8>,
    /// `MAIL FROM`.
    pub mail_from: String,
    /// `RCPT TO`, accepted ones only, as the client wrote them.
    pub rcpt_tos: Vec<String>,
    /// The client's address and port (`127.0.0.1:40112`): mails with the same
    /// came over one connection.
    pub peer: String,
}

impl Received {
    /// The `Message-ID` header, without brackets, read as the mail crate reads it.
    pub fn message_id(&self) -> Option<String> {
        sealpost_mail::transport::message_id_of(&self.raw)
    }
}

/// The script, kept next to this crate's manifest.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py")
}

impl SmtpSink {
    /// Starts a sink on a free port and waits until it accepts connections.
    pub fn start() -> Result<Option<Self>> {
        Self::start_with(SinkOptions::default())
    }

    /// As [`SmtpSink::start`], on `port` when given.
    pub fn start_on(port: Option<u16>) -> Result<Option<Self>> {
        Self::start_with(SinkOptions {
            port,
            ..SinkOptions::default()
        })
    }

    /// Starts a sink as `options` say and waits until it accepts connections.
    pub fn start_with(options: SinkOptions) -> Result<Option<Self>> {
        let probe = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|status| status.success()) {
            if std::env::var("SEALPOST_SKIP_SMTP").is_ok_and(|v| v == "1") {
                eprintln!("SMTP delivery NOT tested: python3 with aiosmtpd is missing (SEALPOST_SKIP_SMTP=1).");
                return Ok(None);
            }
            bail!(
                "this test delivers to a real SMTP server and needs python3 with aiosmtpd: \
                 install it with `pip install aiosmtpd` (or `apt-get install python3-aiosmtpd`), \
                 or set SEALPOST_SKIP_SMTP=1 to skip it"
            );
        }
        let dir = tempfile::tempdir()?;
        let script = script();
        let mut failures = Vec::new();
        // A port can be taken between probing and binding: try a few.
        for _ in 0..5 {
            let port = match options.port {
                Some(port) => port,
                None => crate::free_port()?,
            };
            let log = dir.path().join(format!("sink-{port}.log"));
            let mut child = Command::new("python3")
                .arg(&script)
                .args([
                    "--port",
                    &port.to_string(),
                    "--delay-ms",
                    &options.delay.as_millis().to_string(),
                    "--dir",
                ])
                .arg(dir.path().join("received"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log)?)
                .spawn()
                .with_context(|| format!("while starting python3 {}", script.display()))?;
            // It prints "ready <port>" once listening, or dies.
            let ready = child
                .stdout
                .take()
                .and_then(|out| BufReader::new(out).lines().next())
                .and_then(Result::ok)
                .is_some_and(|line| line.starts_with("ready"));
            if ready && crate::listening(port, Duration::from_secs(15)) {
                return Ok(Some(Self { child, port, dir }));
            }
            let _ = child.kill();
            let _ = child.wait();
            failures.push(std::fs::read_to_string(&log).unwrap_or_default());
        }
        bail!("the SMTP sink did not start: {}", failures.join("\n"))
    }

    /// The stored files with `extension`, in arrival order.
    fn stored(&self, extension: &str) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(self.dir.path().join("received")) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == extension))
                .collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        paths
    }

    /// Everything accepted so far, in arrival order, with its envelope.
    pub fn received(&self) -> Result<Vec<Received>> {
        self.stored("env")
            .into_iter()
            .map(|env| {
                let text = std::fs::read_to_string(&env)?;
                let mut lines = text.lines();
                let mail_from = lines.next().unwrap_or_default().to_owned();
                let rcpt_tos = lines.map(str::to_owned).collect();
                let raw = std::fs::read(env.with_extension("eml"))?;
                let peer = std::fs::read_to_string(env.with_extension("peer")).unwrap_or_default();
                Ok(Received {
                    raw,
                    mail_from,
                    rcpt_tos,
                    peer,
                })
            })
            .collect()
    }

    /// The connections that ended with `QUIT` so far: the client's address and
    /// port of each.
    pub fn quits(&self) -> Vec<String> {
        self.stored("quit")
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }

    /// Every mail accepted so far, parsed, in arrival order.
    pub fn mails(&self) -> Result<Vec<Mail>> {
        self.stored("eml")
            .iter()
            .map(|p| Mail::parse(&std::fs::read(p)?))
            .collect()
    }

    /// The newest mail to `to` whose subject contains `subject`.
    pub fn mail_to(&self, to: &str, subject: &str) -> Result<Mail> {
        self.mails()?
            .into_iter()
            .rev()
            .find(|m| m.to.contains(to) && m.subject.contains(subject))
            .ok_or_else(|| anyhow!("the SMTP server received no mail to {to} about {subject:?}"))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A delivered mail, parsed: what a person reading it would see.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The `To` addresses, comma-separated.
    pub to: String,
    /// The decoded `Subject`.
    pub subject: String,
    /// The first text/plain part.
    pub text: String,
    /// The first text/html part.
    pub html: String,
    /// Every attachment: (file name, bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
    /// The bytes as delivered.
    pub raw: Vec<u8>,
}

impl Mail {
    /// Parses a delivered mail (from the sink, or an `.eml` file of the mail folder).
    pub fn parse(raw: &[u8]) -> Result<Self> {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .ok_or_else(|| anyhow!("unparsable mail"))?;
        let to = message
            .to()
            .map(|a| a.iter().filter_map(|m| m.address()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        let attachments = message
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or_default().to_owned(),
                    a.contents().to_vec(),
                )
            })
            .collect();
        Ok(Self {
            to,
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            attachments,
            raw: raw.to_vec(),
        })
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Result<String> {
        let start = self
            .text
            .find(prefix)
            .ok_or_else(|| anyhow!("no link {prefix} in {}", self.text))?;
        Ok(self.text[start..]
            .split(|c: char| c.is_whitespace() || c == '>' || c == '"')
            .next()
            .unwrap_or_default()
            .to_owned())
    }

    /// The Registered Envelope attachment: (file name, HTML).
    pub fn envelope(&self) -> Result<(String, String)> {
        self.attachments
            .iter()
            .find(|(name, _)| name.starts_with("securedoc_") && name.ends_with(".html"))
            .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
            .ok_or_else(|| anyhow!("no envelope attached"))
    }
}
