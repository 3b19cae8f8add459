//! Limits and hostile input.
//!
//! Every hostile input is built here, at full size, from a small valid request: 1 MiB
//! of folded white space in one header, 100 000 headers, 10 000 Accept-Contact values,
//! quoted strings of 100 000 backslash escapes, truncated percent escapes, NUL and
//! invalid UTF-8 in header names and values, and Content-Length values past 2^64. For
//! each: the exact error (text with its line, and byte offset) from `route`, `routing`
//! and `RoutedRequest::parse_with` alike, and what `Dispatcher::dispatch` does with it
//! (400 or 513 with the error as reason phrase, copying what it finds of Via, From, To,
//! Call-ID and CSeq as written, so that some of these responses do not read back; or
//! nothing without a Via); or, where the library documents that
//! it accepts the input, the outcome it gives. With limits raised far enough, every
//! input is read to its end and routed.
//!
//! Then every limit, both sides: exactly the limit reads, one more is refused with the
//! error naming the limit (small custom `Limits`). And the MSRP chunk size at its edges.
//!
//! That the time of each grows linearly with its size is measured in
//! `benches/hostile.rs`, not asserted here.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cpm_client::outgoing::{ContactAddress, Content, LargeMessage, SequentialIds, Transport};
use cpm_client::sip::{IncomingResponse, NameAddr};
use cpm_client::{
    cpim::{CpimAddress, CpimMessage},
    sdp::FileSelector,
    RoutedRequest,
};
use cpm_client::{
    route, BuildError, ClientConfig, Decision, DeferredGroupSession, DeferredHandler, Dispatcher,
    FileTransferHandler, FileTransferInvitation, Handling, LargeMessageHandler,
    LargeMessageInvitation, Limits, Outcome, PagerHandler, PagerMessage, ParseError, RequestView,
    Route, Routing, SessionHandler, SessionInvitation, StatusCode,
};

const MSG: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";
const SESSION: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session";
const FILE_TRANSFER: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer";

/// Limits that let every input of this file through, so that the work is really done.
const ROOMY: Limits = Limits::DEFAULT
    .with_max_message_size(64 << 20)
    .with_max_headers(1 << 20)
    .with_max_header_size(64 << 20)
    .with_max_accept_contact_values(1 << 20)
    .with_max_params(1 << 20);

// ---------------------------------------------------------------------------------------
// Building requests
// ---------------------------------------------------------------------------------------

/// A request under construction. Line 1 is the request line; lines 2 to 6 are Via,
/// From, To, Call-ID and CSeq; lines pushed go from line 7 on; Content-Length (the
/// body's length unless told otherwise) is the last header.
#[derive(Clone)]
struct Req {
    method: &'static str,
    lines: Vec<Vec<u8>>,
    content_length: Option<Vec<u8>>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &'static str) -> Req {
        Req {
            method,
            lines: vec![
                b"Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-h1".to_vec(),
                b"From: <sip:alice@example.net>;tag=a1".to_vec(),
                b"To: <sip:bob@example.net>".to_vec(),
                b"Call-ID: hostile-1".to_vec(),
                format!("CSeq: 1 {method}").into_bytes(),
            ],
            content_length: Some(Vec::new()),
            body: Vec::new(),
        }
    }

    /// A MESSAGE naming the `msg` service: a pager message.
    fn pager() -> Req {
        Req::new("MESSAGE").push(format!("Accept-Contact: *;+g.3gpp.icsi-ref=\"{MSG}\""))
    }

    /// An INVITE naming the `session` service, with an MSRP offer.
    fn session() -> Req {
        Req::invite(&format!("*;+g.3gpp.icsi-ref=\"{SESSION}\""))
    }

    /// An INVITE with this Accept-Contact value and an MSRP offer: Contact on line 7,
    /// Accept-Contact on line 8, Content-Type on line 9.
    fn invite(accept_contact: &str) -> Req {
        Req::new("INVITE")
            .push("Contact: <sip:alice@192.0.2.7:5060>")
            .push(format!("Accept-Contact: {accept_contact}"))
            .push("Content-Type: application/sdp")
            .body(sdp(""))
    }

    /// Replaces line `line` (2 to 6: Via, From, To, Call-ID, CSeq).
    fn set(mut self, line: usize, text: impl AsRef<[u8]>) -> Req {
        self.lines[line - 2] = text.as_ref().to_vec();
        self
    }

    /// Replaces the line that starts with `prefix`.
    fn replace(mut self, prefix: &str, text: impl AsRef<[u8]>) -> Req {
        let line = self
            .lines
            .iter_mut()
            .find(|l| l.starts_with(prefix.as_bytes()))
            .expect("a line to replace");
        *line = text.as_ref().to_vec();
        self
    }

    fn push(mut self, text: impl AsRef<[u8]>) -> Req {
        self.lines.push(text.as_ref().to_vec());
        self
    }

    fn body(mut self, body: impl AsRef<[u8]>) -> Req {
        self.body = body.as_ref().to_vec();
        self
    }

    /// Content-Length written as given instead of the body's length.
    fn content_length(mut self, value: impl AsRef<[u8]>) -> Req {
        self.content_length = Some(value.as_ref().to_vec());
        self
    }

    fn no_content_length(mut self) -> Req {
        self.content_length = None;
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.body.len() + self.lines.iter().map(|l| l.len() + 2).sum::<usize>() + 128,
        );
        out.extend_from_slice(
            format!("{} sip:bob@example.net SIP/2.0\r\n", self.method).as_bytes(),
        );
        for line in &self.lines {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        match &self.content_length {
            Some(value) if value.is_empty() => {
                out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes())
            }
            Some(value) => {
                out.extend_from_slice(b"Content-Length: ");
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
            }
            None => {}
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// An SDP offer of one MSRP stream, with `extra` attribute lines (each ending in CRLF).
fn sdp(extra: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
         m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
         a=path:msrp://192.0.2.7:9/h1;tcp\r\na=setup:active\r\n{extra}a=sendonly\r\n"
    )
}

