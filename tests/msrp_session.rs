//! MSRP sessions (RFC 4975 sections 5 to 7), wired back to back in memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::ids::SequentialIds;
use cpm_client::msrp::{
    ByteRange, Continuation, ExpectedFile, FailureReport, MsrpContent, MsrpEvent, MsrpFrame,
    MsrpRequestWriter, MsrpSession, MsrpSessionConfig, ReceiveMode, ReceivePolicy,
};
use cpm_client::sdp::Setup;
use sha2::{Digest, Sha256};

const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";

fn pair(configure: impl Fn(&mut MsrpSessionConfig)) -> (MsrpSession, MsrpSession) {
    let mut a = MsrpSessionConfig::new(ALICE, BOB, Setup::Active);
    let mut b = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    configure(&mut a);
    configure(&mut b);
    (
        MsrpSession::with_ids(a, SequentialIds::new(1)),
        MsrpSession::with_ids(b, SequentialIds::new(2)),
    )
}

/// Moves bytes both ways until neither side has any; returns how many SENDs went
/// from `a` to `b`.
fn pump(a: &mut MsrpSession, b: &mut MsrpSession, now: Instant) -> usize {
    let mut sends = 0;
    loop {
        let mut moved = false;
        while let Some(bytes) = a.poll_transmit(now) {
            if bytes.windows(5).take(40).any(|w| w == b" SEND") {
                sends += 1;
            }
            b.handle_bytes(now, &bytes);
            moved = true;
        }
        while let Some(bytes) = b.poll_transmit(now) {
            a.handle_bytes(now, &bytes);
            moved = true;
        }
        if !moved {
            return sends;
        }
    }
}

