//! RFC 4475 conformance: every SIP torture test message of the RFC, as its archive holds
//! it (`tests/data/rfc4475/NAME.dat`), read and dispatched, and checked against the
//! outcome its row in `tests/data/rfc4475/outcomes.tsv` records.
//!
//! - A request the reader takes routes as the table says, through
//!   [`RoutedRequest::parse`] and [`route`] alike.
//! - A request the reader refuses gives the table's error, word for word, and a
//!   dispatcher with no handlers answers it with the table's status (400, or 505 for
//!   an unknown SIP version) and that error as the reason phrase, copying the request's
//!   CSeq as written; nothing is sent only where there is no Via to answer along.
//! - A response reaching the request reader is "not a request", and nothing is sent.
//! - Every refusal's text holds the table's key words.
//! - Every message the RFC calls invalid that the reader takes is explained in the
//!   documentation of `IncomingRequest`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use cpm_client::{route, Dispatcher, Handling, ParseError, RoutedRequest};

/// The RFC's word on a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
}

/// What the message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
}

/// One row of `outcomes.tsv`.
#[derive(Debug)]
struct Row {
    file: String,
    section: String,
    rfc: Verdict,
    kind: Kind,
    /// `Ok(route name)` or `Err(the error's text)`.
    outcome: Result<String, String>,
    /// The status a dispatcher with no handlers answers with; `None`: nothing sent.
    dispatch: Option<u16>,
    /// Words the refusal (the error, and the reason phrase when one is sent) holds.
    keywords: Vec<String>,
}

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475")
}

fn rows() -> Vec<Row> {
    let table = std::fs::read_to_string(folder().join("outcomes.tsv")).expect("outcomes.tsv");
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("file\tsection\trfc\tkind\toutcome\tdispatch\tkeywords\twhy"),
        "the columns of outcomes.tsv"
    );
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 8, "eight columns: {line}");
            let why = fields[7];
            assert!(!why.trim().is_empty(), "a row without a why: {line}");
            Row {
                file: fields[0].to_owned(),
                section: fields[1].to_owned(),
                rfc: match fields[2] {
                    "valid" => Verdict::Valid,
                    "invalid" => Verdict::Invalid,
                    other => panic!("rfc column {other:?}: {line}"),
                },
                kind: match fields[3] {
                    "request" => Kind::Request,
                    "response" => Kind::Response,
                    other => panic!("kind column {other:?}: {line}"),
                },
                outcome: match fields[4].strip_prefix("error: ") {
                    Some(text) => Err(text.to_owned()),
                    None => Ok(fields[4].to_owned()),
                },
                dispatch: match fields[5] {
                    "none" => None,
                    code => Some(code.parse().expect("a status code or none")),
                },
                keywords: match fields[6] {
                    "-" => Vec::new(),
                    words => words.split(';').map(str::to_owned).collect(),
                },
            }
        })
        .collect()
}

fn message(row: &Row) -> Bytes {
    let path = folder().join(&row.file);
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The reader's outcome in the table's words.
fn read(bytes: &Bytes) -> Result<String, ParseError> {
    RoutedRequest::parse(bytes.clone()).map(|request| request.route().as_str().to_owned())
}

#[test]
fn every_message_has_a_row_and_every_row_a_message() {
    let files: BTreeSet<String> = std::fs::read_dir(folder())
        .expect("tests/data/rfc4475")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| ![".gitattributes", "README.md", "outcomes.tsv"].contains(&name.as_str()))
        .collect();
    let rows = rows();
    let listed: BTreeSet<String> = rows.iter().map(|row| row.file.clone()).collect();
    assert_eq!(listed.len(), rows.len(), "a file listed twice");
    let unlisted: Vec<_> = files.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&files).collect();
    assert!(unlisted.is_empty(), "files with no row: {unlisted:?}");
    assert!(missing.is_empty(), "rows with no file: {missing:?}");

    // Section 3 of the RFC holds 49 messages: 13 valid and 19 invalid for the parser,
    // 1 for the transaction layer, 15 for the application layer, 1 from RFC 2543.
    assert_eq!(rows.len(), 49);
    let sections: BTreeSet<&str> = rows.iter().map(|row| row.section.as_str()).collect();
    assert_eq!(sections.len(), 49, "each section has one message");
    for (prefix, count) in [
        ("3.1.1.", 13),
        ("3.1.2.", 19),
        ("3.2.", 1),
        ("3.3.", 15),
        ("3.4.", 1),
    ] {
        let found = rows
            .iter()
            .filter(|row| row.section.starts_with(prefix))
            .count();
        assert_eq!(found, count, "messages in section {prefix}");
    }
    for row in &rows {
        assert!(row.file.ends_with(".dat"), "{}", row.file);
    }
}

