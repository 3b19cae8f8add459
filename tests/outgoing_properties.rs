//! Property tests of the outgoing builders over random user input: display names with
//! quotes, backslashes, non-ASCII and control characters; message text with CR, LF and
//! non-ASCII, up to long bodies; subjects; file names with spaces, quotes and percent
//! signs; participant lists.
//!
//! For every input a builder either returns a typed [`BuildError`] or a request that
//! - parses with the crate's own reader ([`RoutedRequest::parse`]) and with rsip,
//! - routes to the procedure built,
//! - has only the header lines the builder writes, each once, none of them holding a
//!   CR or LF of the input (no header injection),
//! - has a Content-Length equal to its body's length.
//!
//! And an error happens exactly when the input cannot be written (a control character
//! in a display name or subject, the pager limit).

use std::time::{Duration, SystemTime};

use cpm_client::outgoing::*;
use cpm_client::{route, Route, RoutedRequest};
use cpm_client::{BuildError, OutgoingRequest};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const BOB: &str = "sip:+15550100002@ims.example.net";

mod common;
use common::HEADERS;

fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text mixing ASCII, the characters that need escaping, controls and non-ASCII.
fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just(' '),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just('%'),
            1 => Just('<'),
            1 => Just(';'),
            1 => Just(':'),
            1 => Just('é'),
            1 => Just('漢'),
            1 => Just('😀'),
            1 => Just('\r'),
            1 => Just('\n'),
            1 => Just('\t'),
            1 => Just('\0'),
        ],
        0..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Text without control characters.
fn clean_text(max: usize) -> impl Strategy<Value = String> {
    tricky_text(max).prop_map(|t| t.chars().filter(|c| !c.is_control()).collect())
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn client(display_name: &str) -> Result<ClientConfig, BuildError> {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp)?,
    )?
    .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")?
    .with_display_name(display_name)
}

fn sent_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300)
}

/// The checks every built request must pass.
fn check(request: &OutgoingRequest, expected: Route) -> Result<(), TestCaseError> {
    let bytes = request.as_bytes();
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| TestCaseError::fail("no end of head"))?;
    let head =
        std::str::from_utf8(&bytes[..head_end]).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut seen = Vec::new();
    for (i, line) in head.split("\r\n").enumerate() {
        prop_assert!(
            !line.contains(['\r', '\n', '\0']),
            "control byte in line {i}: {line:?}"
        );
        if i == 0 {
            continue;
        }
        let (name, _) = line
            .split_once(": ")
            .ok_or_else(|| TestCaseError::fail(format!("not a header line: {line:?}")))?;
        let position = HEADERS
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| TestCaseError::fail(format!("injected header {name:?}")))?;
        seen.push(position);
    }
    prop_assert!(seen.windows(2).all(|w| w[0] < w[1]), "order or repetition");
    let length: usize = request
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| TestCaseError::fail("Content-Length"))?;
    prop_assert_eq!(length, request.body().len());
    prop_assert_eq!(route(bytes), Ok(expected));
    let read =
        RoutedRequest::parse(request.bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(read.route(), expected);
    prop_assert_eq!(read.body(), request.body());
    #[cfg(feature = "rsip")]
    request
        .to_rsip()
        .map_err(|e| TestCaseError::fail(format!("rsip: {e}")))?;
    Ok(())
}