fn events(session: &mut MsrpSession) -> Vec<MsrpEvent> {
    std::iter::from_fn(|| session.poll_event()).collect()
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
fn five_megabytes_in_small_and_large_chunks_arrive_whole() {
    let file = content(5_000_000, 7);
    let expected = Sha256::digest(&file);
    for chunk in [2 * 1024, 64 * 1024] {
        let (mut alice, mut bob) = pair(|_| {});
        let now = Instant::now();
        let id = alice
            .send(
                alice
                    .message("application/octet-stream", file.clone())
                    .chunk_size(chunk),
            )
            .unwrap();
        let sends = pump(&mut alice, &mut bob, now);
        assert_eq!(
            sends,
            1 + file.len().div_ceil(chunk),
            "the empty first SEND, then the chunks"
        );
        let received = events(&mut bob);
        let whole: Vec<_> = received
            .iter()
            .filter_map(|e| match e {
                MsrpEvent::MessageReceived(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].message_id, id);
        assert_eq!(whole[0].size, 5_000_000);
        assert_eq!(
            Sha256::digest(whole[0].body.as_ref().unwrap()),
            expected,
            "chunk {chunk}"
        );
        let progress = received
            .iter()
            .filter(|e| matches!(e, MsrpEvent::ChunkReceived { .. }))
            .count();
        assert_eq!(progress, file.len().div_ceil(chunk) - 1);
        let sent = events(&mut alice);
        assert!(sent.contains(&MsrpEvent::Established));
        assert!(sent.contains(&MsrpEvent::MessageSent {
            message_id: id.clone()
        }));
        assert!(sent.contains(&MsrpEvent::MessageAcknowledged {
            message_id: id.clone()
        }));
        assert!(sent.contains(&MsrpEvent::SendProgress {
            message_id: id,
            acknowledged: 5_000_000,
            total: 5_000_000
        }));
        assert!(alice.is_idle() && bob.is_idle());
        assert_eq!(alice.poll_timeout(), None);
    }
}

#[test]
fn a_file_received_into_the_sink_is_checked_against_its_selector() {
    let file = content(300_000, 3);
    let sha1: [u8; 20] = reference_sha1(&file);
    for (sha1, ok) in [(sha1, true), ([0; 20], false)] {
        let (mut alice, mut bob) = pair(|c| {
            c.receive = ReceivePolicy::Sink;
            c.expected_file = Some(ExpectedFile {
                size: Some(300_000),
                sha1: Some(sha1),
            });
        });
        let now = Instant::now();
        alice
            .send(alice.message("image/jpeg", file.clone()).chunk_size(10_000))
            .unwrap();
        pump(&mut alice, &mut bob, now);
        let mut rebuilt = Vec::new();
        let mut done = None;
        for event in events(&mut bob) {
            match event {
                MsrpEvent::Data { offset, data, .. } => {
                    assert_eq!(offset, rebuilt.len() as u64, "in order");
                    rebuilt.extend_from_slice(&data);
                }
                MsrpEvent::MessageStarted { mode, total, .. } => {
                    assert_eq!((mode, total), (ReceiveMode::Sink, Some(300_000)));
                }
                MsrpEvent::MessageReceived(m) => done = Some(m),
                _ => {}
            }
        }
        assert_eq!(rebuilt, file);
        let done = done.unwrap();
        assert_eq!((done.size, done.body), (300_000, None));
        let check = done.file_check.unwrap();
        assert_eq!(check.size_matches, Some(true));
        assert_eq!(check.sha1_matches, Some(ok));
        assert_eq!(check.is_ok(), ok);
    }
}

/// A plain SHA-1 (FIPS 180-4), written here for the test's expected values.
fn reference_sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[test]
fn the_reference_sha1_is_right() {
    // FIPS 180 example "abc".
    assert_eq!(
        reference_sha1(b"abc"),
        [
            0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
            0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d
        ]
    );
}

#[test]
fn the_active_end_sends_an_empty_send_first_and_the_passive_end_waits() {
    let (mut alice, mut bob) = pair(|_| {});
    let now = Instant::now();
    bob.send(bob.message("text/plain", "early")).unwrap();
    assert_eq!(
        bob.poll_transmit(now),
        None,
        "passive: nothing before the peer's first request"
    );
    alice.send(alice.message("text/plain", "hello")).unwrap();
    let first = alice.poll_transmit(now).unwrap();
    let MsrpFrame::Request(bootstrap) = MsrpFrame::parse(first.clone()).unwrap() else {
        panic!()
    };
    assert_eq!(bootstrap.body(), None);
    assert_eq!(bootstrap.byte_range(), Some(ByteRange::whole(0)));
    assert_eq!(bootstrap.to_path(), BOB);
    assert_eq!(bootstrap.from_path(), ALICE);
    bob.handle_bytes(now, &first);
    assert_eq!(events(&mut bob), vec![MsrpEvent::Established]);
    pump(&mut alice, &mut bob, now);
    let texts = |events: Vec<MsrpEvent>| -> Vec<Bytes> {
        events
            .into_iter()
            .filter_map(|e| match e {
                MsrpEvent::MessageReceived(m) => m.body,
                _ => None,
            })
            .collect()
    };
    assert_eq!(texts(events(&mut bob)), vec![Bytes::from_static(b"hello")]);
    assert_eq!(
        texts(events(&mut alice)),
        vec![Bytes::from_static(b"early")]
    );
}

/// A SEND chunk from Alice to `to`, written by hand.
#[allow(clippy::too_many_arguments)]
fn chunk(
    tid: &str,
    to: &str,
    message_id: &str,
    range: ByteRange,
    body: Option<&[u8]>,
    content_type: &str,
    flag: Continuation,
    failure: Option<FailureReport>,
) -> Bytes {
    let mut send = MsrpRequestWriter::send(tid, to, ALICE);
    send.message_id = Some(message_id);
    send.byte_range = Some(range);
    send.failure_report = failure;
    send.content = body.map(|b| MsrpContent::new(content_type, b));
    send.continuation = flag;
    send.to_bytes().unwrap()
}

fn range(start: u64, end: u64, total: u64) -> ByteRange {
    ByteRange {
        start,
        end: Some(end),
        total: Some(total),
    }
}

/// The status codes of the responses `session` has to send.
fn codes(session: &mut MsrpSession, now: Instant) -> Vec<u16> {
    std::iter::from_fn(|| session.poll_transmit(now))
        .filter_map(|bytes| match MsrpFrame::parse(bytes).unwrap() {
            MsrpFrame::Response(r) => Some(r.code()),
            MsrpFrame::Request(_) => None,
        })
        .collect()
}

#[test]
fn requests_for_another_session_or_method_are_refused() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    let other = "msrp://192.0.2.20:2856/someoneelse;tcp";
    bob.handle_frame(
        now,
        chunk(
            "tid1",
            other,
            "m001",
            range(1, 2, 2),
            Some(b"hi"),
            "text/plain",
            Continuation::Complete,
            None,
        ),
    );
    assert_eq!(codes(&mut bob, now), vec![481]);
    // The same URI written differently is ours (RFC 4975 section 6.1).
    let same = "MSRP://192.0.2.20:2856/z9y8x7w6v5;TCP";
    bob.handle_frame(
        now,
        chunk(
            "tid2",
            same,
            "m002",
            range(1, 2, 2),
            Some(b"hi"),
            "text/plain",
            Continuation::Complete,
            None,
        ),
    );
    assert_eq!(codes(&mut bob, now), vec![200]);
    let mut auth = MsrpRequestWriter::send("tid3", BOB, ALICE);
    auth.method = cpm_client::msrp::MsrpMethod::Other("AUTH");
    bob.handle_frame(now, auth.to_bytes().unwrap());
    assert_eq!(codes(&mut bob, now), vec![501]);
    let mut no_id = MsrpRequestWriter::send("tid4", BOB, ALICE);
    no_id.content = Some(MsrpContent::new("text/plain", b"x"));
    bob.handle_frame(now, no_id.to_bytes().unwrap());
    assert_eq!(codes(&mut bob, now), vec![400]);
    // Bytes that do not read: 400 when the start line does, and an event.
    bob.handle_frame(
        now,
        Bytes::from_static(b"MSRP tid5 SEND\r\nbroken\r\n-------tid5$\r\n"),
    );
    assert_eq!(codes(&mut bob, now), vec![400]);
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, MsrpEvent::Malformed { .. })));
}