#[test]
fn every_message_reads_as_the_table_says() {
    for row in rows() {
        let bytes = message(&row);
        let file = &row.file;
        let parsed = read(&bytes);
        let routed = route(&bytes).map(|r| r.as_str().to_owned());
        assert_eq!(parsed, routed, "{file}: parse and route disagree");
        match (&row.outcome, parsed) {
            (Ok(expected), Ok(got)) => assert_eq!(&got, expected, "{file}"),
            (Err(expected), Err(got)) => assert_eq!(&got.to_string(), expected, "{file}"),
            (expected, got) => panic!("{file}: expected {expected:?}, got {got:?}"),
        }
        if row.rfc == Verdict::Valid && row.kind == Kind::Request {
            assert!(row.outcome.is_ok(), "{file}: a valid request is refused");
        }
    }
}

#[test]
fn every_message_is_answered_as_the_table_says() {
    let dispatcher = Dispatcher::builder().build();
    for row in rows() {
        let bytes = message(&row);
        let file = &row.file;
        let outcome = dispatcher.dispatch(bytes.clone());
        match (row.dispatch, outcome.response()) {
            (None, None) => assert!(
                matches!(outcome.handling(), Handling::Malformed(_)),
                "{file}: {:?}",
                outcome.handling()
            ),
            (Some(status), Some(response)) => {
                assert_eq!(response.status().code(), status, "{file}");
                // The copied headers are as written, so a refusal's answer is framed
                // but may not read back; its lines are looked at as bytes.
                common::framed(response.as_bytes()).unwrap_or_else(|e| panic!("{file}: {e}"));
                let wire = text(response.as_bytes());
                let header = |name: &str| {
                    wire.split("\r\n")
                        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
                        .map(str::to_owned)
                };
                let reason = wire.split("\r\n").next().unwrap_or_default()[12..].to_owned();
                let request_cseq = text(
                    &bytes[..]
                        .split(|&b| b == b'\n')
                        .find(|line| line.starts_with(b"CSeq:"))
                        .map(|line| line[5..].trim_ascii().to_vec())
                        .unwrap_or_default(),
                );
                if !request_cseq.is_empty() {
                    assert_eq!(header("CSeq"), Some(request_cseq), "{file}");
                }
                // A refusal carries the reader's error as its reason phrase.
                if let Handling::Malformed(error) = outcome.handling() {
                    assert!(matches!(status, 400 | 505), "{file}: refused with {status}");
                    assert_eq!(reason, error.to_string(), "{file}");
                    if let Err(expected) = &row.outcome {
                        assert_eq!(&error.to_string(), expected, "{file}");
                    }
                } else {
                    assert!(
                        row.outcome.is_ok() && status != 400,
                        "{file}: {status} without a refusal: {:?}",
                        outcome.handling()
                    );
                }
            }
            (expected, got) => panic!(
                "{file}: expected {expected:?}, got {:?} ({})",
                got.map(|r| r.status().code()),
                outcome.handling()
            ),
        }
        if row.outcome.is_err() {
            assert_eq!(outcome.route(), None, "{file}: refused, yet routed");
        }
    }
}

