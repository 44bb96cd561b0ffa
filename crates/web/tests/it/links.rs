//! The links the domain puts in mail (`sealpost_domain::links::Links`) and the
//! routes this crate defines are written in two places: every link is followed
//! here, the way its reader would, and must reach a route.

use anyhow::{Context as _, ensure};
use sealpost_domain::links::Links;
use sealpost_domain::messages::PublicId;

use crate::helpers::{Db, TestApp};

#[tokio::test]
async fn every_link_the_domain_makes_is_answered_by_a_route() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
        return Ok(());
    };
    let links = &app.services.messaging_config().links;
    let id = PublicId([0x5e; 16]);
    let client = app.client();
    let path = |url: String| -> anyhow::Result<String> {
        url.strip_prefix(&app.base)
            .map(str::to_owned)
            .with_context(|| format!("{url} is not under the public URL {}", app.base))
    };

    // Control: a path with no route answers 404, so the checks below can fail.
    let unrouted = client.get("/m-nowhere/5e5e").await?;
    ensure!(unrouted.status == 404, "an unrouted path answered {}", unrouted.status);

    let followed = [
        ("message", path(links.message(&id))?),
        ("message path", Links::message_path(&id)),
        // The envelope's "Register" button is a GET form with these fields.
        (
            "register",
            format!(
                "{}?email=bob%40client.example&lang=en&next={}",
                path(links.register())?,
                Links::message_path(&id)
            ),
        ),
        ("activation", path(links.activation("t0k3n", "/m/5e?r=a%40b.example"))?),
        ("mailbox proof", path(links.mailbox_proof("t0k3n", "/portal"))?),
        ("password reset", path(links.password_reset("t0k3n"))?),
        ("sender confirmation", path(links.sender_confirmation("t0k3n"))?),
        ("sent message", path(links.sent(&id))?),
        ("administration", path(links.admin())?),
        ("portal", sealpost_domain::links::PORTAL_PATH.to_owned()),
    ];
    for (name, target) in followed {
        let answer = client.get(&target).await?;
        ensure!(
            answer.status != 404,
            "the {name} link {target} answered 404: no route serves it"
        );
    }
    // The envelope's "Open Online" posts its form from the envelope file.
    let id_field = id.to_hex();
    let posted = client
        .post_raw(&path(links.envelope_open())?, &[("id", id_field.as_str())])
        .await?;
    ensure!(
        posted.status != 404 && posted.status != 405,
        "the envelope's Open Online post answered {}: no route serves it",
        posted.status
    );
    Ok(())
}