/// A CPIM body whose From header is `from`.
fn cpim(from: &[u8]) -> Vec<u8> {
    let mut body = b"From: ".to_vec();
    body.extend_from_slice(from);
    body.extend_from_slice(
        b"\r\nTo: <sip:bob@example.net>\r\nDateTime: 2025-01-01T00:00:00Z\r\n\r\n\
          Content-Type: text/plain\r\n\r\nHello",
    );
    body
}

/// The offset of the one occurrence of `needle` in `haystack`.
fn at(haystack: &[u8], needle: &[u8]) -> usize {
    let found = memchr::memmem::find(haystack, needle).expect("marker present");
    assert!(
        memchr::memmem::find(&haystack[found + 1..], needle).is_none(),
        "marker {:?} is not unique",
        String::from_utf8_lossy(needle)
    );
    found
}

/// The offset of the `n`-th (0-based) occurrence of `needle` in `haystack`.
fn nth(haystack: &[u8], needle: &[u8], n: usize) -> usize {
    memchr::memmem::find_iter(haystack, needle)
        .nth(n)
        .expect("enough occurrences")
}

/// The 1-based line of byte `offset`, counted independently of the library.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The value of the From line of `bytes`, up to its CRLF.
fn request_from(bytes: &[u8]) -> &[u8] {
    let start = at(bytes, b"\r\nFrom: ") + 8;
    let end = start + at(&bytes[start..], b"\r\nTo: ");
    &bytes[start..end]
}

/// `count` folds (CRLF SP), about `count * 3` bytes of white space.
fn folds(count: usize) -> String {
    "\r\n ".repeat(count)
}

/// The folds that make 1 MiB of white space.
const MIB_OF_FOLDS: usize = (1 << 20) / 3;

/// A quoted string of `count` backslash escapes (`\\` and `\"` alternating).
fn escapes(count: usize) -> String {
    let mut text = String::with_capacity(count * 2 + 2);
    text.push('"');
    for i in 0..count {
        text.push_str(if i % 2 == 0 { "\\\\" } else { "\\\"" });
    }
    text.push('"');
    text
}

// ---------------------------------------------------------------------------------------
// The dispatcher and what its handlers saw
// ---------------------------------------------------------------------------------------

/// Every handler accepts, and notes what it was handed.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<Vec<String>>>);

impl Notes {
    fn note(&self, text: String) {
        self.0.lock().unwrap().push(text);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl PagerHandler for Notes {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        let name = message
            .cpim()
            .and_then(|c| c.from())
            .and_then(|a| a.display_name)
            .map_or(0, str::len);
        let sender = message
            .sender()
            .and_then(|s| s.display_name())
            .map_or(0, <[u8]>::len);
        self.note(format!("pager cpim-name={name} sender-name={sender}"));
        Decision::accept()
    }
}

impl SessionHandler for Notes {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        self.note("session".into());
        Decision::accept()
    }
}

impl LargeMessageHandler for Notes {
    fn large_message(&self, _: &LargeMessageInvitation<'_>) -> Decision {
        self.note("large-message".into());
        Decision::accept()
    }
}

impl FileTransferHandler for Notes {
    fn file_transfer(&self, invitation: &FileTransferInvitation<'_>) -> Decision {
        let name = invitation
            .file_selector()
            .and_then(|f| f.name)
            .map_or(0, |name| name.len());
        self.note(format!("file-transfer name={name}"));
        Decision::accept()
    }
}

impl DeferredHandler for Notes {
    fn deferred_group_session(&self, _: &DeferredGroupSession<'_>) -> Decision {
        self.note("deferred".into());
        Decision::accept()
    }
}

/// A dispatcher under `limits` with every procedure handler but `other` (a MESSAGE that
/// names no CPM service gets the standard 403), and the notes its handlers write.
fn dispatcher(limits: Limits) -> (Dispatcher, Notes) {
    let notes = Notes::default();
    let dispatcher = Dispatcher::builder()
        .limits(limits)
        .pager(notes.clone())
        .session(notes.clone())
        .large_message(notes.clone())
        .file_transfer(notes.clone())
        .deferred(notes.clone())
        .build();
    (dispatcher, notes)
}

fn dispatch(bytes: &[u8], limits: Limits) -> (Outcome, Vec<String>) {
    let (dispatcher, notes) = dispatcher(limits);
    let outcome = dispatcher.dispatch(Bytes::copy_from_slice(bytes));
    (outcome, notes.take())
}

/// The response of `outcome` read back under `limits`: (status, reason).
fn read_back(outcome: &Outcome, limits: &Limits) -> (StatusCode, String) {
    let response = outcome.response().expect("a response");
    let read = IncomingResponse::parse_with(Bytes::copy_from_slice(response.as_bytes()), limits)
        .expect("the response reads back");
    assert_eq!(read.status(), response.status());
    (
        read.status(),
        String::from_utf8(read.reason().to_vec()).expect("UTF-8 reason"),
    )
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/// What the dispatcher does with a request the reader refuses (always
/// `Handling::Malformed` with the reader's error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// The error's status (400, 505 or 513) with the error as reason phrase; the
    /// response reads back.
    Error,
    /// The same status line, but the response copies a Via, From, To, Call-ID or CSeq
    /// as the request wrote it, broken or over the limits: it does not read back.
    Unreadable,
    /// Nothing: no Via to send a response along.
    Nothing,
}

/// Refused under the default limits for its size, before anything is read; the error
/// names the line the limit falls on.
fn too_large(bytes: &[u8], answer: Answer) -> ParseError {
    let limit = Limits::DEFAULT.max_message_size;
    let text = format!(
        "line {}: message of {} bytes exceeds the limit of {limit}",
        line_of(bytes, limit),
        bytes.len()
    );
    refused(bytes, &Limits::DEFAULT, &text, limit, answer)
}

