//! Conversations (the content of MSRP sessions, OMA CPM 7.2.2.2, 7.3.2, 7.3.11,
//! 7.4.2), two wired back to back in memory with a fake clock.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cpm_client::conversation::{
    ContentError, Conversation, ConversationError, ConversationEvent, ConversationHandler,
    ConversationKind, SessionMessage,
};
use cpm_client::cpim::{Content, CpimBuilder, Disposition, DispositionNotification};
use cpm_client::ids::SequentialIds;
use cpm_client::imdn::{DeliveryStatus, DisplayStatus, Imdn, ImdnStatus};
use cpm_client::iscomposing::{ComposingState, IsComposing};
use cpm_client::msrp::{FileCheck, MsrpEvent};
use cpm_client::sdp::{Direction, FileHash, FileSelector, MsrpSdp, NegotiatedMsrp, Sdp, Setup};
use cpm_client::BuildError;
use proptest::prelude::*;
use sha1::{Digest, Sha1};

const ALICE_PATH: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
const BOB_PATH: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
const ALICE: &str = "sip:+15550100001@ims.example.net";
const BOB: &str = "sip:+15550100002@ims.example.net";
const GROUP: &str = "sip:group-7f3c@conf.example.net";

/// The session both ends settled on, from an SDP offer (Alice, `actpass`) and answer
/// (Bob, `passive`): Alice connects.
fn negotiate(selector: Option<FileSelector<'static>>) -> (NegotiatedMsrp, NegotiatedMsrp) {
    let mut offer = MsrpSdp::new("192.0.2.10", ALICE_PATH, Direction::SendRecv)
        .accept_types(&["*"])
        .setup(Setup::ActPass);
    if let Some(selector) = selector {
        offer = offer.file_selector(selector);
    }
    let answer = MsrpSdp::new("192.0.2.20", BOB_PATH, Direction::SendRecv)
        .accept_types(&["*"])
        .setup(Setup::Passive);
    let (offer, answer) = (offer.write().unwrap(), answer.write().unwrap());
    let (offer, answer) = (Sdp::parse(&offer).unwrap(), Sdp::parse(&answer).unwrap());
    let (offer, answer) = (offer.msrp().unwrap(), answer.msrp().unwrap());
    let alice = NegotiatedMsrp::from_media(&offer, &answer, true).unwrap();
    let bob = NegotiatedMsrp::from_media(&answer, &offer, false).unwrap();
    assert_eq!((alice.setup, bob.setup), (Setup::Active, Setup::Passive));
    (alice, bob)
}

fn conversation(
    negotiated: &NegotiatedMsrp,
    kind: ConversationKind,
    me: &str,
    peer: &str,
    seed: u64,
    chunk_size: usize,
) -> Conversation {
    let mut config = kind.session_config(negotiated);
    config.chunk_size = chunk_size;
    Conversation::from_config(config, kind, me, peer, SequentialIds::new(seed))
}

/// Alice and Bob, both of `kind`, chunks of `chunk_size` bytes.
fn pair(kind: ConversationKind, chunk_size: usize) -> (Conversation, Conversation) {
    let (a, b) = negotiate(None);
    (
        conversation(&a, kind.clone(), ALICE, BOB, 1, chunk_size),
        conversation(&b, kind, BOB, ALICE, 2, chunk_size),
    )
}

