//! The stream reader ([`StreamReader`]) against the repository's sample messages and
//! generated ones.
//!
//! 1. Any stream of valid messages with keep-alives between them, cut at every byte or
//!    at random places, gives exactly those messages and keep-alives, in order
//!    (`sample_streams_come_out_whole`, `generated_streams_come_out_whole`,
//!    `every_sample_in_one_stream_one_byte_at_a_time`, `a_stream_cut_at_every_byte`).
//!    The samples are the messages of `tests/corpus`, `tests/data` and
//!    `examples/messages` whose Content-Length is right, by a check of this file's own
//!    ([`framing`]).
//! 2. A message without Content-Length is reported and the next message still comes,
//!    whatever the cut (`no_content_length_then_the_next_message_at_every_cut`,
//!    `a_broken_message_costs_only_itself`).
//! 3. The limit, at and one past, on every sample (`limit_at_and_one_past_on_every_sample`);
//!    a 1 MiB head without end; a huge Content-Length; arbitrary bytes under random
//!    limits never panic and never hold more than the limit plus one push
//!    (`arbitrary_bytes_stay_bounded`).
//!
//! Failures are not persisted to disk (no `proptest-regressions` files).

mod common;

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use bytes::Bytes;
use cpm_client::sip::{
    IncomingRequest, IncomingResponse, StreamError, StreamErrorKind, StreamItem, StreamReader,
};
use cpm_client::Limits;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes shown as an escaped byte string when a case fails.
#[derive(Clone, PartialEq, Eq)]
struct Wire(Vec<u8>);

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ({} bytes)", self.0.escape_ascii(), self.0.len())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `message` is framed as RFC 3261 section 18.3 says, checked without the
/// library: it does not start with CRLF, its head ends at the first CRLFCRLF, it has
/// Content-Length (or `l`) headers all with the same decimal value, folds joined, and
/// exactly that many bytes follow the head.
fn framing(message: &[u8]) -> bool {
    if message.starts_with(b"\r\n") {
        return false;
    }
    let Some(blank) = find(message, b"\r\n\r\n") else {
        return false;
    };
    let head = &message[..blank];
    let body = &message[blank + 4..];
    // Header lines, folded lines joined to the one above.
    let mut headers: Vec<Vec<u8>> = Vec::new();
    for (i, line) in head.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if i == 0 {
            continue;
        }
        match (line.first(), headers.last_mut()) {
            (Some(b' ' | b'\t'), Some(last)) => last.extend_from_slice(line),
            _ => headers.push(line.to_vec()),
        }
    }
    let mut lengths = Vec::new();
    for header in &headers {
        let Some(colon) = header.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = String::from_utf8_lossy(&header[..colon])
            .trim()
            .to_ascii_lowercase();
        if name == "content-length" || name == "l" {
            let value = String::from_utf8_lossy(&header[colon + 1..])
                .trim()
                .to_owned();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            lengths.push(value.parse::<usize>().ok());
        }
    }
    // The head must not hold a bare CR or LF: lines are cut at CRLF.
    let bare = head.iter().enumerate().any(|(i, &b)| {
        (b == b'\r' && head.get(i + 1) != Some(&b'\n'))
            || (b == b'\n' && (i == 0 || head[i - 1] != b'\r'))
    });
    !bare
        && !lengths.is_empty()
        && lengths.iter().all(|l| *l == lengths[0])
        && lengths[0] == Some(body.len())
}

/// The repository's sample messages whose framing is right.
fn samples() -> &'static [Vec<u8>] {
    static SAMPLES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut all: Vec<(String, Vec<u8>)> = common::sip_messages();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/messages");
        let entries = std::fs::read_dir(&examples).expect("examples/messages");
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "sip") {
                let bytes = std::fs::read(&path).expect("message");
                all.push((path.display().to_string(), bytes));
            }
        }
        let kept: Vec<Vec<u8>> = all
            .into_iter()
            .filter(|(_, bytes)| framing(bytes))
            .map(|(_, bytes)| bytes)
            .collect();
        assert!(kept.len() > 150, "only {} samples are framed", kept.len());
        kept
    })
}

/// A stream: messages, each after a run of CRLFs, and a run at the end.
struct Stream {
    wire: Vec<u8>,
    expected: Vec<StreamItem>,
}

/// The items a run of `crlfs` CRLFs gives: Pong, Ping, Pong, ...
fn keep_alives(crlfs: usize) -> impl Iterator<Item = StreamItem> {
    (0..crlfs).map(|i| {
        if i % 2 == 0 {
            StreamItem::Pong
        } else {
            StreamItem::Ping
        }
    })
}

