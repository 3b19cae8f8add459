//! MSRP properties: any chunking and order of a message reassembles to its bytes, the
//! writer and reader agree, the stream reader does not depend on how bytes are cut,
//! and no input (random or mutated) makes any MSRP reader panic.

use std::time::Instant;

use bytes::Bytes;
use cpm_client::msrp::{
    salvage_start_line, ByteRange, Continuation, FailureReport, MsrpContent, MsrpEvent, MsrpFrame,
    MsrpLimits, MsrpRequestWriter, MsrpResponseWriter, MsrpSession, MsrpSessionConfig, MsrpStatus,
    MsrpStreamReader, MsrpUri, ReceivePolicy,
};
use cpm_client::sdp::Setup;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

const ALICE: &str = "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp";
const BOB: &str = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One SEND chunk of `content` covering `[start, end)`.
fn chunk(tid: usize, content: &[u8], start: usize, end: usize, star_total: bool) -> Bytes {
    let tid = format!("t{tid:04}x");
    let mut send = MsrpRequestWriter::send(&tid, BOB, ALICE);
    send.message_id = Some("prop1234");
    let last = end == content.len();
    send.byte_range = Some(ByteRange {
        start: start as u64 + 1,
        end: Some(end as u64),
        total: (!star_total || last).then_some(content.len() as u64),
    });
    send.content = Some(MsrpContent::new(
        "application/octet-stream",
        &content[start..end],
    ));
    send.continuation = if last {
        Continuation::Complete
    } else {
        Continuation::More
    };
    send.to_bytes().expect("a chunk")
}

/// A message, its cut points, and extra chunks (repeats and overlaps), shuffled.
fn chunked() -> impl Strategy<Value = (Vec<u8>, Vec<(usize, usize, bool)>)> {
    (1usize..3000)
        .prop_flat_map(|len| {
            (
                vec(any::<u8>(), len),
                vec(any::<Index>(), 0..12),
                vec((any::<Index>(), any::<Index>()), 0..6),
                vec(any::<bool>(), 32),
            )
        })
        .prop_flat_map(|(content, cuts, extra, stars)| {
            let len = content.len();
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(len)).collect();
            points.extend([0, len]);
            points.sort_unstable();
            points.dedup();
            let mut pieces: Vec<(usize, usize, bool)> = points
                .windows(2)
                .enumerate()
                .map(|(i, w)| (w[0], w[1], stars[i % stars.len()]))
                .collect();
            for (a, b) in extra {
                let (a, b) = (a.index(len), b.index(len) + 1);
                let (s, e) = (a.min(b), a.max(b).min(len));
                if s < e {
                    pieces.push((s, e, false));
                }
            }
            (Just(content), Just(pieces).prop_shuffle())
        })
}

