//! Secure messages: storing a message with its recipients and notifications all or
//! nothing, reading it back, and the keyset lists. The helpers here (a sender, a
//! message, its notifications) serve the other message modules too: `keys`,
//! `uploads`, `opening`, `outbox`.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{
    DeliveryMode, MailKind, MessageId, MessageOptions, NewMessage, NewOutboxItem, PublicId, RecipientKind, RenderedMail,
};
use sealpost_domain::model::{Account, User};
use sealpost_domain::ports::{AccountMemberStore, AuditStore, MessageStore, OutboxStore};
use sealpost_domain::types::{AccountId, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, email, event, on_both_backends, recent_actions, user};

on_both_backends!(
    stored_message_reads_back_with_every_field_and_its_senders_address,
    message_with_recipients_and_notifications_commits_together,
    duplicate_public_id_is_a_conflict_and_leaves_no_recipients_or_outbox_rows,
    address_listed_twice_is_a_conflict_and_stores_nothing,
    message_from_an_unknown_sender_is_not_found,
    recipients_come_to_before_cc_in_the_order_given,
    a_message_to_read_comes_with_its_recipients_in_order_and_its_sender,
    a_message_to_open_says_whether_its_account_locked_the_viewer_out,
    a_message_to_open_lists_its_recipients_as_a_message_to_read_does,
    a_content_part_kept_in_the_row_reads_back_byte_for_byte_only_where_it_is_opened,
    sent_messages_are_listed_newest_first_in_keyset_pages,
    received_messages_are_those_addressed_to_the_reader_newest_first,
    account_messages_show_every_sender_of_that_account_only,
);

/// A sender who is a member of a new account.
pub async fn sender(store: &SqlStore, address: &str, number: i64) -> (User, Account) {
    let sender = user(store, address).await;
    let account = account(store, number, Some(sender.id)).await;
    (sender, account)
}

/// A public id made of one repeated byte, so tests can tell messages apart.
pub fn public_id(byte: u8) -> PublicId {
    PublicId([byte; 16])
}

/// A message to `to` (To) and `cc` (Cc), created at `T0 + n` seconds.
pub fn new_message(account: AccountId, sender: UserId, id: u8, to: &[&str], cc: &[&str]) -> NewMessage {
    let recipients = to
        .iter()
        .map(|a| (email(a), RecipientKind::To))
        .chain(cc.iter().map(|a| (email(a), RecipientKind::Cc)))
        .collect();
    NewMessage {
        public_id: public_id(id),
        account_id: account,
        sender_id: sender,
        created_at: T0.plus_seconds(i64::from(id)),
        expires_at: None,
        options: MessageOptions {
            allow_reply: true,
            allow_reply_all: false,
            allow_forward: true,
            read_receipt: true,
        },
        mode: DeliveryMode::Stored,
        // Bytes that text columns would mangle: NUL, high bytes.
        wrapped_dek: vec![0x00, 0xff, 0x10, id, 0x00, 0x80],
        key_version: 1,
        sealed_subject: vec![0xde, 0xad, 0x00, 0xbe, 0xef, id],
        part_count: 2,
        payload_len: 4096,
        in_reply_to: None,
        also_audited: None,
        recipients,
        profile_id: None,
        security: sealpost_domain::profiles::SecurityLevel::Medium,
        secrets: Vec::new(),
        sealed_parts: None,
    }
}

/// An email of `kind` to `to`, rendered with a recognisable Message-ID.
pub fn mail(kind: MailKind, to: &str, message: Option<MessageId>) -> NewOutboxItem {
    NewOutboxItem {
        kind,
        to: email(to),
        mail: RenderedMail {
            message_id: format!("{}.{to}@sealpost.test", kind.as_str()),
            raw: format!("To: {to}\r\nSubject: {}\r\n\r\nbody\r\n", kind.as_str()).into_bytes(),
        },
        message,
        bounce_to: None,
        created_at: T0,
    }
}

/// The notification of `to` about a message being stored.
pub fn notification(to: &str) -> NewOutboxItem {
    mail(MailKind::Notification, to, None)
}