/// The reader refuses `bytes` under `limits` with exactly `text` at byte `offset`
/// (`routing` and `parse_with` alike, and `route` under the default limits), and the
/// dispatcher answers as `answer` says. Returns the error.
fn refused(bytes: &[u8], limits: &Limits, text: &str, offset: usize, answer: Answer) -> ParseError {
    let error = Routing::read(bytes, limits).expect_err("refused");
    assert_eq!(error.to_string(), text);
    assert_eq!(error.offset(), offset, "offset of {text}");
    assert_eq!(error.line(), line_of(bytes, offset), "line of {text}");
    let parsed = RoutedRequest::parse_with(Bytes::copy_from_slice(bytes), limits);
    assert_eq!(parsed.err().as_ref(), Some(&error));
    if *limits == Limits::DEFAULT {
        assert_eq!(route(bytes).as_ref(), Err(&error));
    }
    let (outcome, notes) = dispatch(bytes, *limits);
    assert!(notes.is_empty(), "no handler runs: {notes:?}");
    assert_eq!(outcome.route(), None);
    assert!(outcome.request().is_none());
    assert_eq!(outcome.handling(), &Handling::Malformed(error.clone()));
    match answer {
        Answer::Error => {
            assert_eq!(
                read_back(&outcome, limits),
                (error.status_code(), text.to_string())
            );
        }
        Answer::Unreadable => {
            let response = outcome.response().expect("a response");
            let status_line = format!("SIP/2.0 {} {text}\r\n", error.status_code().code());
            assert!(response.as_bytes().starts_with(status_line.as_bytes()));
            let copy = Bytes::copy_from_slice(response.as_bytes());
            assert!(
                IncomingResponse::parse_with(copy, limits).is_err(),
                "{text}"
            );
        }
        Answer::Nothing => assert!(outcome.response().is_none()),
    }
    error
}

/// The reader accepts `bytes` under `limits` with route `expected` (`routing` and
/// `parse_with` agree); the dispatcher's outcome is returned with the handlers' notes.
fn accepted(
    bytes: &[u8],
    limits: &Limits,
    expected: Route,
) -> (RoutedRequest, Outcome, Vec<String>) {
    let routed = Routing::read(bytes, limits).expect("accepted");
    assert_eq!(routed.route, expected);
    let request = RoutedRequest::parse_with(Bytes::copy_from_slice(bytes), limits).expect("parses");
    assert_eq!(request.routing(), routed);
    if *limits == Limits::DEFAULT {
        assert_eq!(route(bytes), Ok(expected));
    }
    let (outcome, notes) = dispatch(bytes, *limits);
    assert_eq!(outcome.route(), Some(expected));
    (request, outcome, notes)
}

/// [`accepted`], and the dispatcher's response is `status` and reads back.
fn answered(
    bytes: &[u8],
    limits: &Limits,
    expected: Route,
    status: u16,
) -> (RoutedRequest, Vec<String>) {
    let (request, outcome, notes) = accepted(bytes, limits, expected);
    assert_eq!(
        read_back(&outcome, limits).0,
        status,
        "{:?}",
        outcome.handling()
    );
    (request, notes)
}

// ---------------------------------------------------------------------------------------
// 1 MiB of folded white space in one header
// ---------------------------------------------------------------------------------------

/// Raised message size, default header size: the reader stops at the header.
const BIG_MESSAGES: Limits = Limits::DEFAULT.with_max_message_size(4 << 20);

#[test]
fn a_mebibyte_of_folds_in_an_unread_header() {
    let req = Req::pager().push(format!("Subject: a{}b", folds(MIB_OF_FOLDS)));
    let bytes = req.bytes();
    assert!(bytes.len() > 1 << 20);
    // Default limits: over the message size before anything is read. The error names
    // the line the limit falls on.
    too_large(&bytes, Answer::Error);
    // Room for the message, not for the header.
    refused(
        &bytes,
        &BIG_MESSAGES,
        "line 8: header longer than 16384 bytes",
        at(&bytes, b"Subject:"),
        Answer::Error,
    );
    // Room for both: read to the end, routed, the folds kept in the value.
    let (request, notes) = answered(&bytes, &ROOMY, Route::Pager, 200);
    let subject = request.header("Subject").unwrap();
    assert_eq!(subject.value().len(), MIB_OF_FOLDS * 3 + 2);
    // Unfolded, the run of folds is one space.
    assert_eq!(&*subject.unfolded(), b"a b");
    assert_eq!(notes, ["pager cpim-name=0 sender-name=0"]);
}

#[test]
fn a_mebibyte_of_folds_inside_the_headers_the_reader_checks() {
    let ws = folds(MIB_OF_FOLDS);
    let quarter = folds(MIB_OF_FOLDS / 4);
    // Accept-Contact between its parameters, CSeq between number and method, Via
    // between sent-protocol and sent-by: each reader skips the white space.
    let cases = [
        (
            Req::new("MESSAGE").push(format!(
                "Accept-Contact: *;{quarter}+g.3gpp.icsi-ref{quarter}={quarter}\"{MSG}\"{quarter}"
            )),
            "Accept-Contact:",
        ),
        (Req::pager().set(6, format!("CSeq: 1{ws}MESSAGE")), "CSeq:"),
        (
            Req::pager().set(
                2,
                format!("Via: SIP/2.0/TCP{ws}192.0.2.7;branch=z9hG4bK-h1"),
            ),
            "Via:",
        ),
    ];
    for (req, name) in cases {
        let bytes = req.bytes();
        let start = at(&bytes, name.as_bytes());
        refused(
            &bytes,
            &BIG_MESSAGES,
            &format!(
                "line {}: header longer than 16384 bytes",
                line_of(&bytes, start)
            ),
            start,
            Answer::Error,
        );
        let (_, notes) = answered(&bytes, &ROOMY, Route::Pager, 200);
        assert_eq!(notes, ["pager cpim-name=0 sender-name=0"], "{name}");
    }
}

#[test]
fn a_mebibyte_of_folds_in_a_via_under_default_limits_is_answered_with_what_is_left() {
    // The message is cut at the size limit to salvage what a 513 copies; the cut falls
    // inside the Via, so From, To, Call-ID and CSeq are not found and the Via is cut:
    // the 513 goes out with that Via alone, and does not read back.
    let bytes = Req::pager()
        .set(
            2,
            format!(
                "Via: SIP/2.0/TCP{}192.0.2.7;branch=z9hG4bK-h1",
                folds(MIB_OF_FOLDS)
            ),
        )
        .bytes();
    too_large(&bytes, Answer::Unreadable);
}

