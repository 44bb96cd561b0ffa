//! Envelope profiles: kept per account with every field, one default per account
//! (switched in one go), names unique per account, changed, deleted and made the
//! default only by their own account, and a message keeps its profile and level;
//! remembered devices last their days and end with a password change.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{DeliveryMode, MessageOptions};
use sealpost_domain::ports::{MessageStore, ProfileStore};
use sealpost_domain::profiles::{EnvelopeProfile, ProfileId, SecurityLevel};
use sealpost_domain::types::{AccountId, EmailAddress, Locale};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::messages::{new_message, sender};
use crate::support::{T0, event, on_both_backends, recent_actions};

on_both_backends!(
    profiles_are_kept_per_account_with_one_default_and_changed_only_by_their_own_account,
    a_message_keeps_the_profile_and_security_level_it_was_sent_with,
    remembered_devices_last_their_days_and_end_with_a_password_change,
    housekeeping_deletes_expired_remembered_devices_and_keeps_live_ones,
    a_forgotten_device_is_gone_and_audited,
);

fn profile(account: AccountId, name: &str, is_default: bool) -> EnvelopeProfile {
    EnvelopeProfile {
        name: name.to_owned(),
        is_default,
        security: SecurityLevel::High,
        remember_days: 14,
        delivery_mode: Some(DeliveryMode::Envelope),
        options: MessageOptions {
            allow_reply: true,
            allow_reply_all: false,
            allow_forward: true,
            read_receipt: true,
        },
        expiry_days: Some(30),
        file_name: "acme_${date}T${time}.html".to_owned(),
        subject: Some("Vertraulich — Acme".to_owned()),
        help_url: Some("https://help.acme.example/".to_owned()),
        contact: Some(EmailAddress::parse("help@acme.example").expect("address")),
        updated_at: Some(T0),
        ..EnvelopeProfile::built_in(account, None, Locale::Fr)
    }
}

async fn profiles_are_kept_per_account_with_one_default_and_changed_only_by_their_own_account(store: SqlStore) {
    let ours = account(&store, 4_711_050, None).await.id;
    let theirs = account(&store, 4_711_051, None).await.id;
    assert!(store.envelope_profiles(ours).await.expect("listed").is_empty());

    let default = store
        .insert_envelope_profile(&profile(ours, "Standard", true), event("profile.changed", "Standard"))
        .await
        .expect("stored");
    let default_id = default.id.expect("an id");
    let read = store.envelope_profile(ours, default_id).await.expect("read back");
    assert_eq!(read, default, "every field comes back as stored");
    assert_eq!(read.recipient_locale, Locale::Fr);

    let partners = store
        .insert_envelope_profile(&profile(ours, "Partners", false), event("profile.created", "Partners"))
        .await
        .expect("named");
    let partners_id = partners.id.expect("an id");
    let taken = store
        .insert_envelope_profile(&profile(ours, "Partners", false), event("profile.created", "again"))
        .await;
    assert!(
        matches!(taken, Err(DomainError::Conflict { field: "name" })),
        "{taken:?}"
    );
    store
        .insert_envelope_profile(&profile(theirs, "Partners", true), event("profile.created", "theirs"))
        .await
        .expect("the same name in another account");

    // Another account's id: not found, nothing changed.
    assert!(matches!(
        store.envelope_profile(theirs, partners_id).await,
        Err(DomainError::NotFound)
    ));
    let mut forged = partners.clone();
    forged.account_id = theirs;
    forged.name = "Hijacked".to_owned();
    assert!(matches!(
        store
            .update_envelope_profile(&forged, event("profile.changed", "x"))
            .await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        store
            .delete_envelope_profile(theirs, partners_id, event("profile.deleted", "x"))
            .await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        store
            .make_default_envelope_profile(theirs, partners_id, event("profile.default_set", "x"))
            .await,
        Err(DomainError::NotFound)
    ));
    // The default is never deleted.
    assert!(matches!(
        store
            .delete_envelope_profile(ours, default_id, event("profile.deleted", "x"))
            .await,
        Err(DomainError::NotFound)
    ));

    let mut changed = partners.clone();
    changed.security = SecurityLevel::NoPasswordRequired;
    changed.delivery_mode = None;
    changed.subject = None;
    changed.expiry_days = None;
    changed.subject_tag = Some("[Partners]".to_owned());
    store
        .update_envelope_profile(&changed, event("profile.changed", "Partners"))
        .await
        .expect("changed");
    assert_eq!(store.envelope_profile(ours, partners_id).await.expect("read"), changed);
    // The subject tag is the account's once, in any case; another account may use it.
    let mut same_tag = profile(ours, "Others", false);
    same_tag.subject_tag = Some("[PARTNERS]".to_owned());
    let taken = store
        .insert_envelope_profile(&same_tag, event("profile.created", "Others"))
        .await;
    assert!(
        matches!(taken, Err(DomainError::Conflict { field: "subject_tag" })),
        "{taken:?}"
    );
    same_tag.account_id = theirs;
    store
        .insert_envelope_profile(&same_tag, event("profile.created", "Others"))
        .await
        .expect("another account's tag");

    store
        .make_default_envelope_profile(ours, partners_id, event("profile.default_set", "Partners"))
        .await
        .expect("made default");
    let listed = store.envelope_profiles(ours).await.expect("listed");
    let defaults: Vec<_> = listed.iter().filter(|p| p.is_default).map(|p| p.id).collect();
    assert_eq!(defaults, [Some(partners_id)], "one default, listed first: {listed:?}");
    assert_eq!(listed[0].id, Some(partners_id));
    store
        .delete_envelope_profile(ours, default_id, event("profile.deleted", "Standard"))
        .await
        .expect("the former default is a named profile now");
    assert_eq!(store.envelope_profiles(ours).await.expect("listed").len(), 1);
    let theirs_listed = store.envelope_profiles(theirs).await.expect("listed");
    assert!(theirs_listed.len() == 2 && theirs_listed[0].name == "Partners" && theirs_listed[0].is_default);
    assert_eq!(
        recent_actions(&store, 5).await,
        [
            "profile.deleted",
            "profile.default_set",
            "profile.created",
            "profile.changed",
            "profile.created"
        ]
    );
    assert!(matches!(
        store.envelope_profile(ours, ProfileId(i64::MAX)).await,
        Err(DomainError::NotFound)
    ));
}