/// Stores a message with one notification per recipient.
pub async fn send(store: &SqlStore, message: NewMessage) -> sealpost_domain::messages::Message {
    let notifications = message
        .recipients
        .iter()
        .map(|(to, _)| notification(to.as_str()))
        .collect();
    store
        .insert_message(message, notifications, event("message.sent", "x"))
        .await
        .expect("the message is stored")
}

/// The public ids of a list, for comparing pages.
pub fn ids(messages: &[sealpost_domain::messages::Message]) -> Vec<u8> {
    messages.iter().map(|m| m.public_id.0[0]).collect()
}

/// Rows in `table`, counted directly (the port has no such question).
pub async fn count_rows(store: &SqlStore, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("counted")
}

async fn stored_message_reads_back_with_every_field_and_its_senders_address(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let original = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let mut reply = new_message(acme.id, alice.id, 2, &["bob@example.org"], &[]);
    reply.expires_at = Some(T0.plus_seconds(3600));
    reply.mode = DeliveryMode::Envelope;
    reply.options = MessageOptions {
        allow_reply: false,
        allow_reply_all: true,
        allow_forward: false,
        read_receipt: false,
    };
    reply.key_version = 7;
    reply.part_count = 3;
    reply.payload_len = 20 * 1024 * 1024;
    reply.in_reply_to = Some(original.id);
    let stored = send(&store, reply.clone()).await;

    for found in [
        store.message(&public_id(2)).await.expect("by public id"),
        store.message_by_id(stored.id).await.expect("by id"),
        stored,
    ] {
        assert_eq!(found.public_id, public_id(2));
        assert_eq!(found.account_id, acme.id);
        assert_eq!(found.sender_id, alice.id);
        assert_eq!(found.sender_email.as_str(), "alice@example.com");
        assert_eq!(found.created_at, reply.created_at);
        assert_eq!(found.expires_at, Some(T0.plus_seconds(3600)));
        assert_eq!(found.locked_at, None);
        assert_eq!(found.lock_reason, None);
        assert_eq!(found.options, reply.options);
        assert_eq!(found.mode, DeliveryMode::Envelope);
        assert_eq!(found.wrapped_dek.as_deref(), Some(&reply.wrapped_dek[..]));
        assert_eq!(found.key_version, 7);
        assert_eq!(found.sealed_subject, reply.sealed_subject);
        assert_eq!(found.part_count, 3);
        assert_eq!(found.payload_len, 20 * 1024 * 1024);
        assert_eq!(found.in_reply_to, Some(original.id));
    }
    assert_eq!(original.in_reply_to, None);
    assert_eq!(original.expires_at, None);
    assert_eq!(original.mode, DeliveryMode::Stored);

    let missing = store.message(&public_id(3)).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    let missing = store.message_by_id(MessageId(9999)).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn message_with_recipients_and_notifications_commits_together(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let message = new_message(acme.id, alice.id, 1, &["bob@example.org"], &["carol@example.net"]);
    let stored = store
        .insert_message(
            message,
            vec![notification("bob@example.org"), notification("carol@example.net")],
            event("message.sent", "01"),
        )
        .await
        .expect("stored");

    let recipients = store.recipients(stored.id).await.expect("recipients");
    assert_eq!(recipients.len(), 2);
    assert!(
        recipients
            .iter()
            .all(|r| r.opened_at.is_none() && r.notified_at.is_none())
    );
    assert_eq!(store.outbox_pending().await.expect("counted"), 2);
    let claimed = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let to: Vec<&str> = claimed.iter().map(|i| i.to.as_str()).collect();
    assert_eq!(to, ["bob@example.org", "carol@example.net"]);
    assert!(
        claimed.iter().all(|i| i.message == Some(stored.id)),
        "notifications belong to the new message: {claimed:?}"
    );
    assert_eq!(claimed[0].kind, MailKind::Notification);
    assert_eq!(
        claimed[0].message_id_header,
        "notification.bob@example.org@sealpost.test"
    );
    assert_eq!(recent_actions(&store, 1).await, ["message.sent"]);
    let trail = store.list_audit(Some(acme.id), 10).await.expect("audit");
    assert!(
        trail.iter().any(|e| e.action == "message.sent"),
        "the event is filed under the message's account"
    );
}

async fn duplicate_public_id_is_a_conflict_and_leaves_no_recipients_or_outbox_rows(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let pending = store.outbox_pending().await.expect("counted");
    let recipients = count_rows(&store, "message_recipients").await;
    let events = store.list_audit(None, 100).await.expect("audit").len();

    let clash = new_message(acme.id, alice.id, 1, &["dave@example.org", "erin@example.org"], &[]);
    let result = store
        .insert_message(
            clash,
            vec![notification("dave@example.org"), notification("erin@example.org")],
            event("message.sent", "clash"),
        )
        .await;
    assert!(
        matches!(result, Err(DomainError::Conflict { field: "public_id" })),
        "{result:?}"
    );
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        pending,
        "no notification queued"
    );
    assert_eq!(count_rows(&store, "message_recipients").await, recipients);
    assert!(
        store
            .received_messages(&email("dave@example.org"), None, 10)
            .await
            .expect("listed")
            .is_empty()
    );
    assert_eq!(store.list_audit(None, 100).await.expect("audit").len(), events);
    let kept = store.message(&public_id(1)).await.expect("the first message stays");
    assert_eq!(kept.created_at, T0.plus_seconds(1));
}