#[test]
fn folds_alone_are_an_orphan_continuation_or_an_empty_value() {
    // Folds right after the request line belong to no header.
    let mut bytes = b"MESSAGE sip:bob@example.net SIP/2.0".to_vec();
    bytes.extend_from_slice(folds(1000).as_bytes());
    bytes.extend_from_slice(&Req::pager().bytes()[35..]);
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 2: folded line with no header above it",
        37,
        Answer::Error,
    );
    // A Call-ID of folds only is empty; the 400 copies it empty.
    let bytes = Req::pager()
        .set(5, format!("Call-ID:{}", folds(1000)))
        .bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 5: empty Call-ID header",
        at(&bytes, b"Call-ID:"),
        Answer::Unreadable,
    );
}

// ---------------------------------------------------------------------------------------
// 100 000 headers
// ---------------------------------------------------------------------------------------

/// `count` short extension headers, `X-n: n`.
fn many_headers(mut req: Req, count: usize) -> Req {
    for i in 0..count {
        req = req.push(format!("X-{i}: {i}"));
    }
    req
}

#[test]
fn a_hundred_thousand_headers() {
    let bytes = many_headers(Req::pager(), 100_000).bytes();
    too_large(&bytes, Answer::Error);
    // The 1025th header (line 1026) is one too many.
    refused(
        &bytes,
        &BIG_MESSAGES,
        "line 1026: more than 1024 headers",
        at(&bytes, b"\r\nX-1018: ") + 2,
        Answer::Error,
    );
    let (request, notes) = answered(&bytes, &ROOMY, Route::Pager, 200);
    assert_eq!(request.headers().count(), 100_007);
    assert_eq!(request.header("X-99999").unwrap().value(), b"99999");
    assert_eq!(notes, ["pager cpim-name=0 sender-name=0"]);
}

#[test]
fn required_headers_after_a_hundred_thousand_others() {
    // To, Call-ID, CSeq and Accept-Contact come after the flood: past the reader's
    // index of known headers (65 535 entries), found by walking.
    let mut req = Req::new("MESSAGE");
    let moved: Vec<Vec<u8>> = req.lines.drain(2..).collect();
    req = many_headers(req, 100_000);
    for line in moved {
        req = req.push(line);
    }
    let bytes = req
        .push(format!("Accept-Contact: *;+g.3gpp.icsi-ref=\"{MSG}\""))
        .push("Call-Info: <http://example.net/x>")
        .bytes();
    let (request, notes) = answered(&bytes, &ROOMY, Route::Pager, 200);
    assert_eq!(request.header("Call-ID").unwrap().value(), b"hostile-1");
    assert_eq!(
        request.header("call-info").unwrap().value(),
        b"<http://example.net/x>"
    );
    assert_eq!(notes, ["pager cpim-name=0 sender-name=0"]);
}

#[test]
fn twenty_thousand_vias_are_all_checked_and_copied() {
    // Fewer than the 100 000 above to keep the debug run short: each Via is checked
    // and copied into the response, which is read back.
    let mut req = Req::pager();
    for i in 0..20_000 {
        req = req.push(format!(
            "Via: SIP/2.0/UDP 192.0.2.{}:5060;branch=z9hG4bK{i}",
            i % 250
        ));
    }
    let bytes = req.bytes();
    let (_, outcome, _) = accepted(&bytes, &ROOMY, Route::Pager);
    let response = outcome.response().unwrap();
    let read =
        IncomingResponse::parse_with(Bytes::copy_from_slice(response.as_bytes()), &ROOMY).unwrap();
    assert_eq!(read.header_values("Via").count(), 20_001);
    // One broken Via among them is found, at its line.
    let bytes = req.clone().push("Via: SIP/2.0/UDP").bytes();
    refused(
        &bytes,
        &ROOMY,
        "line 20008: malformed Via: no space before sent-by",
        bytes.len() - 4 - "Content-Length: 0".len() - 2,
        Answer::Unreadable,
    );
}

// ---------------------------------------------------------------------------------------
// 10 000 Accept-Contact values
// ---------------------------------------------------------------------------------------

/// `headers` Accept-Contact headers of `per_header` values each: `*;video`, the last
/// one naming `tag` instead.
fn many_values(mut req: Req, headers: usize, per_header: usize, tag: &str) -> Req {
    for h in 0..headers {
        let mut line = String::from("Accept-Contact: ");
        for v in 0..per_header {
            if v > 0 {
                line.push_str(", ");
            }
            if h + 1 == headers && v + 1 == per_header {
                line.push_str(&format!("*;+g.3gpp.icsi-ref=\"{tag}\""));
            } else {
                line.push_str("*;video");
            }
        }
        req = req.push(line);
    }
    req
}

#[test]
fn ten_thousand_accept_contact_values_in_a_hundred_headers() {
    let bytes = many_values(Req::new("MESSAGE"), 100, 100, MSG).bytes();
    // The 129th value: the 29th of the second header (line 8).
    let second = nth(&bytes, b"Accept-Contact: ", 1);
    let value_29 = second + "Accept-Contact: ".len() + 28 * "*;video, ".len();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 8: more than 128 Accept-Contact values",
        value_29,
        Answer::Error,
    );
    let exactly = Limits::DEFAULT.with_max_accept_contact_values(10_000);
    answered(&bytes, &exactly, Route::Pager, 200);
    let one_more = many_values(Req::new("MESSAGE"), 100, 100, MSG)
        .push("Accept-Contact: *")
        .bytes();
    refused(
        &one_more,
        &exactly,
        "line 107: more than 10000 Accept-Contact values",
        at(&one_more, b"Accept-Contact: *\r\n") + "Accept-Contact: ".len(),
        Answer::Error,
    );
}