async fn a_message_keeps_the_profile_and_security_level_it_was_sent_with(store: SqlStore) {
    let (sender, acme) = sender(&store, "sender@acme.example", 4_711_052).await;
    let acme = acme.id;
    let stored = store
        .insert_envelope_profile(&profile(acme, "Partners", false), event("profile.created", "Partners"))
        .await
        .expect("stored");
    let mut message = new_message(acme, sender.id, 1, &["bob@example.com"], &[]);
    message.profile_id = stored.id;
    message.security = SecurityLevel::NoPasswordRequired;
    let kept = store
        .insert_message(message, Vec::new(), event("message.sent", "1"))
        .await
        .expect("sent");
    assert_eq!(
        (kept.profile_id, kept.security),
        (stored.id, SecurityLevel::NoPasswordRequired)
    );
    let plain = store
        .insert_message(
            new_message(acme, sender.id, 2, &["bob@example.com"], &[]),
            Vec::new(),
            event("message.sent", "2"),
        )
        .await
        .expect("sent");
    assert_eq!((plain.profile_id, plain.security), (None, SecurityLevel::Medium));
}

async fn remembered_devices_last_their_days_and_end_with_a_password_change(store: SqlStore) {
    use sealpost_domain::ports::{DeviceStore, UserStore};
    let (bob, _) = sender(&store, "bob@acme.example", 4_711_053).await;
    let until = T0.plus_seconds(7 * 24 * 60 * 60);
    store
        .insert_device("sha256:device", bob.id, T0, until, event("device.remembered", "7"))
        .await
        .expect("remembered");
    let (user, at) = store
        .device_user("sha256:device", T0.plus_seconds(60))
        .await
        .expect("read")
        .expect("still remembered");
    assert_eq!((user.id, at), (bob.id, T0));
    assert!(store.device_user("sha256:other", T0).await.expect("read").is_none());
    assert!(
        store.device_user("sha256:device", until).await.expect("read").is_none(),
        "not past its days"
    );
    store
        .set_password(bob.id, "new-hash", false, None, event("user.password_changed", "bob"))
        .await
        .expect("password changed");
    assert!(
        store.device_user("sha256:device", T0).await.expect("read").is_none(),
        "a password change ends every remembered device"
    );
}

async fn housekeeping_deletes_expired_remembered_devices_and_keeps_live_ones(store: SqlStore) {
    use sealpost_domain::ports::{DeviceStore, SessionStore};
    let (bob, _) = sender(&store, "bob@acme.example", 4_711_054).await;
    let day = 24 * 60 * 60;
    store
        .insert_device(
            "sha256:old",
            bob.id,
            T0,
            T0.plus_seconds(day),
            event("device.remembered", "1"),
        )
        .await
        .expect("remembered");
    store
        .insert_device(
            "sha256:live",
            bob.id,
            T0,
            T0.plus_seconds(7 * day),
            event("device.remembered", "7"),
        )
        .await
        .expect("remembered");
    let now = T0.plus_seconds(2 * day);
    let purged = store
        .purge_stale(now, now.plus_seconds(-7 * day), now.plus_seconds(-day))
        .await
        .expect("purged");
    assert!(purged >= 1, "the expired device counted");
    let rows: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM remembered_devices ORDER BY id_hash")
        .fetch_all(store.pool())
        .await
        .expect("read");
    assert_eq!(
        rows,
        vec!["sha256:live".to_owned()],
        "the expired row gone, the live one kept"
    );
    assert!(store.device_user("sha256:live", now).await.expect("read").is_some());
}

async fn a_forgotten_device_is_gone_and_audited(store: SqlStore) {
    use sealpost_domain::ports::DeviceStore;
    let (bob, _) = sender(&store, "bob@acme.example", 4_711_055).await;
    let until = T0.plus_seconds(7 * 24 * 60 * 60);
    store
        .insert_device("sha256:device", bob.id, T0, until, event("device.remembered", "7"))
        .await
        .expect("remembered");
    assert!(
        store
            .forget_device("sha256:device", event("device.forgotten", ""))
            .await
            .expect("forgotten")
    );
    assert!(store.device_user("sha256:device", T0).await.expect("read").is_none());
    assert!(
        !store
            .forget_device("sha256:device", event("device.forgotten", ""))
            .await
            .expect("nothing left"),
        "a second logout finds nothing"
    );
    let actions = recent_actions(&store, 5).await;
    assert_eq!(
        actions.iter().filter(|a| a.as_str() == "device.forgotten").count(),
        1,
        "audited once: {actions:?}"
    );
}