/// Moves bytes both ways until neither side has any.
fn pump(a: &mut Conversation, b: &mut Conversation, now: Instant) {
    loop {
        let mut moved = false;
        while let Some(bytes) = a.poll_transmit(now) {
            b.handle_bytes(now, &bytes);
            moved = true;
        }
        while let Some(bytes) = b.poll_transmit(now) {
            a.handle_bytes(now, &bytes);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

fn events(c: &mut Conversation) -> Vec<ConversationEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn chat_messages(events: &[ConversationEvent]) -> Vec<&SessionMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::ChatMessage(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300 + seconds)
}

fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn a_large_message_in_many_chunks_arrives_as_one_cpim_message() {
    let (mut alice, mut bob) = pair(ConversationKind::LargeMessage, 1000);
    let now = Instant::now();
    let text: String = "Lorem ipsum dolor sit amet. ".repeat(400);
    let sent = alice
        .send_large_message(
            Content::text(&text),
            at(0),
            Some(DispositionNotification::DELIVERY_AND_DISPLAY),
        )
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let received = events(&mut bob);
    assert!(received.contains(&ConversationEvent::Established));
    let large: Vec<&SessionMessage> = received
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::LargeMessage(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(large.len(), 1, "one message, handed out whole");
    let message = large[0];
    assert_eq!(message.text(), Some(text.as_str()));
    assert_eq!(message.content_type, "text/plain;charset=UTF-8");
    assert_eq!(message.from.as_deref(), Some(ALICE));
    assert_eq!(message.to, [BOB]);
    assert_eq!(
        message.date_time.as_deref(),
        Some("2026-11-24T10:15:00.000Z")
    );
    assert_eq!(message.message_id, sent.message_id);
    assert_eq!(message.msrp_message_id, sent.msrp_message_id);
    assert!(message.asks_for(Disposition::Display));
    let cpim = message.cpim().expect("the envelope reads again");
    assert_eq!(cpim.message_id(), sent.message_id.as_deref());
    // It took many chunks: the progress of the reassembly is passed through.
    let chunks = received
        .iter()
        .filter(|e| matches!(e, ConversationEvent::Msrp(MsrpEvent::ChunkReceived { .. })))
        .count();
    assert!(chunks > 10, "{chunks} chunk events");
    // The sender hears that every chunk was answered.
    assert!(events(&mut alice).contains(&ConversationEvent::Msrp(
        MsrpEvent::MessageAcknowledged {
            message_id: sent.msrp_message_id
        }
    )));
}

/// Bob receives the file Alice offered with `selector`; returns his events.
fn transfer(
    file: &[u8],
    selector: FileSelector<'static>,
    chunk_size: usize,
) -> Vec<ConversationEvent> {
    let (a, b) = negotiate(Some(selector));
    let mut alice = conversation(
        &a,
        ConversationKind::FileTransfer { selector: None },
        ALICE,
        BOB,
        1,
        chunk_size,
    );
    let mut bob = conversation(
        &b,
        ConversationKind::file_transfer(&b),
        BOB,
        ALICE,
        2,
        chunk_size,
    );
    let sent = alice.send_file("image/jpeg", file.to_vec()).unwrap();
    assert_eq!(sent.message_id, None, "a file has no CPIM envelope");
    pump(&mut alice, &mut bob, Instant::now());
    let sender = events(&mut alice);
    assert!(
        sender.contains(&ConversationEvent::Msrp(MsrpEvent::MessageAcknowledged {
            message_id: sent.msrp_message_id
        }))
    );
    events(&mut bob)
}

/// The file put together from the `FileData` events, checking they come in order.
fn rebuilt(events: &[ConversationEvent]) -> Vec<u8> {
    let mut file = Vec::new();
    for event in events {
        if let ConversationEvent::FileData { offset, data, .. } = event {
            assert_eq!(*offset, file.len() as u64, "in order, each byte once");
            file.extend_from_slice(data);
        }
    }
    file
}

fn sha1(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

fn completion(events: &[ConversationEvent]) -> (u64, FileCheck) {
    let done: Vec<(u64, FileCheck)> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::FileComplete { size, check, .. } => Some((*size, *check)),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 1, "one completion");
    done[0]
}

#[test]
fn a_file_in_chunks_goes_to_the_sink_with_progress_and_is_checked() {
    let file = content(100_000, 3);
    let selector = FileSelector::new("photo.jpg", "image/jpeg", 100_000)
        .with_hash(FileHash::sha1(&sha1(&file)));
    let events = transfer(&file, selector, 4096);
    let ConversationEvent::FileStarted {
        content_type,
        total,
        expected,
        ..
    } = events
        .iter()
        .find(|e| matches!(e, ConversationEvent::FileStarted { .. }))
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!((&**content_type, *total), ("image/jpeg", Some(100_000)));
    let expected = expected.unwrap();
    assert_eq!(
        (expected.size, expected.sha1),
        (Some(100_000), Some(sha1(&file)))
    );
    assert_eq!(rebuilt(&events), file);
    let progress: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::FileProgress {
                received, total, ..
            } => {
                assert_eq!(*total, Some(100_000));
                Some(*received)
            }
            _ => None,
        })
        .collect();
    assert!(progress.len() > 20);
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "progress grows");
    let (size, check) = completion(&events);
    assert_eq!(size, 100_000);
    assert_eq!(
        check,
        FileCheck {
            size_matches: Some(true),
            sha1_matches: Some(true)
        }
    );
    assert!(check.is_ok());
    // The file started before its data, and completed after it.
    let position = |f: &dyn Fn(&ConversationEvent) -> bool| events.iter().position(f).unwrap();
    assert!(
        position(&|e| matches!(e, ConversationEvent::FileStarted { .. }))
            < position(&|e| matches!(e, ConversationEvent::FileData { .. }))
    );
    assert_eq!(
        position(&|e| matches!(e, ConversationEvent::FileComplete { .. })),
        events.len() - 1
    );
}

#[test]
fn a_file_of_another_size_or_hash_fails_its_check() {
    let file = content(20_000, 5);
    let wrong_size = FileSelector::new("a.bin", "image/jpeg", 20_001);
    let (_, check) = completion(&transfer(&file, wrong_size, 3000));
    assert_eq!(check.size_matches, Some(false));
    assert_eq!(check.sha1_matches, None, "no hash offered");
    assert!(!check.is_ok());

    let wrong_hash =
        FileSelector::new("a.bin", "image/jpeg", 20_000).with_hash(FileHash::sha1(&[0x5a; 20]));
    let events = transfer(&file, wrong_hash, 3000);
    assert_eq!(rebuilt(&events), file, "the bytes still went to the sink");
    let (_, check) = completion(&events);
    assert_eq!(
        (check.size_matches, check.sha1_matches),
        (Some(true), Some(false))
    );
    assert!(!check.is_ok());
}

