//! The real `sealpost` binary on a data folder, as an operator runs it: the
//! administration commands, and `serve` on a free port of 127.0.0.1, answered for
//! once `/healthz` says so, killed when dropped.
//!
//! Every run sets `SEALPOST_DATA_DIR` and, unless told otherwise, `SEALPOST_LOG=warn`;
//! `serve` writes its standard output and log into one file, read back by
//! [`Server::log_text`] for the test's failure messages and for what it printed
//! (the first operator's temporary password).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};

/// How long `serve` may take to answer `/healthz` after it was started.
pub const START_LIMIT: Duration = Duration::from_secs(30);

/// Whether `sealpost user add` vouches for the user's mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailbox {
    /// As an administrator creates users: the mailbox is not proven, so messages
    /// to it do not open until its owner proves it.
    Unproven,
    /// `--mailbox-verified`: the operator vouches, so the user reads messages sent
    /// to the address at once (test addresses receive no mail to prove it with).
    Vouched,
}

/// The binary and the data folder it works on.
#[derive(Debug, Clone)]
pub struct Sealpost {
    binary: PathBuf,
    data: PathBuf,
}

impl Sealpost {
    /// `binary` is `env!("CARGO_BIN_EXE_sealpost")` of the caller; `data` need not
    /// exist yet (the first command creates it, private to its user).
    pub fn new(binary: impl Into<PathBuf>, data: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
            data: data.into(),
        }
    }

    /// The data folder.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Runs `sealpost <args>` with `stdin` written to it, and returns whatever came
    /// of it, refusals included.
    pub fn command(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        let mut child = Command::new(&self.binary)
            .args(args)
            .env("SEALPOST_DATA_DIR", &self.data)
            .env("SEALPOST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("while starting {}", self.binary.display()))?;
        if let Some(input) = stdin {
            child.stdin.take().context("stdin")?.write_all(input.as_bytes())?;
        }
        drop(child.stdin.take());
        Ok(child.wait_with_output()?)
    }

    /// Runs `sealpost <args>`, which must succeed; returns what it printed.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let output = self.command(args, stdin)?;
        ensure!(
            output.status.success(),
            "sealpost {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `sealpost user add` with the password on standard input.
    pub fn add_user(&self, email: &str, (first, last): (&str, &str), password: &str, mailbox: Mailbox) -> Result<()> {
        let mut args = vec![
            "user",
            "add",
            "--email",
            email,
            "--first-name",
            first,
            "--last-name",
            last,
            "--password-stdin",
        ];
        if mailbox == Mailbox::Vouched {
            args.push("--mailbox-verified");
        }
        self.run(&args, Some(&format!("{password}\n")))?;
        Ok(())
    }

    /// `sealpost account create` with `admin` (an existing user) as its first
    /// administrator; returns the account's number.
    pub fn create_account(&self, name: &str, admin: &str) -> Result<String> {
        let printed = self.run(&["account", "create", "--name", name, "--admin", admin], None)?;
        Ok(printed.trim().to_owned())
    }

    /// `sealpost token create` for the account `number` with scope `smtp_submission`;
    /// returns the secret it printed (shown once).
    pub fn smtp_token(&self, number: &str, name: &str) -> Result<String> {
        let printed = self.run(
            &[
                "token",
                "create",
                "--account",
                number,
                "--name",
                name,
                "--scope",
                "smtp_submission",
            ],
            None,
        )?;
        Ok(printed
            .split_whitespace()
            .find(|w| w.starts_with("sptk_") && w.len() > 20)
            .context("sealpost token create printed no token")?
            .to_owned())
    }

    /// `sealpost serve`, set up by the returned builder before it starts.
    pub fn serve(&self) -> Serve {
        Serve {
            sealpost: self.clone(),
            args: Vec::new(),
            env: Vec::new(),
            log_level: "warn".to_owned(),
            log_file: None,
            wrapper: Vec::new(),
        }
    }
}

/// A `serve` about to start.
#[must_use = "nothing runs until `start`"]
pub struct Serve {
    sealpost: Sealpost,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log_level: String,
    log_file: Option<PathBuf>,
    wrapper: Vec<String>,
}

impl Serve {
    /// One more argument after `serve --listen 127.0.0.1:<port>`.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// One more environment setting (`SEALPOST_*`).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Several environment settings.
    pub fn envs(self, settings: &[(&str, &str)]) -> Self {
        settings
            .iter()
            .fold(self, |serve, (name, value)| serve.env(name, value))
    }

    /// Mail goes to the SMTP server on 127.0.0.1:`port`, in plain text, from a
    /// fixed sending address.
    pub fn relay(self, port: u16) -> Self {
        self.env("SEALPOST_SMTP_HOST", "127.0.0.1")
            .env("SEALPOST_SMTP_PORT", &port.to_string())
            .env("SEALPOST_SMTP_TLS", "none")
    }

    /// `SEALPOST_LOG` (`warn` unless set).
    pub fn log_level(mut self, level: &str) -> Self {
        level.clone_into(&mut self.log_level);
        self
    }

    /// Where standard output and the log go; `serve-<port>.log` in the data folder
    /// unless set (set it outside the data folder where a test inspects that folder).
    pub fn log_file(mut self, path: &Path) -> Self {
        self.log_file = Some(path.to_owned());
        self
    }

    /// Runs the server under another program that `exec`s it (as `prlimit
    /// --nofile=1024:1024 --` does), so that the child's pid stays the server's.
    pub fn under(mut self, wrapper: &[&str]) -> Self {
        self.wrapper = wrapper.iter().map(|&part| part.to_owned()).collect();
        self
    }

    /// Starts the server on a free port and returns once `/healthz` answers 200;
    /// fails, with the log, if it exits first or takes longer than [`START_LIMIT`].
    pub async fn start(self) -> Result<Server> {
        let port = crate::free_port()?;
        let log = self
            .log_file
            .clone()
            .unwrap_or_else(|| self.sealpost.data.join(format!("serve-{port}.log")));
        let mut command = match self.wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(&self.sealpost.binary);
                command
            }
            None => Command::new(&self.sealpost.binary),
        };
        let output = std::fs::File::create(&log).with_context(|| format!("while creating {}", log.display()))?;
        let child = command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(&self.args)
            .env("SEALPOST_DATA_DIR", &self.sealpost.data)
            .env("SEALPOST_LOG", &self.log_level)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .with_context(|| format!("while starting {}", self.sealpost.binary.display()))?;
        let mut server = Server {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let probe = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if probe
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("serve exited with {status} before answering:\n{}", server.log_text());
            }
            if started.elapsed() > START_LIMIT {
                bail!("serve did not answer within {START_LIMIT:?}:\n{}", server.log_text());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running `sealpost serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:<port>`, to put paths after.
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// The process id (the server's own, also when started [`Serve::under`] a
    /// wrapper that execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed and logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as systemd and `docker stop` send it; returns how long the server
    /// took to exit. Fails if it still runs after `bound` or exits unsuccessfully.
    pub fn terminate(&mut self, bound: Duration) -> Result<Duration> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status()?;
        ensure!(status.success(), "kill -TERM {pid} failed");
        let sent = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                ensure!(status.success(), "serve exited with {status}:\n{}", self.log_text());
                return Ok(sent.elapsed());
            }
            ensure!(
                sent.elapsed() < bound,
                "serve still runs {bound:?} after SIGTERM:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the server to exit and returns how it did.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        Ok(self.child.wait()?)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