#[test]
fn types_outside_accept_types_are_refused_415() {
    let (mut alice, mut bob) =
        pair(|c| c.accept_types = vec!["message/cpim".into(), "text/*".into()]);
    let now = Instant::now();
    alice
        .send(alice.message("text/plain;charset=UTF-8", "ok"))
        .unwrap();
    let png = alice
        .send(alice.message("image/png", vec![1u8; 5000]))
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let received = events(&mut bob);
    assert!(received.iter().any(|e| matches!(e, MsrpEvent::MessageReceived(m) if &*m.content_type == "text/plain;charset=UTF-8")));
    assert!(received.contains(&MsrpEvent::MessageRefused {
        message_id: png.clone(),
        code: 415
    }));
    assert!(events(&mut alice).iter().any(
        |e| matches!(e, MsrpEvent::SendFailed { message_id, code: 415, .. } if *message_id == png)
    ));
}

#[test]
fn over_max_size_the_receiver_answers_413_and_the_sender_stops() {
    let (mut alice, mut bob) = pair(|c| {
        c.max_size = Some(10_000);
        c.max_in_flight = 1;
    });
    let now = Instant::now();
    // The total is unknown to the receiver: chunks with `*` totals, sent by hand.
    let body = [b'x'; 4000];
    let mut outcome = Vec::new();
    for (i, start) in [1u64, 4001, 8001, 12001].into_iter().enumerate() {
        let r = ByteRange {
            start,
            end: Some(start + 3999),
            total: None,
        };
        bob.handle_frame(
            now,
            chunk(
                &format!("tid{i}"),
                BOB,
                "big1",
                r,
                Some(&body),
                "text/plain",
                Continuation::More,
                None,
            ),
        );
        outcome.extend(codes(&mut bob, now));
    }
    assert_eq!(
        outcome,
        vec![200, 200, 413, 413],
        "refused once past 10000, and after"
    );
    let refused: Vec<_> = events(&mut bob)
        .into_iter()
        .filter(|e| matches!(e, MsrpEvent::MessageRefused { code: 413, .. }))
        .collect();
    assert_eq!(refused.len(), 1);
    // A sender told 413 sends no more of the message (RFC 4975 section 10.5).
    let id = alice
        .send(
            alice
                .message("text/plain", vec![b'y'; 40_000])
                .chunk_size(4000),
        )
        .unwrap();
    let sends = pump(&mut alice, &mut bob, now);
    assert!(sends <= 1 + 4, "stopped early: {sends} SENDs");
    assert!(events(&mut alice).iter().any(
        |e| matches!(e, MsrpEvent::SendFailed { message_id, code: 413, .. } if *message_id == id)
    ));
    assert!(alice.is_idle());
}