#[test]
fn a_file_in_one_chunk_starts_and_completes_too() {
    let file = content(500, 9);
    let selector =
        FileSelector::new("s.bin", "image/jpeg", 500).with_hash(FileHash::sha1(&sha1(&file)));
    let events = transfer(&file, selector, 4096);
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::FileStarted {
                total,
                content_type,
                ..
            } => {
                assert_eq!((&**content_type, *total), ("image/jpeg", Some(500)));
                Some("started")
            }
            ConversationEvent::FileData { .. } => Some("data"),
            ConversationEvent::FileComplete { .. } => Some("complete"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["started", "data", "complete"]);
    assert_eq!(rebuilt(&events), file);
    assert!(completion(&events).1.is_ok());
}

#[test]
fn an_interrupted_file_is_reported_and_never_completes() {
    let (a, b) = negotiate(Some(FileSelector::new("big.bin", "image/jpeg", 50_000)));
    let mut alice = conversation(
        &a,
        ConversationKind::FileTransfer { selector: None },
        ALICE,
        BOB,
        1,
        1000,
    );
    let mut bob = conversation(&b, ConversationKind::file_transfer(&b), BOB, ALICE, 2, 1000);
    let now = Instant::now();
    let sent = alice.send_file("image/jpeg", content(50_000, 1)).unwrap();
    // The binding SEND and three chunks.
    for _ in 0..4 {
        let bytes = alice.poll_transmit(now).unwrap();
        bob.handle_bytes(now, &bytes);
    }
    assert!(alice.abort(&sent.msrp_message_id));
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    assert_eq!(rebuilt(&events).len(), 3000);
    assert!(events.contains(&ConversationEvent::FileInterrupted {
        msrp_message_id: sent.msrp_message_id,
        received: 3000
    }));
    assert!(!events
        .iter()
        .any(|e| matches!(e, ConversationEvent::FileComplete { .. })));
}

#[test]
fn chat_messages_arrive_in_order_with_their_envelope() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    alice.set_display_name(Some("Alice"));
    let now = Instant::now();
    let texts = ["Hi Bob", "Are you there?", "Lunch at noon?"];
    let sent: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            alice
                .send_chat(Content::text(t), at(i as u64), None)
                .unwrap()
        })
        .collect();
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    let messages = chat_messages(&events);
    let got: Vec<&str> = messages.iter().map(|m| m.text().unwrap()).collect();
    assert_eq!(got, texts);
    for (i, (message, sent)) in messages.iter().zip(&sent).enumerate() {
        assert_eq!(message.message_id, sent.message_id);
        assert!(message.message_id.is_some());
        assert_eq!(message.from.as_deref(), Some(ALICE));
        assert_eq!(message.from_display_name.as_deref(), Some("Alice"));
        assert_eq!(message.disposition_notification, None);
        assert!(!message.asks_for(Disposition::PositiveDelivery));
        assert_eq!(
            message.date_time.as_deref(),
            Some(format!("2026-11-24T10:15:0{i}.000Z").as_str())
        );
    }
    // Both ways: Bob answers.
    bob.send_chat(Content::text("Yes!"), at(9), None).unwrap();
    pump(&mut alice, &mut bob, now);
    let back = self::events(&mut alice);
    let back = chat_messages(&back);
    assert_eq!(back.len(), 1);
    assert_eq!(
        (back[0].text(), back[0].from.as_deref()),
        (Some("Yes!"), Some(BOB))
    );
}

#[test]
fn is_composing_is_told_apart_from_text_bare_or_in_cpim() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let now = Instant::now();
    alice
        .send_composing(
            &IsComposing::active(Some(60)).with_content_type("text/plain"),
            at(0),
        )
        .unwrap();
    // A bare indication (RFC 3994 without CPIM), sent as raw MSRP content.
    let bare = IsComposing::idle(Some("2026-11-24T10:15:01Z"))
        .to_xml()
        .unwrap();
    alice
        .send_file("application/im-iscomposing+xml", bare.into_bytes())
        .unwrap();
    alice
        .send_chat(Content::text("typed it"), at(2), None)
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    let composing: Vec<(Option<&str>, ComposingState)> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::Composing {
                from, indication, ..
            } => Some((from.as_deref(), indication.state)),
            _ => None,
        })
        .collect();
    assert_eq!(
        composing,
        [
            (Some(ALICE), ComposingState::Active),
            (None, ComposingState::Idle)
        ]
    );
    let messages = chat_messages(&events);
    assert_eq!(messages.len(), 1, "indications are not chat messages");
    assert_eq!(messages[0].text(), Some("typed it"));
}