fn receiver(policy: ReceivePolicy) -> MsrpSession {
    let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    config.receive = policy;
    MsrpSession::new(config)
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn any_chunking_and_order_reassembles_to_the_same_bytes(
        (content, pieces) in chunked(),
        sink in any::<bool>(),
    ) {
        let policy = if sink { ReceivePolicy::Sink } else { ReceivePolicy::Buffer };
        let mut bob = receiver(policy);
        let now = Instant::now();
        for (i, &(start, end, star)) in pieces.iter().enumerate() {
            bob.handle_frame(now, chunk(i, &content, start, end, star));
        }
        // Every chunk answered 200.
        let mut answers = 0;
        while let Some(bytes) = bob.poll_transmit(now) {
            let MsrpFrame::Response(r) = MsrpFrame::parse(bytes).unwrap() else { panic!() };
            prop_assert_eq!(r.code(), 200);
            answers += 1;
        }
        prop_assert_eq!(answers, pieces.len());
        let mut streamed = Vec::new();
        let mut whole = Vec::new();
        while let Some(event) = bob.poll_event() {
            match event {
                MsrpEvent::Data { offset, data, .. } => {
                    prop_assert_eq!(offset, streamed.len() as u64);
                    streamed.extend_from_slice(&data);
                }
                MsrpEvent::MessageReceived(m) => whole.push(m),
                MsrpEvent::ChunkReceived { received, .. } => {
                    prop_assert!(received < content.len() as u64);
                }
                MsrpEvent::MessageStarted { .. } | MsrpEvent::Established => {}
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(whole.len(), 1);
        prop_assert_eq!(whole[0].size, content.len() as u64);
        match &whole[0].body {
            Some(body) => prop_assert_eq!(&body[..], &content[..]),
            None => prop_assert_eq!(&streamed[..], &content[..]),
        }
        prop_assert!(bob.is_idle());
    }

    #[test]
    fn what_the_writer_writes_reads_back(
        body in proptest::option::of(vec(any::<u8>(), 0..200)),
        start in 1u64..1000,
        len in 0u64..1000,
        star_end in any::<bool>(),
        total_extra in proptest::option::of(0u64..1000),
        success in proptest::option::of(any::<bool>()),
        failure in proptest::option::of(0usize..3),
        flag in 0usize..3,
        status in proptest::option::of((0u16..1000, 100u16..1000)),
    ) {
        let range = ByteRange {
            start,
            end: (!star_end).then_some(start + len - 1 + u64::from(len == 0)),
            total: total_extra.map(|extra| start + len + extra),
        };
        prop_assume!(range.end.map_or(true, |e| e + 1 >= start && range.total.map_or(true, |t| e <= t)));
        let failure = failure.map(|i| [FailureReport::Yes, FailureReport::No, FailureReport::Partial][i]);
        let flag = [Continuation::Complete, Continuation::More, Continuation::Interrupted][flag];
        let mut send = MsrpRequestWriter::send("wr1te", BOB, ALICE);
        send.message_id = Some("m.1-2+3%4=5");
        send.byte_range = Some(range);
        send.success_report = success;
        send.failure_report = failure;
        send.status = status.map(|(namespace, code)| MsrpStatus { namespace, code, text: Some("Some text") });
        send.headers = &[("X-Ext", "value: with colon")];
        send.content = body.as_deref().map(|b| MsrpContent {
            content_type: "text/plain;charset=UTF-8",
            content_id: Some("<c1@x>"),
            content_description: Some("a part"),
            content_disposition: Some("render"),
            body: b,
        });
        send.continuation = flag;
        let Ok(bytes) = send.to_bytes() else {
            // Only a body holding the end-line is refused.
            prop_assert!(body.is_some());
            return Ok(());
        };
        let MsrpFrame::Request(r) = MsrpFrame::parse(bytes).unwrap() else { panic!() };
        prop_assert_eq!(r.transaction_id(), "wr1te");
        prop_assert_eq!(r.byte_range(), Some(range));
        prop_assert_eq!(r.success_report(), success);
        prop_assert_eq!(r.failure_report(), failure);
        prop_assert_eq!(r.status(), send.status);
        prop_assert_eq!(r.header("x-ext"), Some("value: with colon"));
        prop_assert_eq!(r.continuation(), flag);
        prop_assert_eq!(r.body(), body.as_deref());
        if body.is_some() {
            prop_assert_eq!(r.content_type(), Some("text/plain;charset=UTF-8"));
            prop_assert_eq!(r.content_id(), Some("<c1@x>"));
            prop_assert_eq!(r.content_description(), Some("a part"));
            prop_assert_eq!(r.content_disposition(), Some("render"));
        }
    }

    #[test]
    fn the_stream_reader_does_not_depend_on_the_cut(
        bodies in vec(vec(prop_oneof![Just(b'-'), Just(b'\r'), Just(b'\n'), Just(b'$'), Just(b'a'), any::<u8>()], 0..300), 1..6),
        cuts in vec(any::<Index>(), 0..20),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let tid = format!("tx{i:03}");
            let mut send = MsrpRequestWriter::send(&tid, BOB, ALICE);
            send.message_id = Some("mmmm");
            send.content = Some(MsrpContent::new("text/plain", body));
            let Ok(frame) = send.to_bytes() else { continue };
            wire.extend_from_slice(&frame);
            expected.push(frame);
            let ok = MsrpResponseWriter::new(&tid, 200, ALICE, BOB).to_bytes().unwrap();
            wire.extend_from_slice(&ok);
            expected.push(ok);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
        points.extend([0, wire.len()]);
        points.sort_unstable();
        let mut reader = MsrpStreamReader::new();
        let mut frames = Vec::new();
        for w in points.windows(2) {
            reader.push(&wire[w[0]..w[1]]);
            while let Some(frame) = reader.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        prop_assert_eq!(frames, expected);
    }
}

// ---- no panic on any input -------------------------------------------------------

/// Every MSRP reader over `bytes`: the format, the stream reader cut at `cut`, a
/// session, the URI and value readers.
fn check(bytes: &[u8], cut: usize) {
    let whole = Bytes::copy_from_slice(bytes);
    if let Ok(frame) = MsrpFrame::parse(whole.clone()) {
        // A frame that reads says the same things under parse_framed.
        let framed = MsrpFrame::parse_framed(whole.clone()).expect("reads framed too");
        assert_eq!(frame.transaction_id(), framed.transaction_id());
        if let MsrpFrame::Request(r) = &frame {
            let _ = (
                r.method(),
                r.to_path(),
                r.from_path(),
                r.message_id(),
                r.byte_range(),
            );
            let _ = (r.status(), r.content_type(), r.body(), r.headers().count());
        }
    }
    let _ = salvage_start_line(bytes);
    let text = String::from_utf8_lossy(bytes);
    let _ = MsrpUri::parse(&text);
    let _ = ByteRange::parse(&text);
    let _ = MsrpStatus::parse(&text);
    let limits = MsrpLimits {
        max_head_size: 512,
        max_body_size: 256,
    };
    let mut reader = MsrpStreamReader::with_limits(limits);
    let cut = cut.min(bytes.len());
    for piece in [&bytes[..cut], &bytes[cut..]] {
        reader.push(piece);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    let _ = MsrpFrame::parse_framed(frame);
                }
                Ok(None) => break,
                Err(e) if e.is_fatal() => break,
                Err(_) => {}
            }
        }
        assert!(reader.buffered() <= 512 + 256 + 64 + bytes.len());
    }
    let mut config = MsrpSessionConfig::new(BOB, ALICE, Setup::Passive);
    config.limits = limits;
    let mut session = MsrpSession::new(config);
    let now = Instant::now();
    session.handle_bytes(now, &bytes[..cut]);
    session.handle_bytes(now, &bytes[cut..]);
    session.handle_frame(now, whole);
    while session.poll_transmit(now).is_some() {}
    while session.poll_event().is_some() {}
    session.handle_timeout(now);
}

