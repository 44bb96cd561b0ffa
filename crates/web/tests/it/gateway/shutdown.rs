//! Stopping the gateway: no new connections, `421 4.3.2` to a session waiting
//! for its next command, and a DATA in progress read, committed and answered
//! `250` before its session is closed.

use std::time::Duration;

use anyhow::{bail, ensure};
use sealpost_mail::gateway::{Gateway, GatewayConfig};

use super::{RawClient, acme_with_token, bob_reads, queued_id, simple_message, stored_messages};
use crate::helpers::TestApp;

async fn shutdown_answers_idle_sessions_421_and_lets_a_data_in_progress_finish(app: TestApp) -> anyhow::Result<()> {
    let token = acme_with_token(&app, "").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let gateway = Gateway::new(app.services.clone(), GatewayConfig::default(), None);
    let serving = tokio::spawn(std::sync::Arc::clone(&gateway).serve(listener, false));

    let mut idle = RawClient::logged_in(port, &token).await?;
    let mut busy = RawClient::logged_in(port, &token).await?;
    busy.expect("MAIL FROM:<alice@example.com>", "250").await?;
    busy.expect("RCPT TO:<bob@example.com>", "250").await?;
    busy.expect("DATA", "354").await?;
    let message = simple_message("[secure] Sent while stopping", "The first half,\r\nand the second.");
    let (first, second) = message.split_at(message.len() / 2);
    busy.send(first.as_bytes()).await?;

    let stopping = {
        let gateway = std::sync::Arc::clone(&gateway);
        tokio::spawn(async move { gateway.shutdown(Duration::from_secs(30)).await })
    };
    let told = idle.reply().await?;
    ensure!(told.starts_with("421 4.3.2"), "the idle session is told: {told:?}");
    ensure!(idle.reply().await?.is_empty(), "and closed");
    // The listener is gone: a newcomer cannot connect (it may take the accept
    // loop a moment to see the shutdown).
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ensure!(refused, "no new connection is accepted");
    ensure!(serving.is_finished(), "the accept loop ended");
    ensure!(!stopping.is_finished(), "the shutdown waits for the DATA in progress");

    busy.send(second.as_bytes()).await?;
    let answer = busy.command(".").await?;
    let id = queued_id(&answer)?;
    let after = busy.reply().await?;
    ensure!(after.starts_with("421 4.3.2"), "then the session is closed: {after:?}");
    match stopping.await? {
        true => {}
        false => bail!("every session ended within the grace period"),
    }
    ensure!(stored_messages(&app).await? == 1);
    let page = bob_reads(&app, &id).await?;
    page.assert_shows("Sent while stopping");
    page.assert_shows("and the second.");
    Ok(())
}
on_both_databases!(
    graceful_shutdown,
    shutdown_answers_idle_sessions_421_and_lets_a_data_in_progress_finish
);