#[test]
fn the_sender_refuses_what_is_over_the_peers_max_size() {
    let (mut alice, _) = pair(|c| c.peer_max_size = Some(10));
    assert!(alice
        .send(alice.message("text/plain", "01234567890"))
        .is_err());
    assert!(alice
        .send(alice.message("text/plain", "0123456789"))
        .is_ok());
    let other = cpm_client::msrp::MsrpMessage::new(BOB, "text/plain", "x");
    assert!(alice.send(other).is_err(), "another From-Path");
}

#[test]
fn success_reports_are_sent_and_matched() {
    let (mut alice, mut bob) = pair(|_| {});
    let now = Instant::now();
    let id = alice
        .send(
            alice
                .message("text/plain", vec![b'r'; 5000])
                .success_report(true)
                .chunk_size(2048),
        )
        .unwrap();
    pump(&mut alice, &mut bob, now);
    let events = events(&mut alice);
    let at = |wanted: &dyn Fn(&MsrpEvent) -> bool| events.iter().position(wanted).unwrap();
    let acknowledged = at(&|e| matches!(e, MsrpEvent::MessageAcknowledged { .. }));
    let reported = at(&|e| {
        *e == MsrpEvent::ReportReceived {
            message_id: id.clone(),
            code: 200,
            byte_range: Some(ByteRange::whole(5000)),
        }
    });
    assert!(
        reported > acknowledged,
        "the last 200 goes out before the REPORT"
    );
    assert!(alice.is_idle(), "the REPORT closes the wait");
}