async fn address_listed_twice_is_a_conflict_and_stores_nothing(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let twice = new_message(acme.id, alice.id, 1, &["bob@example.org"], &["bob@example.org"]);
    let result = store
        .insert_message(twice, vec![notification("bob@example.org")], event("message.sent", "x"))
        .await;
    assert!(
        matches!(result, Err(DomainError::Conflict { field: "recipient" })),
        "{result:?}"
    );
    assert!(matches!(store.message(&public_id(1)).await, Err(DomainError::NotFound)));
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
    assert_eq!(count_rows(&store, "messages").await, 0);
}

async fn message_from_an_unknown_sender_is_not_found(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let result = store
        .insert_message(
            new_message(acme.id, UserId(9999), 1, &["bob@example.org"], &[]),
            vec![notification("bob@example.org")],
            event("message.sent", "x"),
        )
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
}

async fn recipients_come_to_before_cc_in_the_order_given(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let mut message = new_message(acme.id, alice.id, 1, &[], &[]);
    message.recipients = vec![
        (email("zoe@example.org"), RecipientKind::To),
        (email("yann@example.org"), RecipientKind::Cc),
        (email("adam@example.org"), RecipientKind::To),
        (email("bea@example.org"), RecipientKind::Cc),
    ];
    let stored = send(&store, message).await;
    let listed: Vec<(String, RecipientKind)> = store
        .recipients(stored.id)
        .await
        .expect("recipients")
        .into_iter()
        .map(|r| (r.email.as_str().to_owned(), r.kind))
        .collect();
    assert_eq!(
        listed,
        [
            ("zoe@example.org".to_owned(), RecipientKind::To),
            ("adam@example.org".to_owned(), RecipientKind::To),
            ("yann@example.org".to_owned(), RecipientKind::Cc),
            ("bea@example.org".to_owned(), RecipientKind::Cc),
        ]
    );
    assert!(store.recipients(MessageId(9999)).await.expect("query").is_empty());
}

async fn a_message_to_read_comes_with_its_recipients_in_order_and_its_sender(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let mut message = new_message(acme.id, alice.id, 1, &[], &[]);
    message.recipients = vec![
        (email("zoe@example.org"), RecipientKind::Cc),
        (email("adam@example.org"), RecipientKind::To),
    ];
    let stored = send(&store, message).await;
    let (read, recipients, sender) = store.message_to_read(&public_id(1)).await.expect("read");
    assert_eq!((read.id, read.sender_email.as_str()), (stored.id, "alice@example.com"));
    assert_eq!((sender.id, sender.email.as_str()), (alice.id, "alice@example.com"));
    assert_eq!(sender.first_name, alice.first_name);
    let listed: Vec<&str> = recipients.iter().map(|r| r.email.as_str()).collect();
    assert_eq!(listed, ["adam@example.org", "zoe@example.org"]);
    let unknown = store.message_to_read(&public_id(9)).await;
    assert!(matches!(unknown, Err(DomainError::NotFound)), "{unknown:?}");
}