#[test]
fn an_active_indication_expires_after_its_refresh_unless_a_message_comes() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let start = Instant::now();
    pump(&mut alice, &mut bob, start);
    events(&mut bob);
    assert_eq!(bob.poll_timeout(), None);
    alice
        .send_composing(&IsComposing::active(Some(90)), at(0))
        .unwrap();
    pump(&mut alice, &mut bob, start);
    events(&mut bob);
    let deadline = start + Duration::from_secs(90);
    assert_eq!(bob.poll_timeout(), Some(deadline));
    bob.handle_timeout(start + Duration::from_secs(89));
    assert!(events(&mut bob).is_empty());
    bob.handle_timeout(deadline);
    assert_eq!(
        events(&mut bob),
        [ConversationEvent::ComposingExpired {
            from: Some(ALICE.to_owned())
        }]
    );
    assert_eq!(bob.poll_timeout(), None);

    // A message from the author ends the active state: nothing expires later.
    alice
        .send_composing(&IsComposing::active(Some(90)), at(1))
        .unwrap();
    alice.send_chat(Content::text("done"), at(2), None).unwrap();
    pump(&mut alice, &mut bob, deadline);
    events(&mut bob);
    assert_eq!(bob.poll_timeout(), None);
}

#[test]
fn an_active_indication_without_refresh_expires_after_120_seconds() {
    // RFC 3994 section 3.3: without <refresh> the receiver times the active state
    // out after 120 seconds.
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let start = Instant::now();
    pump(&mut alice, &mut bob, start);
    events(&mut bob);
    alice
        .send_composing(&IsComposing::active(None), at(0))
        .unwrap();
    pump(&mut alice, &mut bob, start);
    events(&mut bob);
    let deadline = start + Duration::from_secs(120);
    assert_eq!(bob.poll_timeout(), Some(deadline));
    bob.handle_timeout(deadline);
    assert_eq!(
        events(&mut bob),
        [ConversationEvent::ComposingExpired {
            from: Some(ALICE.to_owned())
        }]
    );
}

#[test]
fn imdns_in_the_session_name_the_message_its_disposition_and_status() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let now = Instant::now();
    let sent = alice
        .send_chat(
            Content::text("Read me"),
            at(0),
            Some(DispositionNotification::DELIVERY_AND_DISPLAY),
        )
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let received = events(&mut bob);
    let message = chat_messages(&received)[0].clone();
    assert!(message.asks_for(Disposition::PositiveDelivery));
    assert!(message.asks_for(Disposition::Display));
    let delivered = bob
        .send_notification(
            &message,
            ImdnStatus::Delivery(DeliveryStatus::Delivered),
            at(1),
        )
        .unwrap();
    let displayed = bob
        .send_notification(
            &message,
            ImdnStatus::Display(DisplayStatus::Displayed),
            at(2),
        )
        .unwrap();
    assert_ne!(
        delivered.message_id, displayed.message_id,
        "each has its own id"
    );
    pump(&mut alice, &mut bob, now);
    let mut carriers = Vec::new();
    let notifications: Vec<(Option<String>, Option<String>, Imdn)> = events(&mut alice)
        .into_iter()
        .filter_map(|e| match e {
            ConversationEvent::Notification {
                msrp_message_id,
                from,
                notification_id,
                imdn,
            } => {
                carriers.push(msrp_message_id);
                Some((from, notification_id, imdn))
            }
            ConversationEvent::ChatMessage(m) => panic!("an IMDN read as a chat message: {m:?}"),
            _ => None,
        })
        .collect();
    assert_eq!(notifications.len(), 2);
    assert_eq!(
        carriers,
        [
            delivered.msrp_message_id.clone(),
            displayed.msrp_message_id.clone()
        ],
        "each event names the MSRP message that carried it"
    );
    let statuses: Vec<ImdnStatus> = notifications.iter().map(|n| n.2.status).collect();
    assert_eq!(
        statuses,
        [
            ImdnStatus::Delivery(DeliveryStatus::Delivered),
            ImdnStatus::Display(DisplayStatus::Displayed)
        ]
    );
    for ((from, id, imdn), queued) in notifications.iter().zip([&delivered, &displayed]) {
        assert_eq!(from.as_deref(), Some(BOB));
        assert_eq!(id, &queued.message_id);
        assert_eq!(Some(&imdn.message_id), sent.message_id.as_ref());
        assert_eq!(imdn.date_time.as_deref(), Some("2026-11-24T10:15:00.000Z"));
        assert_eq!(imdn.recipient_uri.as_deref(), Some(BOB));
    }
    assert_eq!(notifications[1].2.status.answers(), Disposition::Display);
}