#[test]
fn a_missing_report_times_out() {
    let (mut alice, mut bob) = pair(|c| c.report_timeout = Some(Duration::from_secs(60)));
    let now = Instant::now();
    let id = alice
        .send(alice.message("text/plain", "x").success_report(true))
        .unwrap();
    // Bob's REPORT is lost: deliver only responses.
    loop {
        let mut moved = false;
        while let Some(bytes) = alice.poll_transmit(now) {
            bob.handle_bytes(now, &bytes);
            moved = true;
        }
        while let Some(bytes) = bob.poll_transmit(now) {
            if !bytes.windows(7).any(|w| w == b" REPORT") {
                alice.handle_bytes(now, &bytes);
            }
            moved = true;
        }
        if !moved {
            break;
        }
    }
    assert_eq!(alice.poll_timeout(), Some(now + Duration::from_secs(60)));
    alice.handle_timeout(now + Duration::from_secs(59));
    assert!(!events(&mut alice)
        .iter()
        .any(|e| matches!(e, MsrpEvent::ReportTimedOut { .. })));
    alice.handle_timeout(now + Duration::from_secs(60));
    assert_eq!(
        events(&mut alice),
        vec![MsrpEvent::ReportTimedOut { message_id: id }]
    );
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn an_unanswered_send_fails_408_after_the_transaction_timeout() {
    let (mut alice, _) = pair(|_| {});
    let now = Instant::now();
    let id = alice.send(alice.message("text/plain", "lost")).unwrap();
    while alice.poll_transmit(now).is_some() {}
    assert_eq!(alice.poll_timeout(), Some(now + Duration::from_secs(30)));
    alice.handle_timeout(now + Duration::from_secs(29));
    assert!(!events(&mut alice)
        .iter()
        .any(|e| matches!(e, MsrpEvent::SendFailed { .. })));
    alice.handle_timeout(now + Duration::from_secs(30));
    let failed: Vec<u16> = events(&mut alice)
        .into_iter()
        .filter_map(|e| match e {
            MsrpEvent::SendFailed {
                message_id, code, ..
            } if message_id == id => Some(code),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![408]);
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn failure_report_no_and_partial_silence_the_200s() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    for (report, expected) in [
        (None, vec![200]),
        (Some(FailureReport::Yes), vec![200]),
        (Some(FailureReport::No), vec![]),
        (Some(FailureReport::Partial), vec![]),
    ] {
        bob.handle_frame(
            now,
            chunk(
                "tida",
                BOB,
                "m001",
                range(1, 2, 2),
                Some(b"hi"),
                "text/plain",
                Continuation::Complete,
                report,
            ),
        );
        assert_eq!(codes(&mut bob, now), expected, "{report:?}");
    }
    // Errors still go out under `partial`, not under `no`.
    let other = "msrp://192.0.2.20:2856/other;tcp";
    bob.handle_frame(
        now,
        chunk(
            "tidb",
            other,
            "m002",
            range(1, 2, 2),
            Some(b"hi"),
            "text/plain",
            Continuation::Complete,
            Some(FailureReport::Partial),
        ),
    );
    assert_eq!(codes(&mut bob, now), vec![481]);
    bob.handle_frame(
        now,
        chunk(
            "tidc",
            other,
            "m003",
            range(1, 2, 2),
            Some(b"hi"),
            "text/plain",
            Continuation::Complete,
            Some(FailureReport::No),
        ),
    );
    assert_eq!(codes(&mut bob, now), Vec::<u16>::new());
    // A sender under `partial` takes silence as success at the deadline.
    let (mut alice, _) = pair(|_| {});
    let id = alice
        .send(
            alice
                .message("text/plain", "p")
                .failure_report(FailureReport::Partial),
        )
        .unwrap();
    while alice.poll_transmit(now).is_some() {}
    alice.handle_timeout(now + Duration::from_secs(30));
    let events = events(&mut alice);
    assert!(events.contains(&MsrpEvent::SendProgress {
        message_id: id.clone(),
        acknowledged: 1,
        total: 1
    }));
    // (The empty first SEND, unanswered, fails; the message does not.)
    assert!(!events
        .iter()
        .any(|e| matches!(e, MsrpEvent::SendFailed { message_id, .. } if *message_id == id)));
}

#[test]
fn chunks_out_of_order_repeated_and_overlapping_count_once() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    let text = b"0123456789abcdefghij";
    let pieces: [(u64, u64, Continuation); 6] = [
        (11, 20, Continuation::Complete),
        (1, 5, Continuation::More),
        (1, 5, Continuation::More),
        (15, 18, Continuation::More),
        (4, 8, Continuation::More),
        (7, 12, Continuation::More),
    ];
    for (i, (start, end, flag)) in pieces.into_iter().enumerate() {
        let body = &text[start as usize - 1..end as usize];
        bob.handle_frame(
            now,
            chunk(
                &format!("tid{i}"),
                BOB,
                "mmm1",
                range(start, end, 20),
                Some(body),
                "text/plain",
                flag,
                None,
            ),
        );
    }
    assert_eq!(codes(&mut bob, now), vec![200; 6]);
    let received = events(&mut bob);
    let progress: Vec<u64> = received
        .iter()
        .filter_map(|e| match e {
            MsrpEvent::ChunkReceived { received, .. } => Some(*received),
            _ => None,
        })
        .collect();
    assert_eq!(progress, vec![10, 15, 15, 15, 18]);
    let whole = received.iter().find_map(|e| match e {
        MsrpEvent::MessageReceived(m) => Some(m),
        _ => None,
    });
    assert_eq!(whole.unwrap().body.as_deref(), Some(&text[..]));
    // A late repeat of a chunk of the whole message is answered and starts nothing.
    bob.handle_frame(
        now,
        chunk(
            "tid9",
            BOB,
            "mmm1",
            range(1, 5, 20),
            Some(&text[..5]),
            "text/plain",
            Continuation::More,
            None,
        ),
    );
    assert_eq!(codes(&mut bob, now), vec![200]);
    assert_eq!(events(&mut bob), vec![]);
    assert!(bob.is_idle());
}

#[test]
fn a_chunk_past_its_total_is_refused_400() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    // `*` end with a body that runs past the total.
    let r = ByteRange {
        start: 5,
        end: None,
        total: Some(6),
    };
    bob.handle_frame(
        now,
        chunk(
            "tid1",
            BOB,
            "mmm2",
            r,
            Some(b"toolong"),
            "text/plain",
            Continuation::More,
            None,
        ),
    );
    assert_eq!(codes(&mut bob, now), vec![400]);
}