#[test]
fn ten_thousand_accept_contact_values_in_one_header() {
    let req = many_values(
        Req::new("INVITE").push("Contact: <sip:a@192.0.2.7>"),
        1,
        10_000,
        SESSION,
    );
    let bytes = req
        .push("Content-Type: application/sdp")
        .body(sdp(""))
        .bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 8: header longer than 16384 bytes",
        at(&bytes, b"Accept-Contact:"),
        Answer::Error,
    );
    let long_header = Limits::DEFAULT.with_max_header_size(1 << 20);
    refused(
        &bytes,
        &long_header,
        "line 8: more than 128 Accept-Contact values",
        at(&bytes, b"Accept-Contact:") + "Accept-Contact: ".len() + 128 * "*;video, ".len(),
        Answer::Error,
    );
    let (_, notes) = answered(&bytes, &ROOMY, Route::Session, 200);
    assert_eq!(notes, ["session"]);
}

// ---------------------------------------------------------------------------------------
// A quoted string of 100 000 backslash escapes
// ---------------------------------------------------------------------------------------

const ESCAPES: usize = 100_000;

/// Room for one 200 KB header; the message size stays the default.
const LONG_HEADERS: Limits = Limits::DEFAULT.with_max_header_size(1 << 20);

#[test]
fn escapes_in_a_display_name() {
    let name = escapes(ESCAPES);
    let bytes = Req::pager()
        .set(3, format!("From: {name} <sip:alice@example.net>;tag=a1"))
        .bytes();
    // The 400 copies the From, over the limit too.
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 3: header longer than 16384 bytes",
        at(&bytes, b"From:"),
        Answer::Unreadable,
    );
    let (request, notes) = answered(&bytes, &LONG_HEADERS, Route::Pager, 200);
    let sender = RequestView::new(&request).sender().unwrap();
    assert_eq!(sender.display_name().unwrap().len(), ESCAPES * 2);
    assert_eq!(sender.tag(), Some(&b"a1"[..]));
    assert_eq!(
        notes,
        [format!("pager cpim-name=0 sender-name={}", ESCAPES * 2)]
    );

    // The closing quote escaped: the string never ends, From is not an address. The
    // reader does not read From; the dispatcher refuses it.
    let open = &name[..name.len() - 1];
    let bytes = Req::pager()
        .set(
            3,
            format!("From: {open}\\\" <sip:alice@example.net>;tag=a1"),
        )
        .bytes();
    assert_eq!(
        Routing::read(&bytes, &LONG_HEADERS).unwrap().route,
        Route::Pager
    );
    let (outcome, notes) = dispatch(&bytes, LONG_HEADERS);
    assert!(notes.is_empty());
    let text = "line 3: malformed From header: not an address";
    assert!(matches!(outcome.handling(), Handling::Malformed(e) if e.to_string() == text));
    assert_eq!(
        read_back(&outcome, &LONG_HEADERS),
        (StatusCode::BAD_REQUEST, text.to_string())
    );
    let from = request_from(&bytes);
    assert!(NameAddr::parse(from).is_none());
}

#[test]
fn escapes_in_an_accept_contact_quoted_value() {
    let quoted = escapes(ESCAPES);
    // In the ICSI parameter itself: names no service.
    let bytes = Req::new("MESSAGE")
        .push(format!("Accept-Contact: *;+g.3gpp.icsi-ref={quoted}"))
        .bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 7: header longer than 16384 bytes",
        at(&bytes, b"Accept-Contact:"),
        Answer::Error,
    );
    let (outcome_request, notes) = answered(&bytes, &LONG_HEADERS, Route::NotCpm, 403);
    assert!(outcome_request.routing().tags.is_empty());
    assert!(notes.is_empty());
    // In another parameter before it: skipped, the ICSI after it found.
    let bytes = Req::new("MESSAGE")
        .push(format!(
            "Accept-Contact: *;x={quoted};+g.3gpp.icsi-ref=\"{MSG}\""
        ))
        .bytes();
    answered(&bytes, &LONG_HEADERS, Route::Pager, 200);
    // Never closed: refused at the opening quote.
    let open = &quoted[..quoted.len() - 1];
    let bytes = Req::new("MESSAGE")
        .push(format!(
            "Accept-Contact: *;+g.3gpp.icsi-ref=\"{MSG}\";x={open}\\\""
        ))
        .bytes();
    refused(
        &bytes,
        &LONG_HEADERS,
        "line 7: malformed Accept-Contact: unterminated quoted string",
        at(&bytes, b";x=\"") + 3,
        Answer::Error,
    );
}

#[test]
fn escapes_in_a_cpim_header() {
    let name = escapes(ESCAPES);
    let body = cpim(format!("{name} <sip:alice@example.net>").as_bytes());
    let cpim_message = CpimMessage::parse(&body).unwrap();
    let from = cpim_message.from().unwrap();
    assert_eq!(from.display_name.unwrap().len(), ESCAPES * 2);
    assert_eq!(from.uri, "sip:alice@example.net");
    // In a pager MESSAGE: the body is not a header, the default limits take it.
    let bytes = Req::pager()
        .push("Content-Type: message/cpim")
        .body(&body)
        .bytes();
    let (_, notes) = answered(&bytes, &Limits::DEFAULT, Route::Pager, 200);
    assert_eq!(
        notes,
        [format!("pager cpim-name={} sender-name=0", ESCAPES * 2)]
    );

    // Never closed: the address does not read, the rest of the message does.
    let open = format!("{}\\\" <sip:alice@example.net>", &name[..name.len() - 1]);
    let err = CpimAddress::parse(&open).unwrap_err();
    assert_eq!(
        err.to_string(),
        "byte 0: malformed address: unterminated quoted name"
    );
    let body = cpim(open.as_bytes());
    let cpim_message = CpimMessage::parse(&body).unwrap();
    assert!(cpim_message.from().is_none());
    assert_eq!(cpim_message.content(), b"Hello");
}

