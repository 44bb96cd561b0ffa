//! Integration tests of sealpost-mail against real components: an SMTP server
//! (aiosmtpd, started per test from the test kit's `smtp_sink.py`), a real directory for the
//! `.eml` transport, and the outbox worker driving both with a fake clock.
//!
//! Needs `python3` with `aiosmtpd` (`pip install aiosmtpd`); `SEALPOST_SKIP_SMTP=1`
//! skips the tests that need it.

mod dkim;
mod faults;
mod maildir;
mod smtp;
mod support;
mod worker;