async fn a_message_to_open_says_whether_its_account_locked_the_viewer_out(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let (carol, globex) = sender(&store, "carol@example.com", 2_000_000).await;
    let bob = user(&store, "bob@example.org").await;
    let stored = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    send(&store, new_message(globex.id, carol.id, 2, &["bob@example.org"], &[])).await;
    let opened = store.message_to_open(&public_id(1), bob.id).await.expect("read");
    assert_eq!(opened.message.id, stored.id);
    assert_eq!(opened.sender.id, alice.id);
    assert_eq!(opened.recipients.len(), 1);
    assert!(!opened.viewer_locked);

    store
        .lock_in_account(
            acme.id,
            bob.id,
            "left the project",
            alice.id,
            event("account.user_locked", "bob"),
        )
        .await
        .expect("locked");
    assert!(
        store
            .message_to_open(&public_id(1), bob.id)
            .await
            .expect("read")
            .viewer_locked
    );
    assert!(
        !store
            .message_to_open(&public_id(1), alice.id)
            .await
            .expect("read")
            .viewer_locked,
        "only Bob is locked out"
    );
    assert!(
        !store
            .message_to_open(&public_id(2), bob.id)
            .await
            .expect("read")
            .viewer_locked,
        "another account's message still opens for him"
    );
    let unknown = store.message_to_open(&public_id(9), bob.id).await;
    assert!(matches!(unknown, Err(DomainError::NotFound)), "{unknown:?}");
}

/// A viewer's read (on SQLite: the message, then its recipients as rows, on the
/// calling thread) and a read without a viewer (the recipients folded into one
/// column) agree on every recipient: order (To before Cc, each as given), opening,
/// notification and delivery error (with spaces and a colon, as the folded list
/// must carry).
async fn a_message_to_open_lists_its_recipients_as_a_message_to_read_does(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let bob = user(&store, "bob@example.org").await;
    let mut message = new_message(acme.id, alice.id, 1, &[], &[]);
    message.recipients = vec![
        (email("zoe@example.org"), RecipientKind::Cc),
        (email("adam@example.org"), RecipientKind::To),
        (email("yann@example.org"), RecipientKind::Cc),
        (email("bob@example.org"), RecipientKind::To),
    ];
    let stored = send(&store, message).await;
    for (sql, value) in [
        (
            "UPDATE message_recipients SET opened_at = 1700000000001 WHERE email = 'adam@example.org'",
            None,
        ),
        (
            "UPDATE message_recipients SET notified_at = 1700000000002 WHERE email = 'yann@example.org'",
            None,
        ),
        (
            "UPDATE message_recipients SET delivery_error = $1 WHERE email = 'zoe@example.org'",
            Some("550 5.1.1 ü: no such user"),
        ),
    ] {
        let mut query = sqlx::query(sql);
        if let Some(value) = value {
            query = query.bind(value);
        }
        query.execute(store.pool()).await.expect("updated");
    }
    let opened = store.message_to_open(&public_id(1), bob.id).await.expect("opened");
    let (_, read, _) = store.message_to_read(&public_id(1)).await.expect("read");
    let shown = |recipients: &[sealpost_domain::messages::Recipient]| -> Vec<String> {
        recipients
            .iter()
            .map(|r| {
                format!(
                    "{:?} {} {:?} {:?} {:?}",
                    r.kind,
                    r.email.as_str(),
                    r.opened_at.map(|t| t.0),
                    r.notified_at.map(|t| t.0),
                    r.delivery_error
                )
            })
            .collect()
    };
    assert_eq!(
        shown(&opened.recipients),
        [
            "To adam@example.org Some(1700000000001) None None",
            "To bob@example.org None None None",
            "Cc zoe@example.org None None Some(\"550 5.1.1 ü: no such user\")",
            "Cc yann@example.org None Some(1700000000002) None",
        ]
    );
    assert_eq!(shown(&opened.recipients), shown(&read));
    assert_eq!(opened.message.id, stored.id);
}