#[test]
fn backslashes_in_an_sdp_file_selector_name() {
    // RFC 5547 writes a file name percent-encoded between quotes, without escapes:
    // backslashes are part of the name.
    let name = "\\".repeat(ESCAPES * 2);
    let selector = format!("name:\"{name}\" type:image/jpeg size:100");
    let parsed = FileSelector::parse(&selector);
    assert_eq!(parsed.name.as_deref(), Some(name.as_str()));
    assert_eq!(parsed.size, Some(100));
    let bytes = Req::new("INVITE")
        .push("Contact: <sip:alice@192.0.2.7:5060>")
        .push(format!(
            "Accept-Contact: *;+g.3gpp.icsi-ref=\"{SESSION},{FILE_TRANSFER}\""
        ))
        .push("Content-Type: application/sdp")
        .body(sdp(&format!(
            "a=file-selector:{selector}\r\na=file-transfer-id:f1\r\n"
        )))
        .bytes();
    // With session beside filetransfer, the file selector decides (it is read).
    let (_, outcome, notes) = accepted(&bytes, &Limits::DEFAULT, Route::FileTransfer);
    assert_eq!(notes, [format!("file-transfer name={}", ESCAPES * 2)]);
    // The answer repeats the selector: 200 KB in its body.
    let (status, _) = read_back(&outcome, &Limits::DEFAULT);
    assert_eq!(status, 200);
    assert!(
        memchr::memmem::find(outcome.response().unwrap().as_bytes(), selector.as_bytes()).is_some()
    );
}

// ---------------------------------------------------------------------------------------
// A truncated percent escape at the end of a tag
// ---------------------------------------------------------------------------------------

#[test]
fn truncated_percent_escapes_name_no_service() {
    // Documented in `FeatureTag::match_value`: a truncated or invalid escape is no
    // match. The value still reads (it is grammatical); the request names no CPM
    // service. A MESSAGE with no handler for that is refused 403.
    for value in [
        format!("\"{MSG}%2\""),
        format!("\"{MSG}%\""),
        "\"%\"".to_string(),
        "\"%2\"".to_string(),
        "\"urn%3Aurn-7%3\"".to_string(),
        format!("{MSG}%2"),
        format!("{MSG}%"),
        "%".to_string(),
        "%2".to_string(),
        format!("\"<{MSG}%2>\""),
    ] {
        let bytes = Req::new("MESSAGE")
            .push(format!("Accept-Contact: *;+g.3gpp.icsi-ref={value}"))
            .bytes();
        let (request, notes) = answered(&bytes, &Limits::DEFAULT, Route::NotCpm, 403);
        assert!(request.routing().tags.is_empty(), "{value}");
        assert!(notes.is_empty());
    }
    // Beside a well-formed value in the same list, the good one counts.
    let bytes = Req::invite(&format!("*;+g.3gpp.icsi-ref=\"{MSG}%2,{SESSION}\"")).bytes();
    let (_, notes) = answered(&bytes, &Limits::DEFAULT, Route::Session, 200);
    assert_eq!(notes, ["session"]);
    // A `%` in a parameter name is a token character; at the end it is still one.
    let bytes = Req::new("MESSAGE")
        .push(format!("Accept-Contact: *;+g.3gpp.icsi-ref%=\"{MSG}\""))
        .bytes();
    answered(&bytes, &Limits::DEFAULT, Route::NotCpm, 403);
}

// ---------------------------------------------------------------------------------------
// NUL and invalid UTF-8 in header names and values
// ---------------------------------------------------------------------------------------

#[test]
fn nul_and_invalid_utf8_in_header_names_are_refused() {
    for name in [
        &b"X-N\0l"[..],
        b"\0",
        b"Subject\0",
        b"X-\xff",
        b"\xc3\x28",
        b"\xe2\x82",
        b"Accept-Contact\0",
        b"a\xff",
    ] {
        let mut line = name.to_vec();
        line.extend_from_slice(b": value");
        let bytes = Req::pager().push(&line).bytes();
        let start = at(&bytes, &line);
        refused(
            &bytes,
            &Limits::DEFAULT,
            "line 8: header name is not a token",
            start,
            Answer::Error,
        );
    }
    // In the name of a header the response copies: the Call-ID is not found under its
    // broken name, and the 400 goes without it.
    let bytes = Req::pager().set(5, b"Call-ID\0: hostile-1").bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 5: header name is not a token",
        at(&bytes, b"Call-ID\0"),
        Answer::Unreadable,
    );
    // In the name of the only Via: no way back, nothing is sent.
    let bytes = Req::pager()
        .set(2, b"Via\0: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-h1")
        .bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 2: header name is not a token",
        at(&bytes, b"Via\0"),
        Answer::Nothing,
    );
}

#[test]
fn nul_and_invalid_utf8_in_values_the_reader_leaves_alone_are_data() {
    // Subject, Call-ID and From are not read by the reader: their bytes are data, and
    // the response copies Call-ID and From as they are.
    let bytes = Req::pager()
        .set(3, b"From: \"\0\xff\xfe\" <sip:alice@example.net>;tag=a\0")
        .set(5, b"Call-ID: c\0\xff")
        .push(b"Subject: \0\xc3\x28\xff")
        .bytes();
    let (request, outcome, notes) = accepted(&bytes, &Limits::DEFAULT, Route::Pager);
    assert_eq!(
        request.header("Subject").unwrap().value(),
        b"\0\xc3\x28\xff"
    );
    assert_eq!(request.header("Subject").unwrap().value_str(), None);
    assert_eq!(notes, ["pager cpim-name=0 sender-name=3"]);
    let response = outcome.response().unwrap();
    let read = response.read().unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.header("Call-ID").unwrap().value(), b"c\0\xff");
}

