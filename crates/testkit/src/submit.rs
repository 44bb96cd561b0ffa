//! A small blocking SMTP client, as an organisation's mail server submits: EHLO,
//! AUTH PLAIN with an account token (for the Sealpost gateway; none for a
//! Postfix that relays for loopback), then one transaction after another on the
//! same connection. For the gateway's crash test and benchmark, which need many
//! sessions at once (one thread each) and to know exactly which message got its
//! 250.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;

/// One SMTP session.
pub struct SmtpClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl SmtpClient {
    /// Connects to 127.0.0.1:`port`, reads the 220 greeting and says EHLO.
    pub fn connect(port: u16) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        let mut client = Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        let greeting = client.reply()?;
        if !greeting.starts_with("220") {
            bail!("greeting: {greeting}");
        }
        let ehlo = client.command("EHLO client.example.com")?;
        if !ehlo.starts_with("250") {
            bail!("EHLO answered {ehlo}");
        }
        Ok(client)
    }

    /// AUTH PLAIN with `token` as the password; fails unless it is accepted (235).
    pub fn login(&mut self, token: &str) -> Result<()> {
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0relay\0{token}"));
        let answer = self.command(&format!("AUTH PLAIN {plain}"))?;
        if !answer.starts_with("235") {
            bail!("AUTH answered {answer}");
        }
        Ok(())
    }

    /// One whole reply, its lines joined; an error when the server closed the
    /// connection or did not answer within a minute.
    pub fn reply(&mut self) -> Result<String> {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).context("reading a reply")? == 0 {
                bail!("the server closed the connection");
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(reply);
            }
        }
    }

    /// Sends one command line and returns the reply.
    pub fn command(&mut self, line: &str) -> Result<String> {
        self.writer.write_all(format!("{line}\r\n").as_bytes())?;
        self.reply()
    }

    /// One transaction: MAIL, RCPT for each of `to`, DATA, `message` (CRLF line
    /// ends, no line starting with a dot) and the final dot. Returns the reply to
    /// the first command refused, or to the final dot; an error when the
    /// connection broke on the way (the message's fate is then unknown to the
    /// client).
    pub fn send(&mut self, from: &str, to: &[&str], message: &[u8]) -> Result<String> {
        let answer = self.command(&format!("MAIL FROM:<{from}>"))?;
        if !answer.starts_with("250") {
            return Ok(answer);
        }
        for rcpt in to {
            let answer = self.command(&format!("RCPT TO:<{rcpt}>"))?;
            if !answer.starts_with("250") {
                return Ok(answer);
            }
        }
        let answer = self.command("DATA")?;
        if !answer.starts_with("354") {
            return Ok(answer);
        }
        self.writer.write_all(message)?;
        if !message.ends_with(b"\r\n") {
            self.writer.write_all(b"\r\n")?;
        }
        self.command(".")
    }

    /// QUIT, without caring for the answer.
    pub fn quit(mut self) {
        let _ = self.command("QUIT");
    }
}

/// A message of about `size` bytes from `from` to `to`, tagged `[secure]`: a text
/// part and an attachment of base64 lines making up the rest.
pub fn message_of_size(from: &str, to: &str, subject: &str, size: usize) -> Vec<u8> {
    let head = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: [secure] {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         {subject}: the figures are attached.\r\n--b\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n\
         Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    let tail = "--b--\r\n";
    let room = size.saturating_sub(head.len() + tail.len());
    // 76 base64 characters and CRLF a line: 57 bytes of attachment each.
    let lines = room / 78;
    let raw: Vec<u8> = (0..lines * 57).map(|i| (i * 7 % 251) as u8).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    let mut message = head.into_bytes();
    for line in encoded.as_bytes().chunks(76) {
        message.extend_from_slice(line);
        message.extend_from_slice(b"\r\n");
    }
    message.extend_from_slice(tail.as_bytes());
    message
}
