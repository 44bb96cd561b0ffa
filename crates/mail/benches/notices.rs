//! What rendering a security notice costs, printed as a table (not a test).
//!
//! `cargo bench -p sealpost-mail --bench notices`
//!
//! A recovery code typed at the second step renders its notice before the store
//! knows whether the code is right, so that a right one is used, audited and told
//! of in one write: this prints that cost beside the hash every attempt computes
//! anyway. Each figure is the best of 5 rounds of 500 calls.

use std::error::Error;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sealpost_domain::messages::SecurityNotice;
use sealpost_domain::ports::{FakeClock, Notifier as _};
use sealpost_domain::two_step::recovery_code_hash;
use sealpost_domain::types::{EmailAddress, Locale, TimeZoneName, Timestamp};
use sealpost_mail::MailNotifier;

const ROUNDS: usize = 5;
const PER_ROUND: u32 = 500;
const AT: Timestamp = Timestamp(1_796_334_570_000);

/// The best of [`ROUNDS`] rounds of [`PER_ROUND`] calls of `work`, per call.
fn best_per_call(mut work: impl FnMut() -> Result<(), Box<dyn Error>>) -> Result<Duration, Box<dyn Error>> {
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            work()?;
        }
        best = best.min(started.elapsed() / PER_ROUND);
    }
    Ok(best)
}

fn main() -> Result<(), Box<dyn Error>> {
    let notifier = MailNotifier::new("Sealpost", "sealpost@mail.example.com", Arc::new(FakeClock::new(AT)))?;
    let to = EmailAddress::parse("max@corp.example")?;
    let zone = TimeZoneName::parse("Europe/Berlin")?;
    let link = "https://sealpost.example.com/me/security";
    println!("{:<44} {:>12}", "work (best of 5 rounds of 500 calls)", "µs a call");
    let notices = [
        ("recovery code used, en", SecurityNotice::RecoveryCodeUsed, Locale::En),
        ("recovery code used, de", SecurityNotice::RecoveryCodeUsed, Locale::De),
        ("password changed, fr", SecurityNotice::PasswordChanged, Locale::Fr),
        ("passkey added, en", SecurityNotice::PasskeyAdded("Laptop"), Locale::En),
    ];
    for (name, notice, locale) in notices {
        let per_mail = best_per_call(|| {
            let mail = notifier.security_notice(notice, &to, locale, Some(&zone), AT, link)?;
            black_box(mail.raw.len());
            Ok(())
        })?;
        println!("{:<44} {:>12.1}", format!("render notice: {name}"), micros(per_mail));
    }
    let per_hash = best_per_call(|| {
        black_box(recovery_code_hash(black_box("abcd-efgh-ijkl")));
        Ok(())
    })?;
    println!(
        "{:<44} {:>12.1}",
        "recovery code hash (every attempt)",
        micros(per_hash)
    );
    Ok(())
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