#[test]
fn an_interrupted_message_is_dropped_and_reported() {
    let (mut alice, mut bob) = pair(|c| c.max_in_flight = 3);
    let now = Instant::now();
    let id = alice
        .send(
            alice
                .message("text/plain", vec![b'i'; 10_000])
                .chunk_size(1000),
        )
        .unwrap();
    // The first SEND and two chunks.
    for _ in 0..3 {
        let bytes = alice.poll_transmit(now).unwrap();
        bob.handle_bytes(now, &bytes);
    }
    assert!(alice.abort(&id));
    pump(&mut alice, &mut bob, now);
    let events = events(&mut bob);
    assert!(events.contains(&MsrpEvent::MessageInterrupted {
        message_id: id,
        received: 2000
    }));
    assert!(!events
        .iter()
        .any(|e| matches!(e, MsrpEvent::MessageReceived(_))));
    assert!(bob.is_idle());
}

#[test]
fn a_message_switched_to_the_sink_goes_out_in_order() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    let text = b"abcdefghijklmnopqrstuvwxyz";
    bob.handle_frame(
        now,
        chunk(
            "tid1",
            BOB,
            "sw01",
            range(1, 10, 26),
            Some(&text[..10]),
            "text/plain",
            Continuation::More,
            None,
        ),
    );
    bob.handle_frame(
        now,
        chunk(
            "tid2",
            BOB,
            "sw01",
            range(16, 20, 26),
            Some(&text[15..20]),
            "text/plain",
            Continuation::More,
            None,
        ),
    );
    let _ = events(&mut bob);
    let id: Arc<str> = Arc::from("sw01");
    assert!(bob.receive_into_sink(&id));
    assert!(!bob.receive_into_sink("none"));
    bob.handle_frame(
        now,
        chunk(
            "tid3",
            BOB,
            "sw01",
            range(11, 15, 26),
            Some(&text[10..15]),
            "text/plain",
            Continuation::More,
            None,
        ),
    );
    bob.handle_frame(
        now,
        chunk(
            "tid4",
            BOB,
            "sw01",
            range(21, 26, 26),
            Some(&text[20..]),
            "text/plain",
            Continuation::Complete,
            None,
        ),
    );
    let mut rebuilt = Vec::new();
    let mut done = false;
    for event in events(&mut bob) {
        match event {
            MsrpEvent::Data { offset, data, .. } => {
                assert_eq!(offset, rebuilt.len() as u64);
                rebuilt.extend_from_slice(&data);
            }
            MsrpEvent::MessageReceived(m) => {
                assert_eq!((m.size, m.body), (26, None));
                done = true;
            }
            _ => {}
        }
    }
    assert_eq!(rebuilt, text);
    assert!(done);
}