proptest! {
    #![proptest_config(proptest_config(96))]

    #[test]
    fn pager_messages_stay_well_formed(
        name in tricky_text(24),
        to_name in tricky_text(12),
        text in tricky_text(400),
        seed in any::<u64>(),
    ) {
        let config = match client(&name) {
            Ok(config) => { prop_assert!(!has_control(&name)); config }
            Err(e) => {
                prop_assert!(has_control(&name));
                prop_assert_eq!(e, BuildError::ControlCharacter { field: "display name" });
                return Ok(());
            }
        };
        let built = Pager::new(BOB, Content::text(&text), sent_at())
            .to_display_name(&to_name)
            .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
            .build(&config, &mut SequentialIds::new(seed));
        match built {
            Ok(Standalone::Pager(request)) => {
                prop_assert!(!has_control(&to_name));
                check(&request, Route::Pager)?;
                // The text is in the body, whole.
                prop_assert!(request.body().ends_with(text.as_bytes()));
            }
            Ok(Standalone::LargeMessage(_)) => prop_assert!(false, "switched without being asked"),
            Err(BuildError::TooLargeForPagerMode { size, limit }) => prop_assert!(size > limit),
            Err(e) => {
                prop_assert!(has_control(&to_name), "{e}");
            }
        }
    }

    #[test]
    fn long_bodies_switch_to_large_message(
        text in clean_text(64).prop_flat_map(|t| (Just(t), 0usize..40)).prop_map(|(t, n)| t.repeat(n + 1)),
        chunk_size in 1usize..4096,
        seed in any::<u64>(),
    ) {
        let config = client("Al").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ids = &mut SequentialIds::new(seed);
        let built = Pager::new(BOB, Content::text(&text), sent_at())
            .switch_to_large_message(true)
            .build(&config, ids)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        match built {
            Standalone::Pager(request) => {
                prop_assert!(request.body().len() <= DEFAULT_PAGER_LIMIT);
                check(&request, Route::Pager)?;
            }
            Standalone::LargeMessage(large) => {
                check(&large.invite, Route::LargeMessage)?;
                let message = large.message.clone().chunk_size(chunk_size);
                let chunks = message
                    .chunks("msrp://192.0.2.20:9/peer;tcp", ids)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(chunks.len(), message.content().len().div_ceil(chunk_size));
                let last = chunks.last().map(|c| c.ends_with(b"$\r\n"));
                prop_assert_eq!(last, Some(true));
            }
        }
    }

    #[test]
    fn sessions_stay_well_formed(
        name in tricky_text(16),
        subject in tricky_text(40),
        participants in proptest::collection::vec(1u32..99_999, 1..6),
        seed in any::<u64>(),
    ) {
        let Ok(config) = client(&name) else {
            prop_assert!(has_control(&name));
            return Ok(());
        };
        let list: Vec<String> = participants.iter().map(|n| format!("sip:+1555{n:05}@ims.example.net")).collect();
        let ids = &mut SequentialIds::new(seed);
        match Session::group("sip:factory@ims.example.net", &list).subject(&subject).build(&config, ids) {
            Ok(group) => {
                prop_assert!(!has_control(&subject));
                check(&group, Route::Session)?;
                for uri in &list {
                    let entry = format!("<entry uri=\"{uri}\"/>");
                    let listed = String::from_utf8_lossy(group.body()).contains(&entry);
                    prop_assert!(listed);
                }
                let rejoin = Session::rejoin(
                    "sip:focus-1@ims.example.net",
                    group.header("Conversation-ID").unwrap_or_default(),
                    group.header("Contribution-ID").unwrap_or_default(),
                )
                .build(&config, ids)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
                check(&rejoin, Route::Session)?;
            }
            Err(e) => {
                prop_assert!(has_control(&subject));
                prop_assert_eq!(e, BuildError::ControlCharacter { field: "Subject" });
            }
        }
        let one = Session::one_to_one(BOB)
            .build(&config, ids)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&one, Route::Session)?;
    }

    #[test]
    fn file_names_stay_inside_the_file_selector(
        file_name in tricky_text(40),
        size in any::<u64>(),
        hash in proptest::option::of(any::<[u8; 20]>()),
        seed in any::<u64>(),
    ) {
        let config = client("Al").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut file = FileSelector::new(&file_name, "application/octet-stream", size);
        if let Some(hash) = hash {
            file = file.with_hash(cpm_client::sdp::FileHash::sha1(&hash));
        }
        match FileTransfer::new(BOB, file).build(&config, &mut SequentialIds::new(seed)) {
            Ok(request) => {
                check(&request, Route::FileTransfer)?;
                let sdp = std::str::from_utf8(request.body()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let selector: Vec<&str> = sdp.split("\r\n").filter(|l| l.starts_with("a=file-selector:")).collect();
                prop_assert_eq!(selector.len(), 1);
                let line = selector[0];
                // The name is one quoted string: exactly two quotes on the line.
                prop_assert_eq!(line.matches('"').count(), 2);
                let size_field = format!(" size:{size}");
                let size_ok = line.ends_with(&size_field) || line.contains(&format!("{size_field} hash:sha-1:"));
                prop_assert!(size_ok);
                // Decoding the quoted name gives the input back.
                let quoted = line.split('"').nth(1).unwrap_or_default();
                prop_assert_eq!(percent_decode(quoted), file_name);
            }
            Err(e) => {
                prop_assert!(file_name.is_empty(), "{e}");
            }
        }
    }
}

/// Undoes the RFC 5547 escapes the file selector writes.
fn percent_decode(text: &str) -> String {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