#[test]
fn an_imdn_built_by_another_stack_is_read_and_a_message_without_id_cannot_be_notified() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let now = Instant::now();
    // A notification written by hand, under another prefix for the IMDN namespace.
    let cpim = "From: <sip:+15550100002@ims.example.net>\r\n\
        To: <sip:+15550100001@ims.example.net>\r\n\
        DateTime: 2026-11-24T10:16:00Z\r\n\
        NS: x <urn:ietf:params:imdn>\r\n\
        x.Message-ID: n-77\r\n\r\n\
        Content-Type: message/imdn+xml\r\n\
        Content-Disposition: notification\r\n\r\n\
        <?xml version=\"1.0\"?><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\
        <message-id>orig-1</message-id><delivery-notification><status><failed/></status>\
        </delivery-notification></imdn>";
    let queued = bob
        .send_file("message/cpim", cpim.as_bytes().to_vec())
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let got: Vec<ConversationEvent> = events(&mut alice)
        .into_iter()
        .filter(|e| matches!(e, ConversationEvent::Notification { .. }))
        .collect();
    let [ConversationEvent::Notification {
        msrp_message_id,
        from,
        notification_id,
        imdn,
    }] = got.as_slice()
    else {
        panic!("one notification: {got:?}")
    };
    assert_eq!(msrp_message_id, &queued.msrp_message_id);
    assert_eq!(from.as_deref(), Some(BOB));
    assert_eq!(notification_id.as_deref(), Some("n-77"));
    assert_eq!(imdn.message_id, "orig-1");
    assert_eq!(imdn.status, ImdnStatus::Delivery(DeliveryStatus::Failed));

    // A message sent without imdn.Message-ID has nothing to notify about.
    let anonymous = CpimBuilder::new(ALICE, BOB, at(0), Content::text("no id")).without_imdn();
    alice.send_cpim(&anonymous).unwrap();
    pump(&mut alice, &mut bob, now);
    let received = events(&mut bob);
    let message = chat_messages(&received)[0];
    assert_eq!(message.message_id, None);
    let refused = bob.send_notification(
        message,
        ImdnStatus::Delivery(DeliveryStatus::Delivered),
        at(1),
    );
    assert!(matches!(
        refused,
        Err(ConversationError::Build(BuildError::Missing {
            field: "imdn.Message-ID",
            ..
        }))
    ));
}

#[test]
fn a_deferred_group_session_delivers_the_stored_messages_one_by_one() {
    let (a, b) = negotiate(None);
    // The focus (Alice's end here) delivers messages authored by several members.
    let mut focus = conversation(&a, ConversationKind::Chat, GROUP, BOB, 1, 512);
    let mut bob = conversation(&b, ConversationKind::DeferredGroup, BOB, GROUP, 2, 512);
    let now = Instant::now();
    let authors = [ALICE, "sip:+15550100003@ims.example.net", ALICE];
    let long = "x".repeat(3000);
    let texts = ["first", long.as_str(), "third"];
    for (i, (author, text)) in authors.iter().zip(texts).enumerate() {
        let stored = CpimBuilder::new(author, GROUP, at(i as u64), Content::text(text))
            .disposition(DispositionNotification::of(&[
                Disposition::PositiveDelivery,
            ]));
        focus.send_cpim(&stored).unwrap();
    }
    pump(&mut focus, &mut bob, now);
    let deferred: Vec<SessionMessage> = events(&mut bob)
        .into_iter()
        .filter_map(|e| match e {
            ConversationEvent::DeferredMessage(m) => Some(m),
            ConversationEvent::ChatMessage(_) => panic!("deferred messages are told as such"),
            _ => None,
        })
        .collect();
    let got: Vec<(&str, &str)> = deferred
        .iter()
        .map(|m| (m.from.as_deref().unwrap(), m.text().unwrap()))
        .collect();
    // Each is handed out when it is whole: the long one, in six chunks interleaved
    // with the others' (RFC 4975 section 7.1), completes last. The CPIM DateTime
    // keeps the order the authors wrote them in.
    let stored: Vec<(&str, &str)> = authors.iter().copied().zip(texts).collect();
    assert_eq!(got, [stored[0], stored[2], stored[1]]);
    let mut by_date = deferred.clone();
    by_date.sort_by(|a, b| a.date_time.cmp(&b.date_time));
    let by_date: Vec<&str> = by_date.iter().map(|m| m.text().unwrap()).collect();
    assert_eq!(by_date, texts);
    assert!(deferred.iter().all(|m| m.to == [GROUP]));
    // Each can be acknowledged to its author.
    let queued = bob
        .send_notification(
            &deferred[1],
            ImdnStatus::Delivery(DeliveryStatus::Delivered),
            at(5),
        )
        .unwrap();
    assert!(queued.message_id.is_some());
}

