//! AUTH PLAIN and LOGIN: the password is an account token of scope "SMTP
//! submission" (the user name is not used). Offered only after TLS, or in clear
//! text on loopback; failures are throttled like logins by the domain.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::services::auth::LoginError;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN};
use tokio::io::BufReader;

use super::Stream;
use super::session::{Line, Next, Session, reply};

/// Failed AUTH attempts in one session before it is closed.
const MAX_AUTH_FAILURES: u32 = 3;

impl Session<'_> {
    /// Runs the AUTH exchange and checks the token.
    pub(super) async fn auth(
        &mut self,
        reader: &mut BufReader<Box<dyn Stream>>,
        mechanism: u64,
        initial: &str,
    ) -> io::Result<Next> {
        if !self.greeted {
            return self.error(reader, "503 5.5.1 Say EHLO first\r\n").await;
        }
        if self.token.is_some() {
            return self.error(reader, "503 5.5.1 Already authenticated\r\n").await;
        }
        if self.sender.is_some() {
            return self
                .error(reader, "503 5.5.1 AUTH is not allowed during a mail transaction\r\n")
                .await;
        }
        if !self.auth_allowed() {
            return self
                .error(reader, "538 5.7.11 Encryption required: use STARTTLS first\r\n")
                .await;
        }
        let secret = match mechanism {
            AUTH_PLAIN => {
                let Some(response) = self.response(reader, initial, "334 \r\n").await? else {
                    return self
                        .error(reader, "501 5.5.2 Authentication cancelled or malformed\r\n")
                        .await;
                };
                // authzid \0 authcid \0 password
                match response.split(|&b| b == 0).nth(2) {
                    Some(password) => password.to_vec(),
                    None => return self.error(reader, "501 5.5.2 Malformed PLAIN response\r\n").await,
                }
            }
            AUTH_LOGIN => {
                if self.response(reader, initial, "334 VXNlcm5hbWU6\r\n").await?.is_none() {
                    return self
                        .error(reader, "501 5.5.2 Authentication cancelled or malformed\r\n")
                        .await;
                }
                match self.response(reader, "", "334 UGFzc3dvcmQ6\r\n").await? {
                    Some(password) => password,
                    None => {
                        return self
                            .error(reader, "501 5.5.2 Authentication cancelled or malformed\r\n")
                            .await;
                    }
                }
            }
            _ => return self.error(reader, "504 5.5.4 Use AUTH PLAIN or AUTH LOGIN\r\n").await,
        };
        let presented = String::from_utf8_lossy(&secret);
        match self
            .gateway
            .services
            .authenticate_gateway(presented.trim(), self.peer.ip())
            .await
        {
            Ok(token) => {
                tracing::info!(token = %token.prefix(), peer = %self.peer, "gateway client authenticated");
                self.token = Some(token);
                super::metrics::auth("ok");
                reply(reader, "235 2.7.0 Authentication successful\r\n").await?;
                Ok(Next::Continue)
            }
            Err(LoginError::InvalidCredentials | LoginError::Locked(_)) => {
                super::metrics::auth("refused");
                self.auth_failures += 1;
                if self.auth_failures >= MAX_AUTH_FAILURES {
                    reply(reader, "421 4.7.0 Too many failed authentications, closing\r\n").await?;
                    return Ok(Next::Close);
                }
                self.error(reader, "535 5.7.8 Authentication credentials invalid\r\n")
                    .await
            }
            Err(LoginError::Throttled(seconds)) => {
                super::metrics::auth("throttled");
                reply(
                    reader,
                    &format!("454 4.7.0 Too many failed authentications, try again in {seconds} s\r\n"),
                )
                .await?;
                Ok(Next::Close)
            }
            Err(LoginError::Domain(error)) => {
                tracing::warn!(?error, "the gateway could not check a token");
                super::metrics::auth("error");
                reply(reader, "454 4.7.0 Temporary authentication failure\r\n").await?;
                Ok(Next::Continue)
            }
        }
    }

    /// The decoded initial response, or the client's answer to `challenge`;
    /// `None` when cancelled (`*`) or not base64.
    async fn response(
        &mut self,
        reader: &mut BufReader<Box<dyn Stream>>,
        initial: &str,
        challenge: &str,
    ) -> io::Result<Option<Vec<u8>>> {
        let encoded = if initial.is_empty() {
            reply(reader, challenge).await?;
            match self.read_line(reader).await? {
                Line::Good(line) => String::from_utf8_lossy(&line).trim().to_owned(),
                Line::TooLong | Line::BareNewline => return Ok(None),
            }
        } else if initial == "=" {
            String::new()
        } else {
            initial.to_owned()
        };
        if encoded == "*" {
            return Ok(None);
        }
        Ok(STANDARD.decode(encoded.as_bytes()).ok())
    }
}