#[test]
fn every_refusal_says_why() {
    let dispatcher = Dispatcher::builder().build();
    for row in rows() {
        let bytes = message(&row);
        let file = &row.file;
        let refused = row.outcome.is_err() || row.dispatch == Some(400);
        assert_eq!(
            refused,
            !row.keywords.is_empty(),
            "{file}: key words are for refusals, and every refusal has some"
        );
        let mut texts = Vec::new();
        if let Err(error) = read(&bytes) {
            texts.push(error.to_string());
        }
        if let Some(response) = dispatcher.dispatch(bytes).response() {
            if matches!(response.status().code(), 400 | 505) {
                let status_line = response.as_bytes().split(|&b| b == b'\r').next();
                texts.push(text(&status_line.unwrap_or_default()[12..]));
            }
        }
        assert_eq!(texts.is_empty(), row.keywords.is_empty(), "{file}");
        for said in &texts {
            for word in &row.keywords {
                assert!(
                    said.contains(word.as_str()),
                    "{file}: {said:?} lacks {word:?}"
                );
            }
        }
    }
}

#[test]
fn responses_are_not_requests_and_get_no_answer() {
    let dispatcher = Dispatcher::builder().build();
    let responses: Vec<Row> = rows()
        .into_iter()
        .filter(|row| row.kind == Kind::Response)
        .collect();
    let names: Vec<&str> = responses.iter().map(|row| row.file.as_str()).collect();
    assert_eq!(
        names,
        [
            "unreason.dat",
            "noreason.dat",
            "scalarlg.dat",
            "bigcode.dat",
            "bcast.dat"
        ]
    );
    for row in &responses {
        let bytes = message(row);
        let error = RoutedRequest::parse(bytes.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 1: not a request: the first line is a response status line",
            "{}",
            row.file
        );
        let outcome = dispatcher.dispatch(bytes);
        assert!(outcome.response().is_none(), "{}", row.file);
        assert!(
            matches!(outcome.handling(), Handling::Malformed(e) if e == &error),
            "{}",
            row.file
        );
    }
}

#[test]
fn the_invalid_requests_the_reader_takes_are_explained_in_the_docs() {
    let docs_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sip/request.rs");
    let docs = std::fs::read_to_string(&docs_path).expect("src/sip/request.rs");
    let section = docs
        .split_once("# RFC 4475 conformance")
        .map(|(_, rest)| rest)
        .expect("the IncomingRequest docs have an RFC 4475 section");
    let taken: Vec<Row> = rows()
        .into_iter()
        .filter(|row| row.rfc == Verdict::Invalid && row.outcome.is_ok())
        .collect();
    assert!(!taken.is_empty());
    for row in taken {
        let name = row.file.trim_end_matches(".dat");
        assert!(
            section.contains(&format!("`{name}`")),
            "{name} ({}) is taken by the reader but not explained in the docs",
            row.section
        );
    }
}

#[test]
fn baddn_as_the_rfc_prints_it_is_refused_for_its_display_name() {
    // The archive's baddn.dat stops after `l: 0` with no empty line, so the reader
    // refuses it as unterminated. The RFC's text shows the empty line; with it the
    // message reads, and the dispatcher refuses the unquoted display name in From.
    let archive = std::fs::read(folder().join("baddn.dat")).expect("baddn.dat");
    assert!(archive.ends_with(b"l: 0\r\n") && !archive.ends_with(b"\r\n\r\n"));
    let mut printed = archive;
    printed.extend_from_slice(b"\r\n");
    let printed = Bytes::from(printed);
    assert_eq!(read(&printed).as_deref(), Ok("not-cpm"));
    let outcome = Dispatcher::builder().build().dispatch(printed);
    let response = outcome.response().expect("a refusal");
    assert_eq!(response.status().code(), 400);
    assert_eq!(
        text(response.read().expect("reads").reason()),
        "line 4: malformed From header: not an address"
    );
}