/// Seeds for mutation: messages of each kind.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut send = MsrpRequestWriter::send("seed0001", BOB, ALICE);
    send.message_id = Some("msg1");
    send.byte_range = Some(ByteRange {
        start: 1,
        end: Some(5),
        total: Some(10),
    });
    send.success_report = Some(true);
    send.failure_report = Some(FailureReport::Partial);
    send.content = Some(MsrpContent::new("text/plain", b"hello"));
    send.continuation = Continuation::More;
    out.push(send.to_bytes().unwrap().to_vec());
    let report = MsrpRequestWriter::report(
        "seed0002",
        ALICE,
        BOB,
        "msg1",
        ByteRange::whole(10),
        MsrpStatus::ok(),
    );
    out.push(report.to_bytes().unwrap().to_vec());
    out.push(
        MsrpResponseWriter::new("seed0001", 200, ALICE, BOB)
            .to_bytes()
            .unwrap()
            .to_vec(),
    );
    let mut empty = MsrpRequestWriter::send("seed0003", BOB, ALICE);
    empty.message_id = Some("msg2");
    out.push(empty.to_bytes().unwrap().to_vec());
    out
}

/// An edit a mutating fuzzer makes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Cut(Index),
    Duplicate(Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let punctuation = prop_oneof![
        Just(b'-'),
        Just(b'\r'),
        Just(b'\n'),
        Just(b'$'),
        Just(b'#'),
        Just(b'+'),
        Just(b' '),
        Just(b':'),
        Just(b'/'),
        Just(b'*'),
        Just(b'0'),
        Just(b'9'),
        any::<u8>()
    ];
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), punctuation).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Cut),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Flip(i, b) if !bytes.is_empty() => {
                let at = i.index(len);
                bytes[at] ^= b | 1;
            }
            Edit::Insert(i, b) => bytes.insert(i.index(len + 1).min(bytes.len()), *b),
            Edit::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i.index(len));
            }
            Edit::Cut(i) => bytes.truncate(i.index(len + 1)),
            Edit::Duplicate(a, b) if !bytes.is_empty() => {
                let (x, y) = (a.index(len), b.index(len));
                let piece = bytes[x.min(y)..x.max(y)].to_vec();
                let at = x.max(y);
                bytes.splice(at..at, piece);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600), cut in any::<usize>()) {
        check(&bytes, cut);
        let mut prefixed = b"MSRP abcd SEND\r\n".to_vec();
        prefixed.extend_from_slice(&bytes);
        check(&prefixed, cut);
    }

    #[test]
    fn mutated_messages_never_panic(
        seed in any::<Index>(),
        edits in vec(edit(), 1..8),
        cut in any::<usize>(),
    ) {
        let seeds = seeds();
        let bytes = apply(seeds[seed.index(seeds.len())].clone(), &edits);
        check(&bytes, cut);
    }
}

#[test]
fn seeds_pass_the_check() {
    for seed in seeds() {
        for cut in [0, 1, 7, seed.len()] {
            check(&seed, cut);
        }
    }
}