fn stream(messages: &[&[u8]], runs: &[usize]) -> Stream {
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let run = runs.get(i).copied().unwrap_or(0);
        wire.extend(b"\r\n".repeat(run));
        expected.extend(keep_alives(run));
        wire.extend_from_slice(message);
        expected.push(StreamItem::message(Bytes::copy_from_slice(message)));
    }
    let tail = runs.get(messages.len()).copied().unwrap_or(0);
    wire.extend(b"\r\n".repeat(tail));
    expected.extend(keep_alives(tail));
    Stream { wire, expected }
}

/// Reads `wire` pushed in the pieces that `cuts` (offsets, any order) make, checking
/// after every push that the reader holds no more than the limit plus that push.
fn read(wire: &[u8], cuts: &[usize], limits: &Limits) -> Vec<Result<StreamItem, StreamError>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(wire.len())).collect();
    cuts.push(wire.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut reader = StreamReader::with_limits(limits);
    let mut out = Vec::new();
    let mut from = 0;
    for cut in cuts {
        reader.push(&wire[from..cut]);
        loop {
            match reader.next_item() {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    let fatal = e.is_fatal();
                    out.push(Err(e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
        assert!(
            reader.buffered() <= limits.max_message_size.max(1),
            "{} bytes held after Ok(None), limit {}",
            reader.buffered(),
            limits.max_message_size
        );
        from = cut;
    }
    out
}

/// Reads `wire` one byte at a time.
fn read_bytewise(wire: &[u8], limits: &Limits) -> Vec<Result<StreamItem, StreamError>> {
    let cuts: Vec<usize> = (1..wire.len()).collect();
    read(wire, &cuts, limits)
}

fn items_only(out: Vec<Result<StreamItem, StreamError>>) -> Result<Vec<StreamItem>, StreamError> {
    out.into_iter().collect()
}

/// Checks that `wire` gives `expected` pushed whole, one byte at a time and cut at
/// `cuts`.
fn check_stream(s: &Stream, cuts: &[usize]) -> Result<(), TestCaseError> {
    let whole = items_only(read(&s.wire, &[], &Limits::DEFAULT));
    prop_assert_eq!(
        whole.as_ref(),
        Ok(&s.expected),
        "pushed whole: {:?}",
        Wire(s.wire.clone())
    );
    let cut = items_only(read(&s.wire, cuts, &Limits::DEFAULT));
    prop_assert_eq!(
        cut.as_ref(),
        Ok(&s.expected),
        "cut at {:?}: {:?}",
        cuts,
        Wire(s.wire.clone())
    );
    let bytewise = items_only(read_bytewise(&s.wire, &Limits::DEFAULT));
    prop_assert_eq!(
        bytewise.as_ref(),
        Ok(&s.expected),
        "one byte at a time: {:?}",
        Wire(s.wire.clone())
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Generated messages
// ---------------------------------------------------------------------------------------

const METHODS: [&str; 10] = [
    "MESSAGE",
    "INVITE",
    "ACK",
    "BYE",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "UPDATE",
    "FOO",
];
const NAMES: [&str; 10] = [
    "Via",
    "v",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Content-Type",
    "Subject",
    "Accept-Contact",
    "X-Length",
];
/// How the generated message writes its Content-Length `{}`.
const LENGTH_STYLES: [&str; 8] = [
    "Content-Length: {}",
    "l: {}",
    "content-LENGTH :{}",
    "L:\r\n {}",
    "Content-Length: 000{}",
    "Content-Length:\t{} \t",
    "l: {}\r\nContent-Length: {}",
    "Content-Length: {}\r\n\t",
];
/// Pieces of bodies, some that look like the end of a head or a start line.
const BODY_PIECES: [&[u8]; 10] = [
    b"\r\n",
    b"\r\n\r\n",
    b"SIP/2.0 200 OK\r\n",
    b"MESSAGE sip:a@b SIP/2.0\r\n",
    b"l: 99\r\n",
    b"Content-Length: 3\r\n\r\n",
    b"hello",
    b"\0\xff",
    b" ",
    b"\r",
];

/// A well-framed message: a request or a status line, headers (some folded), a
/// Content-Length in one of [`LENGTH_STYLES`] somewhere among them, a body of pieces
/// that may look like SIP.
fn generated() -> impl Strategy<Value = Vec<u8>> {
    let request = (select(&METHODS[..]), "[a-z0-9+]{1,10}")
        .prop_map(|(method, user)| format!("{method} sip:{user}@example.net SIP/2.0"));
    let status = (100u16..700, "[A-Za-z ]{0,12}")
        .prop_map(|(code, reason)| format!("SIP/2.0 {code} {reason}"));
    let header =
        (select(&NAMES[..]), "[ -~]{0,40}", any::<bool>()).prop_map(|(name, value, fold)| {
            if fold {
                format!("{name}: {value}\r\n\t{value}")
            } else {
                format!("{name}: {value}")
            }
        });
    (
        prop_oneof![request, status],
        vec(header, 0..8),
        select(&LENGTH_STYLES[..]),
        any::<Index>(),
        vec(select(&BODY_PIECES[..]), 0..8),
    )
        .prop_map(|(start, mut headers, style, at, pieces)| {
            let body = pieces.concat();
            let length = style.replace("{}", &body.len().to_string());
            let at = at.index(headers.len() + 1);
            headers.insert(at, length);
            let mut message = start.into_bytes();
            for header in headers {
                message.extend_from_slice(b"\r\n");
                message.extend_from_slice(header.as_bytes());
            }
            message.extend_from_slice(b"\r\n\r\n");
            message.extend_from_slice(&body);
            message
        })
}

// ---------------------------------------------------------------------------------------
// 1. Valid streams come out whole
// ---------------------------------------------------------------------------------------

#[test]
fn the_samples_are_framed_and_the_check_refuses_broken_framing() {
    assert!(samples().len() > 150);
    assert!(
        !framing(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"),
        "no Content-Length"
    );
    assert!(
        !framing(b"OPTIONS sip:a@b SIP/2.0\r\nl: 2\r\n\r\nabc"),
        "long body"
    );
    assert!(
        !framing(b"OPTIONS sip:a@b SIP/2.0\r\nl: 2\r\nl: 3\r\n\r\nab"),
        "two values"
    );
    assert!(
        framing(b"OPTIONS sip:a@b SIP/2.0\r\nl:\r\n 2\r\n\r\nab"),
        "folded"
    );
}

#[test]
fn every_sample_in_one_stream_one_byte_at_a_time() {
    let messages: Vec<&[u8]> = samples().iter().map(Vec::as_slice).collect();
    let runs: Vec<usize> = (0..=messages.len()).map(|i| i % 4).collect();
    let s = stream(&messages, &runs);
    assert_eq!(
        items_only(read_bytewise(&s.wire, &Limits::DEFAULT)),
        Ok(s.expected.clone())
    );
    assert_eq!(
        items_only(read(&s.wire, &[], &Limits::DEFAULT)),
        Ok(s.expected.clone())
    );
    // And in the pieces a socket would give.
    let cuts: Vec<usize> = (0..s.wire.len()).step_by(1460).collect();
    assert_eq!(
        items_only(read(&s.wire, &cuts, &Limits::DEFAULT)),
        Ok(s.expected)
    );
}

#[test]
fn a_stream_cut_at_every_byte() {
    // A request, a response, a request with a body, with a ping and pongs between.
    let pager =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/messages/pager.sip"))
            .expect("pager.sip");
    let ok = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
        To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nl: 0\r\n\r\n";
    let s = stream(&[&pager, ok, &pager], &[1, 2, 3, 1]);
    for cut in 0..=s.wire.len() {
        assert_eq!(
            items_only(read(&s.wire, &[cut], &Limits::DEFAULT)),
            Ok(s.expected.clone()),
            "cut at {cut}"
        );
    }
    // The messages read back with the library's readers.
    for item in &s.expected {
        match item {
            StreamItem::Request(bytes) => assert!(IncomingRequest::parse(bytes.clone()).is_ok()),
            StreamItem::Response(bytes) => assert!(IncomingResponse::parse(bytes.clone()).is_ok()),
            StreamItem::Ping | StreamItem::Pong => {}
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Samples with keep-alives between them, cut at random places.
    #[test]
    fn sample_streams_come_out_whole(
        picks in vec(any::<Index>(), 1..8),
        runs in vec(0usize..5, 9),
        cuts in vec(any::<Index>(), 0..24),
    ) {
        let all = samples();
        let messages: Vec<&[u8]> = picks.iter().map(|i| all[i.index(all.len())].as_slice()).collect();
        let s = stream(&messages, &runs);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(s.wire.len() + 1)).collect();
        check_stream(&s, &cuts)?;
    }

    /// Generated messages, samples among them, with keep-alives, cut at random places.
    #[test]
    fn generated_streams_come_out_whole(
        generated in vec(generated(), 1..8),
        picks in vec(any::<Index>(), 0..3),
        runs in vec(0usize..5, 12),
        cuts in vec(any::<Index>(), 0..24),
    ) {
        let all = samples();
        let mut messages: Vec<&[u8]> = generated.iter().map(Vec::as_slice).collect();
        for (n, pick) in picks.iter().enumerate() {
            let at = (n * 3).min(messages.len());
            messages.insert(at, all[pick.index(all.len())].as_slice());
        }
        let s = stream(&messages, &runs);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(s.wire.len() + 1)).collect();
        check_stream(&s, &cuts)?;
    }
}

// ---------------------------------------------------------------------------------------
// 2. A message without Content-Length costs only itself
// ---------------------------------------------------------------------------------------

/// `message` with its Content-Length header removed.
fn without_length(message: &[u8]) -> Vec<u8> {
    let blank = find(message, b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&message[..blank + 2]).into_owned();
    let kept: Vec<&str> = head
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("content-length"))
        .collect();
    [kept.concat().as_bytes(), b"\r\n", &message[blank + 4..]].concat()
}

#[test]
fn no_content_length_then_the_next_message_at_every_cut() {
    let pager =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/messages/pager.sip"))
            .expect("pager.sip");
    let second = String::from_utf8_lossy(&pager)
        .replace("Call-ID: ", "Call-ID: second-")
        .into_bytes();
    // The first pager's head without Content-Length, a body `hi`, the second pager glued
    // to it: `hiMESSAGE sip:...`.
    let bare = without_length(&pager);
    let broken = [&bare[..find(&bare, b"\r\n\r\n").unwrap() + 4], b"hi"].concat();
    let wire = [&broken[..], &second].concat();
    let check = |out: Vec<Result<StreamItem, StreamError>>, how: &str| {
        assert_eq!(out.len(), 2, "{how}: {out:?}");
        let err = out[0].as_ref().unwrap_err();
        assert_eq!(err.kind(), &StreamErrorKind::MissingContentLength, "{how}");
        assert_eq!(err.offset(), 0);
        assert_eq!(err.head().map(|h| h.len()), Some(broken.len() - 2));
        assert_eq!(
            out[1],
            Ok(StreamItem::Request(Bytes::from(second.clone()))),
            "{how}"
        );
        let message = out[1].as_ref().unwrap().as_message().unwrap().clone();
        let request = IncomingRequest::parse(message).unwrap();
        let call_id = request.header("Call-ID").unwrap().value();
        assert!(call_id.starts_with(b"second-"), "{how}");
    };
    check(read(&wire, &[], &Limits::DEFAULT), "whole");
    check(read_bytewise(&wire, &Limits::DEFAULT), "one byte at a time");
    for cut in 0..=wire.len() {
        check(
            read(&wire, &[cut], &Limits::DEFAULT),
            &format!("cut at {cut}"),
        );
    }
}

/// Request-only messages for the resynchronisation property: known methods (the
/// reader finds the next request line by them) and lowercase bodies (no start line
/// inside, nothing that a method could be glued to).
fn plain_request() -> impl Strategy<Value = Vec<u8>> {
    (
        select(&METHODS[..9]),
        "[a-z0-9]{1,8}",
        "[a-z0-9 \r\n]{0,60}",
    )
        .prop_map(|(method, user, body)| {
            format!(
            "{method} sip:{user}@example.net SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK{user}\r\n\
             Call-ID: {user}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
            .into_bytes()
        })
}

proptest! {
    #![proptest_config(config(64))]

    /// One message of a stream loses its Content-Length: the reader reports it, and
    /// every other message and keep-alive comes as before, except the keep-alives right
    /// after the broken message (dropped with its body).
    #[test]
    fn a_broken_message_costs_only_itself(
        messages in vec(plain_request(), 2..6),
        broken in any::<Index>(),
        runs in vec(0usize..4, 7),
        cuts in vec(any::<Index>(), 0..16),
    ) {
        let broken = broken.index(messages.len());
        let mut parts: Vec<Vec<u8>> = messages.clone();
        parts[broken] = without_length(&messages[broken]);
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let s = stream(&refs, &runs);
        // What should come: the items of the valid stream, the broken message replaced
        // by an error and the keep-alives after it gone.
        let mut expected: Vec<Result<StreamItem, StreamErrorKind>> = Vec::new();
        for (i, message) in parts.iter().enumerate() {
            let run = runs.get(i).copied().unwrap_or(0);
            if i != broken + 1 {
                expected.extend(keep_alives(run).map(Ok));
            }
            if i == broken {
                expected.push(Err(StreamErrorKind::MissingContentLength));
            } else {
                expected.push(Ok(StreamItem::Request(Bytes::from(message.clone()))));
            }
        }
        if broken + 1 < parts.len() {
            expected.extend(keep_alives(runs.get(parts.len()).copied().unwrap_or(0)).map(Ok));
        }
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(s.wire.len() + 1)).collect();
        for out in [read(&s.wire, &cuts, &Limits::DEFAULT), read_bytewise(&s.wire, &Limits::DEFAULT)] {
            let got: Vec<Result<StreamItem, StreamErrorKind>> =
                out.into_iter().map(|r| r.map_err(|e| *e.kind())).collect();
            prop_assert_eq!(&got, &expected, "{:?}", Wire(s.wire.clone()));
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. Limits, and bounded memory on anything
// ---------------------------------------------------------------------------------------

#[test]
fn limit_at_and_one_past_on_every_sample() {
    let next = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
    for sample in samples() {
        let wire = [sample.as_slice(), next].concat();
        let at = Limits::DEFAULT.with_max_message_size(sample.len());
        let out = items_only(read(&wire, &[sample.len() / 2], &at)).expect("at the limit");
        assert_eq!(out[0].as_message().map(|m| m.len()), Some(sample.len()));
        let past = Limits::DEFAULT.with_max_message_size(sample.len() - 1);
        let out = read(&wire, &[sample.len() / 2], &past);
        let head = find(sample, b"\r\n\r\n").unwrap() + 4;
        if head == sample.len() {
            // No body: the head itself is over the limit, which is fatal.
            assert_eq!(out.len(), 1);
            assert_eq!(
                out[0].as_ref().unwrap_err().kind(),
                &StreamErrorKind::HeadTooLarge {
                    limit: sample.len() - 1
                }
            );
        } else {
            let err = out[0].as_ref().unwrap_err();
            assert_eq!(
                err.kind(),
                &StreamErrorKind::MessageTooLarge {
                    head,
                    content_length: (sample.len() - head) as u64,
                    limit: sample.len() - 1
                }
            );
            assert_eq!(err.head().map(|h| h.len()), Some(head));
            // The body skipped, the next message comes.
            assert_eq!(out[1], Ok(StreamItem::Request(Bytes::from_static(next))));
        }
    }
}

#[test]
fn a_mebibyte_head_without_end() {
    let mut wire = b"MESSAGE sip:a@b SIP/2.0\r\nSubject: ".to_vec();
    wire.resize(1 << 20, b'x');
    let cuts: Vec<usize> = (0..wire.len()).step_by(4096).collect();
    let out = read(&wire, &cuts, &Limits::DEFAULT);
    assert_eq!(out.len(), 1);
    let err = out[0].as_ref().unwrap_err();
    assert_eq!(
        err.kind(),
        &StreamErrorKind::HeadTooLarge { limit: 256 * 1024 }
    );
    assert!(err.is_fatal());
    assert_eq!(
        err.to_string(),
        "stream byte 0: no empty line ends the head within the limit of 262144 bytes"
    );
}

#[test]
fn a_huge_content_length() {
    for length in [
        "262145",
        "18446744073709551615",
        "99999999999999999999999999999",
    ] {
        let wire = format!("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: {length}\r\n\r\nhi");
        let out = read_bytewise(wire.as_bytes(), &Limits::DEFAULT);
        assert_eq!(out.len(), 1, "{length}");
        let err = out[0].as_ref().unwrap_err();
        assert!(!err.is_fatal());
        let StreamErrorKind::MessageTooLarge { content_length, .. } = err.kind() else {
            panic!("{length}: {err}");
        };
        assert_eq!(
            content_length.to_string(),
            length
                .parse::<u64>()
                .map_or(u64::MAX.to_string(), |n| n.to_string())
        );
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes, SIP-like pieces among them, under a random limit and cut at
    /// random: no panic, and never more held than the limit once the reader waits.
    #[test]
    fn arbitrary_bytes_stay_bounded(
        pieces in vec(prop_oneof![
            vec(any::<u8>(), 0..64),
            select(&BODY_PIECES[..]).prop_map(<[u8]>::to_vec),
            Just(b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec()),
            Just(b"l: 5\r\n".to_vec()),
        ], 0..40),
        limit in 0usize..300,
        cuts in vec(any::<Index>(), 0..16),
    ) {
        let wire = pieces.concat();
        let limits = Limits::DEFAULT.with_max_message_size(limit);
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        for item in read(&wire, &cuts, &limits).into_iter().flatten() {
            if let Some(message) = item.as_message() {
                prop_assert!(message.len() <= limit);
            }
        }
    }
}
