//! One SMTP session: the line reader, the dispatch, and the small verbs.
//!
//! Lines are read strictly: every command and DATA line must end in CRLF, and a
//! CR or LF anywhere else ends the session with a 5xx (SMTP smuggling: a bare
//! `\n.\n` must never be read as the end of DATA). Over-long lines are drained to
//! their end and refused. Every read waits at most the idle time, and never past
//! the session's deadline.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use sealpost_domain::account_tokens::AccountToken;
use sealpost_domain::services::messages::GatewaySender;
use sealpost_domain::types::EmailAddress;
use smtp_proto::{Error as ProtoError, Request};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::time::Instant;

use super::{Gateway, Stream, ended};

/// Commands the gateway answers with an error before it gives up on the client.
const MAX_ERRORS: u32 = 10;

/// One line as read.
pub(super) enum Line {
    /// A line ending in CRLF, CRLF included, with no other CR or LF.
    Good(Vec<u8>),
    /// Longer than allowed: drained to its CRLF, not kept.
    TooLong,
    /// A CR or LF outside the final CRLF.
    BareNewline,
}

/// What a verb tells the loop to do next.
pub(super) enum Next {
    Continue,
    /// QUIT, or an abuse after which the session ends.
    Close,
    /// Switch to TLS (STARTTLS accepted).
    StartTls,
}

/// The state of one connection.
pub struct Session<'g> {
    pub(super) gateway: &'g Gateway,
    pub(super) peer: SocketAddr,
    pub(super) tls: bool,
    pub(super) greeted: bool,
    /// The name the client gave in EHLO/HELO (for a relayed message's `Received:`).
    pub(super) helo: String,
    pub(super) token: Option<AccountToken>,
    /// `Some` between MAIL and the end of DATA (or RSET).
    pub(super) sender: Option<EmailAddress>,
    /// Who MAIL FROM found the sender to be for the token's account: the message
    /// is sealed on that finding (as Postfix judges a sender at MAIL FROM).
    pub(super) sender_found: Option<GatewaySender>,
    pub(super) recipients: Vec<EmailAddress>,
    pub(super) auth_failures: u32,
    errors: u32,
    deadline: Instant,
}

impl<'g> Session<'g> {
    /// A session for a client at `peer`; `tls`: the connection is already TLS.
    pub(super) fn new(gateway: &'g Gateway, peer: SocketAddr, tls: bool) -> Self {
        Self {
            gateway,
            peer,
            tls,
            greeted: false,
            helo: String::new(),
            token: None,
            sender: None,
            sender_found: None,
            recipients: Vec::new(),
            auth_failures: 0,
            errors: 0,
            deadline: Instant::now() + gateway.config.session_timeout,
        }
    }

    /// Runs the session to its end; every error ends it (logged at debug: a
    /// client that goes away is not news).
    pub(super) async fn run(mut self, stream: Box<dyn Stream>) {
        let mut reader = BufReader::new(stream);
        let greeting = format!("220 {} ESMTP Sealpost\r\n", self.gateway.config.hostname);
        if reader.get_mut().write_all(greeting.as_bytes()).await.is_err() {
            return;
        }
        loop {
            match self.serve(&mut reader).await {
                Ok(Next::StartTls) => {
                    let Some(acceptor) = self.gateway.tls.clone() else {
                        return;
                    };
                    // Whatever the client sent after STARTTLS is dropped with the
                    // buffer: nothing typed in clear text is read as if it came
                    // through TLS (the STARTTLS command injection class).
                    let plain = reader.into_inner();
                    let handshake = tokio::time::timeout(self.gateway.config.idle_timeout, acceptor.accept(plain));
                    match handshake.await {
                        Ok(Ok(tls)) => {
                            reader = BufReader::new(Box::new(tls));
                            self.tls = true;
                            self.greeted = false;
                            self.token = None;
                            self.reset();
                        }
                        _ => return,
                    }
                }
                Ok(Next::Close | Next::Continue) => return,
                Err(error) => {
                    if error.to_string() == "session time over" {
                        let _ = reply(&mut reader, "421 4.4.2 Session time is over, closing\r\n").await;
                    }
                    tracing::debug!(%error, peer = %self.peer, "gateway session ended");
                    return;
                }
            }
        }
    }

    /// Serves commands until the session ends or switches to TLS.
    async fn serve(&mut self, reader: &mut BufReader<Box<dyn Stream>>) -> io::Result<Next> {
        loop {
            // Waiting for a command is where a shutdown interrupts a session; a
            // DATA in progress is read and answered first (`data` reads its own lines).
            let line = tokio::select! {
                line = self.read_line(reader) => line?,
                () = self.gateway.stopping() => {
                    reply(reader, "421 4.3.2 Sealpost is shutting down, try again later\r\n").await?;
                    return Ok(Next::Close);
                }
            };
            let next = match line {
                Line::TooLong => self.error(reader, "500 5.5.6 Line too long\r\n").await?,
                Line::BareNewline => {
                    reply(reader, "500 5.5.2 Bare CR or LF is not allowed, closing\r\n").await?;
                    Next::Close
                }
                Line::Good(bytes) if bytes.contains(&0) => {
                    self.error(reader, "500 5.5.2 NUL bytes are not allowed in commands\r\n")
                        .await?
                }
                Line::Good(bytes) => self.command(reader, &bytes).await?,
            };
            match next {
                Next::Continue => {}
                other => return Ok(other),
            }
        }
    }