async fn a_content_part_kept_in_the_row_reads_back_byte_for_byte_only_where_it_is_opened(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    // Bytes that a text column would mangle, as sealed bytes are.
    let sealed: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let mut inline = new_message(acme.id, alice.id, 1, &["bob@example.org"], &[]);
    inline.sealed_parts = Some(sealed.clone());
    send(&store, inline).await;
    send(&store, new_message(acme.id, alice.id, 2, &["bob@example.org"], &[])).await;

    let (read, _, _) = store.message_to_read(&public_id(1)).await.expect("read");
    assert_eq!(read.sealed_parts.as_deref(), Some(sealed.as_slice()));
    let (blob_kept, _, _) = store.message_to_read(&public_id(2)).await.expect("read");
    assert_eq!(blob_kept.sealed_parts, None);
    // Lists never open content: they do not carry it.
    let listed = store.sent_messages(alice.id, None, 10).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|m| m.sealed_parts.is_none()));
}

async fn sent_messages_are_listed_newest_first_in_keyset_pages(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let bob = user(&store, "bob@example.com").await;
    for id in 1..=5 {
        send(&store, new_message(acme.id, alice.id, id, &["x@example.org"], &[])).await;
        send(&store, new_message(acme.id, bob.id, 100 + id, &["x@example.org"], &[])).await;
    }
    let first = store.sent_messages(alice.id, None, 2).await.expect("page 1");
    assert_eq!(ids(&first), [5, 4]);
    assert!(first.iter().all(|m| m.sender_email.as_str() == "alice@example.com"));
    let second = store
        .sent_messages(alice.id, first.last().map(|m| m.id), 2)
        .await
        .expect("page 2");
    assert_eq!(ids(&second), [3, 2]);
    let third = store
        .sent_messages(alice.id, second.last().map(|m| m.id), 2)
        .await
        .expect("page 3");
    assert_eq!(ids(&third), [1]);
    let after_last = store
        .sent_messages(alice.id, third.last().map(|m| m.id), 2)
        .await
        .expect("page 4");
    assert!(after_last.is_empty());
    let bobs = store.sent_messages(bob.id, None, 10).await.expect("bob's");
    assert_eq!(ids(&bobs), [105, 104, 103, 102, 101]);
}

async fn received_messages_are_those_addressed_to_the_reader_newest_first(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let (dora, other) = sender(&store, "dora@example.com", 2_000_000).await;
    send(&store, new_message(acme.id, alice.id, 1, &["carol@example.net"], &[])).await;
    send(&store, new_message(acme.id, alice.id, 2, &["bob@example.org"], &[])).await;
    send(
        &store,
        new_message(other.id, dora.id, 3, &["bob@example.org"], &["carol@example.net"]),
    )
    .await;
    send(
        &store,
        new_message(acme.id, alice.id, 4, &["erin@example.org"], &["carol@example.net"]),
    )
    .await;

    let carol = email("carol@example.net");
    let all = store.received_messages(&carol, None, 10).await.expect("listed");
    assert_eq!(ids(&all), [4, 3, 1], "To and Cc, from every account");
    assert_eq!(all[1].sender_email.as_str(), "dora@example.com");
    let page = store.received_messages(&carol, None, 2).await.expect("page 1");
    assert_eq!(ids(&page), [4, 3]);
    let next = store
        .received_messages(&carol, page.last().map(|m| m.id), 2)
        .await
        .expect("page 2");
    assert_eq!(ids(&next), [1]);
    assert!(
        store
            .received_messages(&email("nobody@example.org"), None, 10)
            .await
            .expect("listed")
            .is_empty()
    );
}

async fn account_messages_show_every_sender_of_that_account_only(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let bob = user(&store, "bob@example.com").await;
    let (dora, other) = sender(&store, "dora@example.com", 2_000_000).await;
    send(&store, new_message(acme.id, alice.id, 1, &["x@example.org"], &[])).await;
    send(&store, new_message(other.id, dora.id, 2, &["x@example.org"], &[])).await;
    send(&store, new_message(acme.id, bob.id, 3, &["x@example.org"], &[])).await;
    send(&store, new_message(acme.id, alice.id, 4, &["x@example.org"], &[])).await;

    let page = store.account_messages(acme.id, None, 2).await.expect("page 1");
    assert_eq!(ids(&page), [4, 3]);
    assert_eq!(page[1].sender_email.as_str(), "bob@example.com");
    let next = store
        .account_messages(acme.id, page.last().map(|m| m.id), 2)
        .await
        .expect("page 2");
    assert_eq!(ids(&next), [1]);
    let theirs = store.account_messages(other.id, None, 10).await.expect("other");
    assert_eq!(ids(&theirs), [2]);
}