#[test]
fn content_that_does_not_read_is_reported_malformed_and_the_session_goes_on() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let now = Instant::now();
    let broken_cpim = alice
        .send_file(
            "message/cpim",
            &b"From: <sip:a@example.net>\r\nno colon here\r\n\r\nx"[..],
        )
        .unwrap();
    let unterminated = alice
        .send_file("message/cpim", &b"From: <sip:a@example.net>\r\n"[..])
        .unwrap();
    let bad_imdn = CpimBuilder::new(
        ALICE,
        BOB,
        at(0),
        Content::new("message/imdn+xml", "<imdn>not closed")
            .with_header("Content-Disposition", "notification"),
    );
    let bad_imdn = alice.send_cpim(&bad_imdn).unwrap();
    let bad_composing = alice
        .send_file("application/im-iscomposing+xml", &b"<isComposing/>"[..])
        .unwrap();
    alice
        .send_chat(Content::text("still here"), at(1), None)
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    let malformed: Vec<(Arc<str>, &ContentError)> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::Malformed {
                msrp_message_id,
                error,
            } => Some((Arc::clone(msrp_message_id), error)),
            _ => None,
        })
        .collect();
    assert_eq!(malformed.len(), 4, "{malformed:?}");
    assert_eq!(malformed[0].0, broken_cpim.msrp_message_id);
    assert!(matches!(malformed[0].1, ContentError::Cpim(e) if e.offset() == 27));
    assert_eq!(malformed[1].0, unterminated.msrp_message_id);
    assert!(matches!(malformed[1].1, ContentError::Cpim(_)));
    assert_eq!(malformed[2].0, bad_imdn.msrp_message_id);
    assert!(matches!(malformed[2].1, ContentError::Imdn(_)));
    assert_eq!(malformed[3].0, bad_composing.msrp_message_id);
    assert!(matches!(malformed[3].1, ContentError::IsComposing(_)));
    assert!(malformed[0]
        .1
        .to_string()
        .starts_with("CPIM message does not read: byte 27"));
    assert_eq!(chat_messages(&events)[0].text(), Some("still here"));
}

#[test]
fn a_bare_message_is_a_chat_message_without_envelope() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    alice.send_file("text/plain", &b"plain text"[..]).unwrap();
    pump(&mut alice, &mut bob, Instant::now());
    let events = events(&mut bob);
    let message = chat_messages(&events)[0];
    assert_eq!(message.text(), Some("plain text"));
    assert_eq!((message.cpim.as_ref(), message.from.as_ref()), (None, None));
    assert!(message.cpim().is_none());
}

#[test]
fn a_conversation_made_from_the_negotiated_session_works_with_random_ids() {
    let (a, b) = negotiate(None);
    let mut alice = Conversation::new(&a, ConversationKind::Chat, ALICE, BOB);
    let mut bob = Conversation::new(&b, ConversationKind::Chat, BOB, ALICE);
    let sent = alice
        .send_chat(Content::text("random"), at(0), None)
        .unwrap();
    pump(&mut alice, &mut bob, Instant::now());
    assert!(alice.is_established() && bob.is_established());
    let events = events(&mut bob);
    assert_eq!(chat_messages(&events)[0].message_id, sent.message_id);
    assert_eq!(bob.msrp_session().config().local_path, BOB_PATH);
    assert_eq!(bob.kind(), &ConversationKind::Chat);
}

/// A handler recording what it is called with.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
    file: Vec<u8>,
    last: Option<SessionMessage>,
}

impl ConversationHandler for Recorder {
    fn established(&mut self) {
        self.calls.push("established".into());
    }
    fn chat_message(&mut self, message: SessionMessage) {
        self.calls
            .push(format!("chat {}", message.text().unwrap_or_default()));
        self.last = Some(message);
    }
    fn composing(&mut self, from: Option<String>, indication: IsComposing) {
        self.calls.push(format!(
            "composing {} {}",
            from.unwrap_or_default(),
            indication.state
        ));
    }
    fn notification_received(&mut self, _: Option<String>, _: Option<String>, imdn: Imdn) {
        self.calls
            .push(format!("imdn {} {}", imdn.message_id, imdn.status));
    }
    fn file_data(&mut self, _: Arc<str>, offset: u64, data: Bytes) {
        assert_eq!(offset, self.file.len() as u64);
        self.file.extend_from_slice(&data);
    }
    fn file_complete(&mut self, _: Arc<str>, size: u64, check: FileCheck) {
        self.calls.push(format!("file {size} {}", check.is_ok()));
    }
}

#[test]
fn a_handler_gets_the_same_events_through_deliver() {
    let (mut alice, mut bob) = pair(ConversationKind::Chat, 2048);
    let now = Instant::now();
    alice
        .send_composing(&IsComposing::active(None), at(0))
        .unwrap();
    let sent = alice
        .send_chat(
            Content::text("hello"),
            at(1),
            Some(DispositionNotification::DELIVERY_AND_DISPLAY),
        )
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let mut recorder = Recorder::default();
    bob.deliver(&mut recorder);
    assert_eq!(
        recorder.calls,
        [
            "established",
            &format!("composing {ALICE} active"),
            "chat hello"
        ]
    );
    assert!(bob.poll_event().is_none(), "deliver drained the events");

    // The message the handler was given is what a notification is built from.
    let message = recorder.last.take().expect("the handler kept the message");
    bob.send_notification(
        &message,
        ImdnStatus::Display(DisplayStatus::Displayed),
        at(3),
    )
    .unwrap();
    pump(&mut alice, &mut bob, now);
    let mut recorder = Recorder::default();
    alice.deliver(&mut recorder);
    assert_eq!(
        recorder.calls,
        [
            "established".to_owned(),
            format!("imdn {} display displayed", sent.message_id.unwrap())
        ]
    );

    // A file through the handler.
    let file = content(10_000, 2);
    let selector =
        FileSelector::new("f", "image/jpeg", 10_000).with_hash(FileHash::sha1(&sha1(&file)));
    let (a, b) = negotiate(Some(selector));
    let mut alice = conversation(
        &a,
        ConversationKind::FileTransfer { selector: None },
        ALICE,
        BOB,
        1,
        999,
    );
    let mut bob = conversation(&b, ConversationKind::file_transfer(&b), BOB, ALICE, 2, 999);
    alice.send_file("image/jpeg", file.clone()).unwrap();
    pump(&mut alice, &mut bob, now);
    let mut recorder = Recorder::default();
    bob.deliver(&mut recorder);
    assert_eq!(recorder.file, file);
    assert_eq!(recorder.calls, ["established", "file 10000 true"]);
}