#[test]
fn the_dispatcher_hands_out_the_session_it_answered_with() {
    use cpm_client::{Decision, Dispatcher, FileTransferHandler, FileTransferInvitation};
    struct Take;
    impl FileTransferHandler for Take {
        fn file_transfer(&self, _: &FileTransferInvitation<'_>) -> Decision {
            Decision::accept()
        }
    }
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
        m=message 7777 TCP/MSRP *\r\na=accept-types:image/jpeg\r\n\
        a=file-selector:name:\"a.jpg\" type:image/jpeg size:300000 hash:sha-1:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB\r\n\
        a=file-transfer-id:ft1\r\na=path:msrp://192.0.2.7:7777/abcd1234;tcp\r\na=setup:actpass\r\na=sendonly\r\n";
    let invite = format!(
        "INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-ft\r\n\
         From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: ft-1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.7>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\"\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let dispatcher = Dispatcher::builder().file_transfer(Take).build();
    let outcome = dispatcher.dispatch(Bytes::from(invite));
    let response = outcome.response().unwrap();
    assert_eq!(response.status().code(), 200);
    let msrp = outcome.msrp().expect("the session answered");
    let answer = String::from_utf8_lossy(response.as_bytes());
    assert!(answer.contains(&format!("a=path:{}\r\n", msrp.local_path)));
    assert!(answer.contains(&format!("a=setup:{}\r\n", msrp.setup)));
    assert_eq!(msrp.remote_path, "msrp://192.0.2.7:7777/abcd1234;tcp");
    assert_eq!(
        msrp.setup,
        Setup::Active,
        "actpass answered active by default"
    );
    assert_eq!(msrp.remote_accept_types, vec!["image/jpeg".to_owned()]);
    let selector = msrp.file_selector.as_ref().unwrap();
    assert_eq!(selector.size, Some(300_000));
    let config = MsrpSessionConfig::from_negotiated(msrp).check_file(selector);
    assert_eq!(config.receive, ReceivePolicy::Sink);
    assert_eq!(config.expected_file.unwrap().sha1, Some([0xab; 20]));
    let session = MsrpSession::new(config);
    assert!(!session.is_established());
}

#[test]
fn a_pending_answer_hands_out_its_session_too() {
    use cpm_client::{Accept, Decision, Dispatcher, SessionHandler, SessionInvitation};
    struct Later;
    impl SessionHandler for Later {
        fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
            Decision::later()
        }
    }
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
        m=message 7777 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
        a=path:msrp://192.0.2.7:7777/abcd1234;tcp\r\na=max-size:1000\r\n";
    let invite = format!(
        "INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-s1\r\n\
         From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: s-1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.7>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let dispatcher = Dispatcher::builder().session(Later).build();
    let mut outcome = dispatcher.dispatch(Bytes::from(invite));
    assert!(outcome.msrp().is_none(), "180 only so far");
    let pending = outcome.take_pending().unwrap();
    let (response, msrp) = pending.accept_with_msrp(Accept::default().with_max_size(5000));
    assert_eq!(response.status().code(), 200);
    let msrp = msrp.unwrap();
    assert_eq!(
        msrp.setup,
        Setup::Passive,
        "an offer without a=setup is active"
    );
    assert_eq!(msrp.remote_path, "msrp://192.0.2.7:7777/abcd1234;tcp");
    assert_eq!(
        (msrp.max_size, msrp.remote_max_size),
        (Some(5000), Some(1000))
    );
    let config = MsrpSessionConfig::from_negotiated(&msrp);
    assert_eq!(config.peer_max_size, Some(1000));
    assert_eq!(config.accept_types, vec!["message/cpim".to_owned()]);
}

#[test]
fn a_broken_stream_is_reported_once() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    bob.handle_bytes(now, b"GET / HTTP/1.1\r\n\r\n");
    bob.handle_bytes(now, b"more");
    let failed = events(&mut bob)
        .into_iter()
        .filter(|e| matches!(e, MsrpEvent::StreamFailed { .. }))
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn chunks_on_one_connection_are_answered_byte_for_byte_and_their_paths_checked_each_time() {
    let (_, mut bob) = pair(|_| {});
    let now = Instant::now();
    let text = b"0123456789abcdefghij";
    // In order, then a gap filled later: appended, then zero-filled and overwritten.
    let pieces = [(1, 5), (6, 10), (16, 20), (11, 15)];
    for (i, (start, end)) in pieces.into_iter().enumerate() {
        let tid = format!("tidx{i}");
        let flag = if i == 3 {
            Continuation::Complete
        } else {
            Continuation::More
        };
        let body = &text[start as usize - 1..end as usize];
        let wire = chunk(
            &tid,
            BOB,
            "mmm2",
            range(start, end, 20),
            Some(body),
            "text/plain",
            flag,
            None,
        );
        bob.handle_bytes(now, &wire);
        let response = bob.poll_transmit(now).unwrap();
        let expected = cpm_client::msrp::MsrpResponseWriter::new(&tid, 200, ALICE, BOB)
            .to_bytes()
            .unwrap();
        assert_eq!(response, expected);
    }
    let whole = events(&mut bob).into_iter().find_map(|e| match e {
        MsrpEvent::MessageReceived(m) => Some(m),
        _ => None,
    });
    assert_eq!(whole.unwrap().body.as_deref(), Some(&text[..]));
    // A chunk whose To-Path differs from the last one by a byte is checked anew.
    let good = chunk(
        "tidy1",
        BOB,
        "mmm3",
        range(1, 5, 10),
        Some(&text[..5]),
        "text/plain",
        Continuation::More,
        None,
    );
    bob.handle_bytes(now, &good);
    assert_eq!(codes(&mut bob, now), vec![200]);
    let bad = String::from_utf8(good.to_vec())
        .unwrap()
        .replace("tidy1", "tidy2")
        .replace("msrp://192.0.2.20:2856/", "msrp://192.0.2.20:2856 /");
    bob.handle_bytes(now, bad.as_bytes());
    assert_eq!(codes(&mut bob, now), vec![400]);
    assert!(events(&mut bob)
        .iter()
        .any(|e| matches!(e, MsrpEvent::Malformed { .. })));
}

#[test]
fn reads_handed_over_whole_give_the_same_events_and_responses_however_cut() {
    // A message in chunks, a chunk for another session, one that does not read, a
    // message interrupted, a whole message in one chunk.
    let message = cpm_client::msrp::MsrpMessage::new(ALICE, "text/plain", content(5000, 7))
        .chunk_size(700)
        .message_id("m1a2b3c4")
        .chunks(BOB, &mut SequentialIds::new(5))
        .unwrap();
    let mut wire: Vec<u8> = message.concat();
    wire.extend_from_slice(&chunk(
        "t9o8t7h6",
        "msrp://192.0.2.99:2856/other;tcp",
        "m9o8t7h6",
        range(1, 3, 3),
        Some(b"abc"),
        "text/plain",
        Continuation::Complete,
        None,
    ));
    wire.extend_from_slice(b"MSRP b4d1d2d3 SEND\r\nTo-Path: x\r\n-------b4d1d2d3$\r\n");
    wire.extend_from_slice(&chunk(
        "t1n2t3r4",
        BOB,
        "m1n2t3r4",
        range(1, 4, 10),
        Some(b"abcd"),
        "text/plain",
        Continuation::More,
        None,
    ));
    wire.extend_from_slice(&chunk(
        "t1n2t3r5",
        BOB,
        "m1n2t3r4",
        range(5, 4, 10),
        None,
        "text/plain",
        Continuation::Interrupted,
        None,
    ));
    wire.extend_from_slice(&chunk(
        "w1h2o3l4",
        BOB,
        "w1h2o3l4",
        range(1, 5, 5),
        Some(b"whole"),
        "text/plain",
        Continuation::Complete,
        None,
    ));
    let now = Instant::now();
    for policy in [ReceivePolicy::Buffer, ReceivePolicy::Sink] {
        let session = || {
            let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
            config.receive = policy;
            MsrpSession::with_ids(config, SequentialIds::new(3))
        };
        // What a session writes and the events it gives, each in order.
        let run = |step: usize, owned: bool| {
            let mut bob = session();
            let (mut out, mut happened) = (Vec::new(), Vec::new());
            for read in wire.chunks(step) {
                if owned {
                    bob.handle_bytes_owned(now, Bytes::copy_from_slice(read));
                } else {
                    bob.handle_bytes(now, read);
                }
                out.extend(std::iter::from_fn(|| bob.poll_transmit(now)));
                happened.extend(events(&mut bob));
            }
            (out, happened)
        };
        let copied = run(wire.len(), false);
        assert!(copied.0.len() > 10 && copied.1.len() > 10);
        for step in [1, 2, 7, 64, 500, 1000, 1023, 1024, 1025, 3000, wire.len()] {
            let same = |run: (Vec<Bytes>, Vec<MsrpEvent>)| run == copied;
            assert!(
                same(run(step, false)),
                "{policy:?}, copied, reads of {step}"
            );
            assert!(
                same(run(step, true)),
                "{policy:?}, handed over, reads of {step}"
            );
        }
    }
}
