//! The `sealpost` binary as an operator uses it: commands, their output, their exit
//! statuses ([`console`]), and `serve`: its first start, what it keeps off disk and
//! out of its log, and what it tells Prometheus and a log collector ([`serve`]).

use std::process::Output;

use sealpost_testkit::Sealpost;

mod console;
mod serve;

/// Runs `sealpost <args>` on `data` and returns whatever came of it.
fn sealpost(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data).command(args, stdin)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