fn kinds() -> [ConversationKind; 4] {
    [
        ConversationKind::Chat,
        ConversationKind::LargeMessage,
        ConversationKind::DeferredGroup,
        ConversationKind::FileTransfer {
            selector: Some(FileSelector::new("f", "image/jpeg", 10)),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary bytes from the connection never panic, whatever the kind.
    #[test]
    fn arbitrary_bytes_never_panic(
        pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8),
        kind in 0usize..4,
    ) {
        let (_, b) = negotiate(None);
        let kind = kinds()[kind].clone();
        let mut bob = conversation(&b, kind, BOB, ALICE, 2, 2048);
        let now = Instant::now();
        let mut prefix = b"MSRP t1 SEND\r\nTo-Path: ".to_vec();
        prefix.extend_from_slice(BOB_PATH.as_bytes());
        for (i, piece) in pieces.iter().enumerate() {
            if i == 0 && piece.first().is_some_and(|b| b % 2 == 0) {
                bob.handle_bytes(now, &prefix);
            }
            bob.handle_bytes(now, piece);
            while bob.poll_transmit(now).is_some() {}
            bob.handle_timeout(now + Duration::from_secs(i as u64 * 40));
            while bob.poll_event().is_some() {}
        }
    }

    /// Arbitrary content in well-framed MSRP messages, claiming each content type
    /// the conversation reads, never panics and gives one event per message.
    #[test]
    fn arbitrary_content_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..600),
        claimed in 0usize..4,
        kind in 0usize..4,
    ) {
        let types = ["message/cpim", "application/im-iscomposing+xml", "message/imdn+xml", "text/plain"];
        let (a, b) = negotiate(None);
        let mut alice = conversation(&a, ConversationKind::Chat, ALICE, BOB, 1, 100);
        let mut bob = conversation(&b, kinds()[kind].clone(), BOB, ALICE, 2, 100);
        let mut cpim = b"From: <sip:a@example.net>\r\nTo: <sip:b@example.net>\r\n\r\nContent-Type: ".to_vec();
        cpim.extend_from_slice(types[(claimed + 1) % 4].as_bytes());
        cpim.extend_from_slice(b"\r\n\r\n");
        cpim.extend_from_slice(&body);
        for content in [body.clone(), cpim] {
            if alice.send_file(types[claimed], content).is_ok() {
                pump(&mut alice, &mut bob, Instant::now());
            }
        }
        let outcomes = events(&mut bob)
            .iter()
            .filter(|e| matches!(e,
                ConversationEvent::ChatMessage(_)
                | ConversationEvent::LargeMessage(_)
                | ConversationEvent::DeferredMessage(_)
                | ConversationEvent::Composing { .. }
                | ConversationEvent::Notification { .. }
                | ConversationEvent::Malformed { .. }
                | ConversationEvent::FileComplete { .. }))
            .count();
        // An empty SEND is a binding, not a message (RFC 4975 section 5.4).
        prop_assert_eq!(outcomes, if body.is_empty() { 1 } else { 2 });
    }
}

#[test]
fn messages_outside_accept_types_or_max_size_are_refused() {
    let (a, b) = negotiate(None);
    let mut alice = conversation(&a, ConversationKind::Chat, ALICE, BOB, 1, 2048);
    let mut config = ConversationKind::Chat.session_config(&b);
    config.accept_types = vec!["message/cpim".into()];
    config.max_size = Some(5000);
    let mut bob = Conversation::from_config(
        config,
        ConversationKind::Chat,
        BOB,
        ALICE,
        SequentialIds::new(2),
    );
    let now = Instant::now();
    let bare = alice.send_file("text/plain", &b"not wrapped"[..]).unwrap();
    let big = alice
        .send_chat(Content::text(&"y".repeat(6000)), at(0), None)
        .unwrap();
    alice.send_chat(Content::text("fits"), at(1), None).unwrap();
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    assert!(events.contains(&ConversationEvent::Refused {
        msrp_message_id: bare.msrp_message_id,
        code: 415
    }));
    assert!(events.contains(&ConversationEvent::Refused {
        msrp_message_id: big.msrp_message_id.clone(),
        code: 413
    }));
    let messages = chat_messages(&events);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text(), Some("fits"));
    // The sender hears that its message failed.
    assert!(self::events(&mut alice).iter().any(|e| matches!(e,
        ConversationEvent::Msrp(MsrpEvent::SendFailed { message_id, code: 413, .. })
            if *message_id == big.msrp_message_id)));
}