    async fn command(&mut self, reader: &mut BufReader<Box<dyn Stream>>, bytes: &[u8]) -> io::Result<Next> {
        let request = match Request::parse(&mut bytes.iter()) {
            Ok(request) => request,
            Err(error) => {
                let answer = match error {
                    ProtoError::UnknownCommand => "500 5.5.1 Unknown command\r\n".to_owned(),
                    ProtoError::InvalidSenderAddress => "501 5.1.7 Bad sender address syntax\r\n".to_owned(),
                    ProtoError::InvalidRecipientAddress => "501 5.1.3 Bad recipient address syntax\r\n".to_owned(),
                    ProtoError::SyntaxError { syntax } => format!("501 5.5.4 Syntax: {syntax}\r\n"),
                    ProtoError::InvalidParameter { param } => format!("501 5.5.4 Invalid parameter {param}\r\n"),
                    ProtoError::UnsupportedParameter { .. } => "555 5.5.4 Unsupported parameter\r\n".to_owned(),
                    _ => "500 5.5.2 Syntax error\r\n".to_owned(),
                };
                return self.error(reader, &answer).await;
            }
        };
        match request {
            Request::Ehlo { host } => self.ehlo(reader, &host, true).await,
            Request::Helo { host } => self.ehlo(reader, &host, false).await,
            Request::StartTls => self.starttls(reader).await,
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(reader, mechanism, &initial_response).await,
            Request::Mail { from } => self.mail_from(reader, from).await,
            Request::Rcpt { to } => self.rcpt(reader, to).await,
            Request::Data => self.data(reader).await,
            Request::Rset => {
                self.reset();
                reply(reader, "250 2.0.0 OK\r\n").await?;
                Ok(Next::Continue)
            }
            Request::Noop { .. } => {
                reply(reader, "250 2.0.0 OK\r\n").await?;
                Ok(Next::Continue)
            }
            Request::Quit => {
                reply(reader, "221 2.0.0 Bye\r\n").await?;
                Ok(Next::Close)
            }
            Request::Vrfy { .. } => {
                reply(reader, "252 2.5.0 Cannot verify the user, but will accept mail\r\n").await?;
                Ok(Next::Continue)
            }
            Request::Help { .. } => {
                reply(reader, "214 2.0.0 See docs/GATEWAY.md of Sealpost\r\n").await?;
                Ok(Next::Continue)
            }
            Request::Lhlo { .. }
            | Request::Bdat { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => self.error(reader, "502 5.5.1 Command not implemented\r\n").await,
        }
    }

    /// Answers a client error; past [`MAX_ERRORS`] the session ends.
    pub(super) async fn error(&mut self, reader: &mut BufReader<Box<dyn Stream>>, answer: &str) -> io::Result<Next> {
        self.errors += 1;
        if self.errors > MAX_ERRORS {
            reply(reader, "421 4.7.0 Too many errors, closing\r\n").await?;
            return Ok(Next::Close);
        }
        reply(reader, answer).await?;
        Ok(Next::Continue)
    }

    /// Forgets the transaction in progress (MAIL, RCPT), keeps the login.
    pub(super) fn reset(&mut self) {
        self.sender = None;
        self.sender_found = None;
        self.recipients.clear();
    }

    /// Whether AUTH may be used now: after TLS, or in clear text from loopback
    /// when the configuration allows it.
    pub(super) fn auth_allowed(&self) -> bool {
        self.tls || (self.gateway.config.loopback_plaintext_auth && self.peer.ip().is_loopback())
    }

    /// Reads one line of at most the configured length (see [`Line`]).
    pub(super) async fn read_line(&self, reader: &mut BufReader<Box<dyn Stream>>) -> io::Result<Line> {
        let limit = self.gateway.config.max_line_bytes;
        let mut line = Vec::with_capacity(128);
        let mut too_long = false;
        loop {
            let wait = self.gateway.config.idle_timeout.min(
                self.deadline
                    .checked_duration_since(Instant::now())
                    .unwrap_or(Duration::ZERO),
            );
            if wait.is_zero() {
                return Err(ended("session time over"));
            }
            let available = match tokio::time::timeout(wait, reader.fill_buf()).await {
                Ok(read) => read?,
                Err(_) if Instant::now() >= self.deadline => return Err(ended("session time over")),
                Err(_) => return Err(ended("idle too long")),
            };
            if available.is_empty() {
                return Err(ended("the client closed the connection"));
            }
            let (taken, done) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            if !too_long && line.len() + taken <= limit {
                line.extend_from_slice(&available[..taken]);
            } else {
                too_long = true;
                // Keep the last byte, to tell CRLF from a bare LF at the end.
                line.clear();
                line.push(available[taken - 1]);
            }
            reader.consume(taken);
            if done {
                break;
            }
        }
        if too_long {
            return Ok(Line::TooLong);
        }
        let good = line.ends_with(b"\r\n") && !line[..line.len() - 2].iter().any(|&b| b == b'\r' || b == b'\n');
        Ok(if good { Line::Good(line) } else { Line::BareNewline })
    }
}

/// Writes an answer (one or more complete lines) and flushes it.
pub(super) async fn reply(reader: &mut BufReader<Box<dyn Stream>>, answer: &str) -> io::Result<()> {
    let stream = reader.get_mut();
    stream.write_all(answer.as_bytes()).await?;
    stream.flush().await
}

/// A newcomer past the session cap: told to come back, then closed.
pub(super) async fn refuse_busy(mut socket: tokio::net::TcpStream) {
    let _ = socket
        .write_all(b"421 4.7.0 Too many sessions, try again later\r\n")
        .await;
    let _ = socket.shutdown().await;
}

/// An address as the client wrote it, for a reply (without control characters).
pub(super) fn shown(address: &str) -> String {
    address.chars().filter(|c| !c.is_control()).take(256).collect()
}