#[test]
fn nul_and_invalid_utf8_in_values_the_reader_checks() {
    let cases: [(Req, &str, &[u8], Answer); 7] = [
        // Via: the host ends at the NUL, which is not a parameter. The 400 copies the
        // Via with the NUL written as a space (and reads back); an invalid UTF-8 byte is
        // copied as it is (and does not).
        (
            Req::pager().set(2, b"Via: SIP/2.0/TCP 192.0.2.7\0;branch=z9hG4bK-h1"),
            "line 2: malformed Via: unexpected character",
            b"\0;branch",
            Answer::Error,
        ),
        (
            Req::pager().set(2, b"Via: SIP/2.0/TCP 192.0.2.\xff7;branch=z9hG4bK-h1"),
            "line 2: malformed Via: unexpected character",
            b"\xff7",
            Answer::Unreadable,
        ),
        // CSeq: the method is not a token; the copied CSeq would not read either.
        (
            Req::pager().set(6, b"CSeq: 1 MESS\0AGE"),
            "line 6: CSeq is not a sequence number (0 to 4294967295) and a method",
            b"1 MESS",
            Answer::Unreadable,
        ),
        (
            Req::pager().set(6, b"CSeq: \xff1 MESSAGE"),
            "line 6: CSeq is not a sequence number (0 to 4294967295) and a method",
            b"\xff1 MESSAGE",
            Answer::Unreadable,
        ),
        // Content-Length: not a number.
        (
            Req::pager().content_length(b"0\0"),
            "line 8: Content-Length is not a number",
            b"0\0",
            Answer::Error,
        ),
        // Accept-Contact: a parameter name that is not a token, a name-addr broken by
        // a NUL before '<'.
        (
            Req::new("MESSAGE").push(b"Accept-Contact: *;\xff=1"),
            "line 7: malformed Accept-Contact: parameter name is not a token",
            b"\xff=1",
            Answer::Error,
        ),
        (
            Req::new("MESSAGE").push(b"Accept-Contact: Bob\0 <sip:b@x>"),
            "line 7: malformed Accept-Contact: value is neither '*' nor a name-addr",
            b"Bob\0",
            Answer::Error,
        ),
    ];
    for (req, text, marker, answer) in cases {
        let bytes = req.bytes();
        refused(&bytes, &Limits::DEFAULT, text, at(&bytes, marker), answer);
    }
}

#[test]
fn nul_and_invalid_utf8_inside_accept_contact_values_are_no_service() {
    // Inside a quoted value or a bare value (bare values are read leniently, anything
    // up to a separator, to take unencoded URNs) the bytes are data: the tag-value
    // matches no ICSI.
    for value in [format!("\"{MSG}\0\""), format!("{MSG}\0")] {
        let bytes = Req::new("MESSAGE")
            .push(format!("Accept-Contact: *;+g.3gpp.icsi-ref={value}"))
            .bytes();
        answered(&bytes, &Limits::DEFAULT, Route::NotCpm, 403);
    }
    let mut line = b"Accept-Contact: *;+g.3gpp.icsi-ref=\"".to_vec();
    line.extend_from_slice(MSG.as_bytes());
    line.extend_from_slice(b"\xff\"");
    let bytes = Req::new("MESSAGE").push(&line).bytes();
    answered(&bytes, &Limits::DEFAULT, Route::NotCpm, 403);
}

// ---------------------------------------------------------------------------------------
// Content-Length of 2^64 and friends
// ---------------------------------------------------------------------------------------

#[cfg(target_pointer_width = "64")]
#[test]
fn content_lengths_past_what_fits() {
    let body = "Hello";
    for value in [
        "18446744073709551616".to_string(),
        "99999999999999999999".to_string(),
        format!("1{}", "0".repeat(999)),
        "9".repeat(1000),
    ] {
        let bytes = Req::pager().body(body).content_length(&value).bytes();
        refused(
            &bytes,
            &Limits::DEFAULT,
            "line 8: Content-Length is not a number",
            at(&bytes, value.as_bytes()),
            Answer::Error,
        );
    }
    // 2^64 - 1 is a number; the body is not that long.
    let bytes = Req::pager()
        .body(body)
        .content_length("18446744073709551615")
        .bytes();
    refused(
        &bytes,
        &Limits::DEFAULT,
        "line 10: body has 5 bytes, Content-Length says 18446744073709551615",
        bytes.len(),
        Answer::Error,
    );
    // A thousand digits, leading zeros: a number like any other (RFC 3261's 1*DIGIT).
    let value = format!("{}5", "0".repeat(999));
    let bytes = Req::pager().body(body).content_length(&value).bytes();
    let (request, _) = answered(&bytes, &Limits::DEFAULT, Route::Pager, 200);
    assert_eq!(request.body(), b"Hello");
}

// ---------------------------------------------------------------------------------------
// Every limit, exactly at it and one past it
// ---------------------------------------------------------------------------------------

#[test]
fn max_message_size_both_sides() {
    let exact = Req::pager()
        .body("x".repeat(1000))
        .no_content_length()
        .bytes();
    let limits = Limits::DEFAULT.with_max_message_size(exact.len());
    answered(&exact, &limits, Route::Pager, 200);
    let over = Req::pager()
        .body("x".repeat(1001))
        .no_content_length()
        .bytes();
    assert_eq!(over.len(), exact.len() + 1);
    refused(
        &over,
        &limits,
        &format!(
            "line 9: message of {} bytes exceeds the limit of {}",
            over.len(),
            exact.len()
        ),
        exact.len(),
        Answer::Error,
    );
}

#[test]
fn max_headers_both_sides() {
    let limits = Limits::DEFAULT.with_max_headers(8);
    // Five required, Accept-Contact, Content-Length: seven, then one more.
    let exact = Req::pager().push("Subject: a").bytes();
    answered(&exact, &limits, Route::Pager, 200);
    // A folded header counts once.
    let folded = Req::pager()
        .push(format!("Subject: a{}b", folds(5)))
        .bytes();
    answered(&folded, &limits, Route::Pager, 200);
    let over = Req::pager()
        .push("Subject: a")
        .push("Priority: urgent")
        .bytes();
    refused(
        &over,
        &limits,
        "line 10: more than 8 headers",
        at(&over, b"Content-Length:"),
        Answer::Error,
    );
}