#[test]
fn composing_timers_are_bounded_whatever_the_number_of_authors() {
    let (a, b) = negotiate(None);
    let mut focus = conversation(&a, ConversationKind::Chat, GROUP, BOB, 1, 2048);
    let mut bob = conversation(&b, ConversationKind::Chat, BOB, GROUP, 2, 2048);
    let now = Instant::now();
    let indication = IsComposing::active(Some(30)).to_content().unwrap();
    for n in 0..100 {
        let author = format!("sip:member{n}@example.net");
        let builder = CpimBuilder::new(&author, GROUP, at(0), indication.clone()).without_imdn();
        focus.send_cpim(&builder).unwrap();
    }
    pump(&mut focus, &mut bob, now);
    let composing = events(&mut bob)
        .iter()
        .filter(|e| matches!(e, ConversationEvent::Composing { .. }))
        .count();
    assert_eq!(composing, 100, "every indication is handed out");
    bob.handle_timeout(now + Duration::from_secs(30));
    let expired: Vec<Option<String>> = events(&mut bob)
        .into_iter()
        .filter_map(|e| match e {
            ConversationEvent::ComposingExpired { from } => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(expired.len(), 64, "the timers kept are bounded");
    assert_eq!(
        expired.last().cloned().flatten().as_deref(),
        Some("sip:member99@example.net"),
        "the newest are kept"
    );
}

#[test]
fn a_file_transfer_answered_by_the_dispatcher_runs_as_a_conversation() {
    use cpm_client::{Decision, Dispatcher, FileTransferHandler, FileTransferInvitation};
    struct Take;
    impl FileTransferHandler for Take {
        fn file_transfer(&self, _: &FileTransferInvitation<'_>) -> Decision {
            Decision::accept()
        }
    }
    let file = content(40_000, 11);
    // Alice offers the file (OMA CPM 7.4.1).
    let offer = MsrpSdp::new("192.0.2.10", ALICE_PATH, Direction::SendOnly)
        .accept_types(&["image/jpeg"])
        .file_selector(
            FileSelector::new("cat.jpg", "image/jpeg", 40_000)
                .with_hash(FileHash::sha1(&sha1(&file))),
        )
        .file_transfer_id("ft-42")
        .setup(Setup::ActPass)
        .write()
        .unwrap();
    let invite = format!(
        "INVITE sip:+15550100002@ims.example.net SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK-ft42\r\n\
         From: <{ALICE}>;tag=a1\r\nTo: <{BOB}>\r\nCall-ID: ft-42\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\"\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n",
        offer.len()
    );
    let mut invite = invite.into_bytes();
    invite.extend_from_slice(&offer);
    // Bob's dispatcher answers it (7.4.2) and hands out the session it answered with.
    let outcome = Dispatcher::builder()
        .file_transfer(Take)
        .build()
        .dispatch(Bytes::from(invite));
    let response = outcome.response().unwrap();
    assert_eq!(response.status().code(), 200);
    let negotiated = outcome.msrp().expect("the session answered");
    let mut bob = Conversation::new(
        negotiated,
        ConversationKind::file_transfer(negotiated),
        BOB,
        ALICE,
    );
    // Alice reads the answer.
    let wire = response.as_bytes();
    let at_body = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let answer = Sdp::parse(&wire[at_body..]).unwrap();
    let offer = Sdp::parse(&offer).unwrap();
    let mine =
        NegotiatedMsrp::from_media(&offer.msrp().unwrap(), &answer.msrp().unwrap(), true).unwrap();
    assert_eq!(
        mine.setup,
        Setup::Passive,
        "Bob answered active: he connects"
    );
    let mut alice = Conversation::new(
        &mine,
        ConversationKind::FileTransfer { selector: None },
        ALICE,
        BOB,
    );
    alice.send_file("image/jpeg", file.clone()).unwrap();
    pump(&mut alice, &mut bob, Instant::now());
    let events = events(&mut bob);
    assert_eq!(rebuilt(&events), file);
    let (size, check) = completion(&events);
    assert_eq!(size, 40_000);
    assert_eq!(
        (check.size_matches, check.sha1_matches),
        (Some(true), Some(true))
    );
}

#[test]
fn a_conversation_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let (alice, _) = pair(ConversationKind::Chat, 2048);
    send(&alice);
    let sent = std::thread::spawn(move || {
        let mut alice = alice;
        alice.poll_transmit(Instant::now()).is_some()
    })
    .join()
    .unwrap();
    assert!(sent, "the active end's first SEND");
}
