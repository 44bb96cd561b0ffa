//! The work one node at a time does: a lease taken, renewed by its holder, refused
//! to another node while it runs, and taken over once it has run out.

use sealpost_domain::ports::HealthStore;
use sealpost_storage::SqlStore;

use crate::support::{T0, on_both_backends};

on_both_backends!(a_lease_is_held_by_one_node_until_it_runs_out);

async fn a_lease_is_held_by_one_node_until_it_runs_out(store: SqlStore) {
    let take = |holder: &'static str, until: i64, now: i64| {
        let store = store.clone();
        async move {
            store
                .take_lease("housekeeping", holder, T0.plus_seconds(until), T0.plus_seconds(now))
                .await
                .expect("asked")
        }
    };
    assert!(take("node-a", 100, 0).await, "a free lease is taken");
    assert!(!take("node-b", 150, 50).await, "another node waits while it runs");
    assert!(take("node-a", 200, 90).await, "its holder renews it");
    assert!(!take("node-b", 250, 150).await, "the renewal counts");
    assert!(take("node-b", 400, 201).await, "once run out, another node takes over");
    assert!(!take("node-a", 450, 300).await, "and the first one no longer holds it");
    assert!(
        store
            .take_lease("other-work", "node-a", T0.plus_seconds(500), T0.plus_seconds(300))
            .await
            .expect("asked"),
        "leases of other work are separate"
    );
}