#[test]
fn max_header_size_both_sides() {
    let limits = Limits::DEFAULT.with_max_header_size(128);
    // Counted from the first byte of the name to the CRLF that ends the header.
    let subject = |len: usize| format!("Subject: {}", "s".repeat(len - "Subject: ".len()));
    let exact = Req::pager().push(subject(128)).bytes();
    answered(&exact, &limits, Route::Pager, 200);
    let over = Req::pager().push(subject(129)).bytes();
    refused(
        &over,
        &limits,
        "line 8: header longer than 128 bytes",
        at(&over, b"Subject:"),
        Answer::Error,
    );
    // Folds count: 128 bytes with two folds in them, then 129.
    let folded = |len: usize| {
        let head = format!("Subject: a{}b", folds(2));
        format!("{head}{}", "s".repeat(len - head.len()))
    };
    answered(
        &Req::pager().push(folded(128)).bytes(),
        &limits,
        Route::Pager,
        200,
    );
    let over = Req::pager().push(folded(129)).bytes();
    refused(
        &over,
        &limits,
        "line 8: header longer than 128 bytes",
        at(&over, b"Subject:"),
        Answer::Error,
    );
    // A header the response copies: the 400 copies it, over the limit too, so it does
    // not read back under these limits.
    let via = |len: usize| {
        let head = "Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-";
        format!("{head}{}", "b".repeat(len - head.len()))
    };
    answered(
        &Req::pager().set(2, via(128)).bytes(),
        &limits,
        Route::Pager,
        200,
    );
    let over = Req::pager().set(2, via(129)).bytes();
    refused(
        &over,
        &limits,
        "line 2: header longer than 128 bytes",
        at(&over, b"Via:"),
        Answer::Unreadable,
    );
}

#[test]
fn max_accept_contact_values_both_sides() {
    let limits = Limits::DEFAULT.with_max_accept_contact_values(3);
    // Counted over every Accept-Contact header of the request.
    let exact = Req::new("MESSAGE")
        .push("Accept-Contact: *;video, *")
        .push(format!("a: *;+g.3gpp.icsi-ref=\"{MSG}\""))
        .bytes();
    answered(&exact, &limits, Route::Pager, 200);
    let over = Req::new("MESSAGE")
        .push("Accept-Contact: *;video, *")
        .push(format!("a: *;+g.3gpp.icsi-ref=\"{MSG}\", <sip:x@y>"))
        .bytes();
    refused(
        &over,
        &limits,
        "line 8: more than 3 Accept-Contact values",
        at(&over, b"<sip:x@y>"),
        Answer::Error,
    );
}

#[test]
fn max_params_both_sides() {
    let limits = Limits::DEFAULT.with_max_params(3);
    // Accept-Contact: per value.
    let exact = Req::new("MESSAGE")
        .push(format!(
            "Accept-Contact: *;a;b;+g.3gpp.icsi-ref=\"{MSG}\", *;c;d;e"
        ))
        .bytes();
    answered(&exact, &limits, Route::Pager, 200);
    let over = Req::new("MESSAGE")
        .push(format!(
            "Accept-Contact: *;a;b;+g.3gpp.icsi-ref=\"{MSG}\", *;c;d;e;f"
        ))
        .bytes();
    refused(
        &over,
        &limits,
        "line 7: more than 3 parameters in one header value",
        at(&over, b";f"),
        Answer::Error,
    );
    // Contact, read on an INVITE.
    let contact = |params: &str| {
        Req::session()
            .replace(
                "Contact:",
                format!("Contact: <sip:alice@192.0.2.7>{params}"),
            )
            .bytes()
    };
    let (_, notes) = answered(&contact(";a;b;c"), &limits, Route::Session, 200);
    assert_eq!(notes, ["session"]);
    let over = contact(";a;b;c;d");
    refused(
        &over,
        &limits,
        "line 7: more than 3 parameters in one header value",
        at(&over, b";d"),
        Answer::Error,
    );
    // ... and not on a MESSAGE, where routing does not read it.
    answered(
        &Req::pager()
            .push("Contact: <sip:alice@192.0.2.7>;a;b;c;d")
            .bytes(),
        &limits,
        Route::Pager,
        200,
    );
    // Via, in the plain shape and in the general one; the 400 copies it, over the limit
    // too.
    for via in [
        "Via: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK-h1;a;b",
        "Via: SIP/2.0/TCP 192.0.2.7 ; branch=z9hG4bK-h1 ; a ; b",
    ] {
        answered(
            &Req::pager().set(2, via).bytes(),
            &limits,
            Route::Pager,
            200,
        );
        let over = Req::pager().set(2, format!("{via};c")).bytes();
        refused(
            &over,
            &limits,
            "line 2: more than 3 parameters in one header value",
            at(&over, b";c"),
            Answer::Unreadable,
        );
    }
}

#[test]
fn msrp_chunk_size_at_its_edges() {
    let config = ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap();
    let message = |size: usize| {
        LargeMessage::new(
            "sip:+15550100002@ims.example.net",
            Content::text("twelve bytes"),
            std::time::SystemTime::UNIX_EPOCH,
        )
        .chunk_size(size)
        .build(&config, &mut SequentialIds::new(7))
    };
    let to = "msrp://192.0.2.20:9/peer1;tcp";
    match message(0) {
        Err(BuildError::InvalidValue { field, value, .. }) => {
            assert_eq!((field, value.as_str()), ("chunk size", "0"))
        }
        other => panic!("chunk size 0: {other:?}"),
    }
    let one = message(1).unwrap();
    let cpim_len = one.message.content().len();
    assert!(cpim_len > 12);
    let ids = &mut SequentialIds::new(8);
    assert_eq!(one.chunks(to, ids).unwrap().len(), cpim_len);
    assert_eq!(message(cpim_len).unwrap().chunks(to, ids).unwrap().len(), 1);
    assert_eq!(
        message(cpim_len - 1)
            .unwrap()
            .chunks(to, ids)
            .unwrap()
            .len(),
        2
    );
    for size in [cpim_len + 1, usize::MAX] {
        assert_eq!(message(size).unwrap().chunks(to, ids).unwrap().len(), 1);
    }
    // The default, for the record of the Limits table.
    assert_eq!(cpm_client::msrp::DEFAULT_CHUNK_SIZE, 2048);
}
