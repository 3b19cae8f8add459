//! No loss: a mixed stream of 10 000 requests through one
//! `Dispatcher`, from four threads, and every one accounted for.
//!
//! The stream is drawn, with a fixed seed, from templates: valid requests of every
//! route (messages of `tests/data` and `tests/corpus`, each input with its own Call-ID),
//! OPTIONS, in-dialog requests, CANCEL, methods the client does not serve, requests the
//! reader refuses, hostile ones (over the limits, Content-Length past 2^64, NUL, escapes,
//! truncated percent escapes), a response and empty input. Each template says, from how
//! it was built and the dispatcher's documented rules, what its outcome must be: the
//! route, the kind of handling, the error kind, the handler called, and the status sent
//! now, if any. The test checks each input against its template, that every input got
//! exactly one outcome, and that the counts per route, per handling kind, per error
//! kind, per status and per handler add up to what the stream's composition says. Every
//! response, and every final response given later through a `PendingResponse`, reads
//! back and carries the Call-ID of its own request, but the 400s that copy a broken Via
//! or lack a Call-ID as the request did (the dispatcher answers a refused request that
//! has a Via with what it has): of those the status line is checked, and that they are
//! the ones the templates say.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use cpm_client::sip::IncomingResponse;
use cpm_client::{
    Decision, DeferredGroupSession, DeferredHandler, DialogHandler, Dispatcher,
    FileTransferHandler, FileTransferInvitation, Handling, InDialogRequest, LargeMessageHandler,
    LargeMessageInvitation, Limits, OtherRequestHandler, Outcome, PagerHandler, PagerMessage,
    RequestView, Route, SessionHandler, SessionInvitation, StatusCode,
};

const INPUTS: usize = 10_000;
const THREADS: usize = 4;

/// Limits small enough that hostile inputs stay small.
const LIMITS: Limits = Limits::DEFAULT
    .with_max_message_size(16 * 1024)
    .with_max_headers(64)
    .with_max_header_size(2048)
    .with_max_accept_contact_values(16)
    .with_max_params(16);

// ---------------------------------------------------------------------------------------
// Handlers: each counts its calls; some accept, some reject, one answers later
// ---------------------------------------------------------------------------------------

/// The handlers, in the order of [`Counts::handlers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Handler {
    Pager,
    LargeMessage,
    Session,
    FileTransfer,
    Deferred,
    Dialog,
    Other,
}

#[derive(Default)]
struct Calls([AtomicUsize; 7]);

impl Calls {
    fn count(&self, handler: Handler) {
        self.0[handler as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self, handler: Handler) -> usize {
        self.0[handler as usize].load(Ordering::Relaxed)
    }
}

/// The message of the panics the other-request handler is asked for.
const PLANNED: &str = "a planned panic";

/// Pager and file transfer accept; large message (486), deferred (603) and other
/// requests (488) are rejected (but a request with `Subject: panic` makes that handler
/// panic); the dialog handler accepts; sessions are answered later.
struct Handlers(&'static Calls);

impl PagerHandler for Handlers {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        self.0.count(Handler::Pager);
        Decision::accept()
    }
}

impl LargeMessageHandler for Handlers {
    fn large_message(&self, _: &LargeMessageInvitation<'_>) -> Decision {
        self.0.count(Handler::LargeMessage);
        Decision::reject(StatusCode::BUSY_HERE)
    }
}

impl SessionHandler for Handlers {
    fn session_invitation(&self, _: &SessionInvitation<'_>) -> Decision {
        self.0.count(Handler::Session);
        Decision::later()
    }
}

impl FileTransferHandler for Handlers {
    fn file_transfer(&self, _: &FileTransferInvitation<'_>) -> Decision {
        self.0.count(Handler::FileTransfer);
        Decision::accept()
    }
}

impl DeferredHandler for Handlers {
    fn deferred_group_session(&self, _: &DeferredGroupSession<'_>) -> Decision {
        self.0.count(Handler::Deferred);
        Decision::reject_with_reason(StatusCode::DECLINE, "Not now")
    }
}

impl DialogHandler for Handlers {
    fn in_dialog(&self, _: &InDialogRequest<'_>) -> Decision {
        self.0.count(Handler::Dialog);
        Decision::accept()
    }
}

impl OtherRequestHandler for Handlers {
    fn other_request(&self, request: &RequestView<'_>) -> Decision {
        self.0.count(Handler::Other);
        if request.subject() == Some("panic") {
            panic!("{PLANNED}");
        }
        Decision::reject(StatusCode::NOT_ACCEPTABLE_HERE)
    }
}

fn dispatcher(calls: &'static Calls) -> Dispatcher {
    Dispatcher::builder()
        .limits(LIMITS)
        .pager(Handlers(calls))
        .large_message(Handlers(calls))
        .session(Handlers(calls))
        .file_transfer(Handlers(calls))
        .deferred(Handlers(calls))
        .dialog(Handlers(calls))
        .other(Handlers(calls))
        .build()
}

// ---------------------------------------------------------------------------------------
// Templates and what each must give
// ---------------------------------------------------------------------------------------

/// What one input must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect {
    route: Option<Route>,
    /// The `Handling` variant, by name.
    handling: &'static str,
    /// For `Malformed`: the `ParseErrorKind` variant, by name.
    error: Option<&'static str>,
    handler: Option<Handler>,
    /// The status sent now, if anything is.
    status: Option<u16>,
    /// Whether that response reads back with the library's reader (it does not when
    /// it copies a Via, From, To, Call-ID or CSeq as broken as the request had it).
    readable: bool,
    /// Whether a `PendingResponse` comes back.
    pending: bool,
}

/// The handler of `route` decided.
const fn handled(route: Route, handler: Handler, status: Option<u16>) -> Expect {
    Expect {
        route: Some(route),
        handling: "Handled",
        error: None,
        readable: true,
        handler: Some(handler),
        status,
        pending: false,
    }
}

/// Answered by the dispatcher itself, no handler called.
const fn by_dispatcher(route: Route, handling: &'static str, status: u16) -> Expect {
    Expect {
        route: Some(route),
        handling,
        error: None,
        readable: true,
        handler: None,
        status: Some(status),
        pending: false,
    }
}

/// In a dialog (or CANCEL, ACK): the dialog handler decided.
const fn in_dialog(route: Route, status: Option<u16>) -> Expect {
    Expect {
        route: Some(route),
        handling: "InDialog",
        error: None,
        readable: true,
        handler: Some(Handler::Dialog),
        status,
        pending: false,
    }
}

/// The reader refused it (`route` is `None`), answered `status` with the error as
/// reason phrase, and the response reads back.
const fn refused(error: &'static str, status: u16) -> Expect {
    Expect {
        route: None,
        handling: "Malformed",
        error: Some(error),
        readable: true,
        handler: None,
        status: Some(status),
        pending: false,
    }
}

/// [`refused`], and the 400 copies what it found of the request as broken as it was:
/// it does not read back.
const fn refused_unreadable(error: &'static str) -> Expect {
    Expect {
        readable: false,
        ..refused(error, 400)
    }
}

/// The reader refused it and nothing is sent (no Via, or not a request).
const fn refused_silently(error: &'static str) -> Expect {
    Expect {
        status: None,
        ..refused(error, 400)
    }
}

struct Template {
    name: &'static str,
    /// With `Call-ID: {}` where the input's own Call-ID goes (or none).
    text: Vec<u8>,
    expect: Expect,
}

fn file(path: &str) -> Vec<u8> {
    let path = format!("{}/tests/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `text` with its first Call-ID value replaced by the `{}` placeholder.
fn placeholder(mut text: Vec<u8>) -> Vec<u8> {
    if let Some(at) = memchr::memmem::find(&text, b"\nCall-ID: ") {
        let start = at + "\nCall-ID: ".len();
        let end = start + memchr::memchr2(b'\r', b'\n', &text[start..]).unwrap();
        text.splice(start..end, b"{}".iter().copied());
    }
    text
}

/// Replaces the first `from` in `text` by `to`.
fn edit(mut text: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    let at = memchr::memmem::find(&text, from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} not in the template"));
    text.splice(at..at + from.len(), to.bytes());
    text
}

/// Inserts `lines` (each ending in CRLF) before the first header after the request line.
fn with_headers(text: Vec<u8>, lines: &str) -> Vec<u8> {
    let at = memchr::memmem::find(&text, b"\r\n").unwrap() + 2;
    let mut out = text[..at].to_vec();
    out.extend_from_slice(lines.as_bytes());
    out.extend_from_slice(&text[at..]);
    out
}

fn templates() -> Vec<Template> {
    use Route::*;
    let data = |name: &str| placeholder(file(&format!("data/{name}")));
    let corpus = |name: &str| placeholder(file(&format!("corpus/{name}")));
    let pager = data("row01-message-msg.sip");
    let session = data("row05-invite-session.sip");
    let bye = data("row10-bye-largemsg.sip");
    let options = data("row10-options-session.sip");
    let t = |name, text, expect| Template { name, text, expect };
    let later = Expect {
        pending: true,
        ..handled(Session, Handler::Session, Some(180))
    };
    vec![
        // Valid requests of every route.
        t(
            "pager",
            pager.clone(),
            handled(Pager, Handler::Pager, Some(200)),
        ),
        t(
            "pager (corpus, compact a:)",
            corpus("adv-compact-a-message-msg.sip"),
            handled(Pager, Handler::Pager, Some(200)),
        ),
        t(
            "large message",
            data("row07-invite-largemsg.sip"),
            handled(LargeMessage, Handler::LargeMessage, Some(486)),
        ),
        t(
            "stored message, deferred without focus",
            data("row08-invite-deferred-no-focus.sip"),
            handled(LargeMessage, Handler::LargeMessage, Some(486)),
        ),
        t(
            "deferred group session",
            data("row08-invite-deferred-isfocus.sip"),
            handled(DeferredGroupSession, Handler::Deferred, Some(603)),
        ),
        t("session, answered later", session.clone(), later),
        t(
            "session (corpus, folded)",
            corpus("adv-folded-ac-session.sip"),
            later,
        ),
        t(
            "file transfer",
            data("row04-invite-filetransfer.sip"),
            handled(FileTransfer, Handler::FileTransfer, Some(200)),
        ),
        t(
            "MESSAGE naming no service",
            data("row11-message-no-accept-contact.sip"),
            handled(NotCpm, Handler::Other, Some(488)),
        ),
        t(
            "MESSAGE naming no service, its handler panics",
            with_headers(
                data("row11-message-no-accept-contact.sip"),
                "Subject: panic\r\n",
            ),
            Expect {
                handling: "HandlerPanicked",
                ..handled(NotCpm, Handler::Other, Some(500))
            },
        ),
        t(
            "INVITE naming no CPM service",
            data("row11-invite-rcse-sip-im.sip"),
            handled(NotCpm, Handler::Other, Some(488)),
        ),
        // OPTIONS, dialogs, methods not served.
        t(
            "OPTIONS",
            options.clone(),
            by_dispatcher(NotCpm, "Options", 200),
        ),
        t("BYE in a dialog", bye.clone(), in_dialog(NotCpm, Some(200))),
        t(
            "ACK in a dialog",
            edit(edit(bye.clone(), "BYE sip", "ACK sip"), "6 BYE", "6 ACK"),
            in_dialog(NotCpm, None),
        ),
        t(
            "re-INVITE without the handler's SDP",
            edit(
                session.clone(),
                "To: <sip:+15557131571@ims.example.net>",
                "To: <sip:+15557131571@ims.example.net>;tag=x1",
            ),
            in_dialog(Session, Some(488)),
        ),
        t(
            "CANCEL",
            edit(
                edit(session.clone(), "INVITE sip", "CANCEL sip"),
                "57 INVITE",
                "57 CANCEL",
            ),
            in_dialog(NotCpm, Some(200)),
        ),
        t(
            "REGISTER",
            edit(
                edit(options.clone(), "OPTIONS sip", "REGISTER sip"),
                "37 OPTIONS",
                "37 REGISTER",
            ),
            by_dispatcher(NotCpm, "MethodNotServed", 405),
        ),
        t(
            "extension method",
            edit(
                edit(options.clone(), "OPTIONS sip", "FOO sip"),
                "37 OPTIONS",
                "37 FOO",
            ),
            by_dispatcher(NotCpm, "MethodNotServed", 501),
        ),
        t(
            "INFO in a dialog",
            data("row10-info-filetransfer.sip"),
            in_dialog(NotCpm, Some(200)),
        ),
        t(
            "INFO outside a dialog",
            edit(data("row10-info-filetransfer.sip"), ";tag=059ed57b", ""),
            by_dispatcher(NotCpm, "MethodNotServed", 481),
        ),
        t(
            "session requiring an extension",
            with_headers(session.clone(), "Require: foo\r\n"),
            by_dispatcher(Session, "UnsupportedExtension", 420),
        ),
        // Requests the reader refuses.
        t(
            "CSeq method mismatch",
            data("err-cseq-method-mismatch.sip"),
            refused("CSeqMethodMismatch", 400),
        ),
        t(
            "Content-Length not a number",
            data("err-content-length-non-numeric.sip"),
            refused("BadContentLength", 400),
        ),
        t(
            "body shorter than Content-Length",
            data("err-body-shorter-than-content-length.sip"),
            refused("BodyTooShort", 400),
        ),
        t(
            "NUL in a header name",
            data("err-header-name-with-nul.sip"),
            refused("BadHeaderName", 400),
        ),
        t(
            "bare LF line ends",
            data("err-bare-lf-line-endings.sip"),
            refused("BareLineEnd", 400),
        ),
        t(
            "two Call-IDs",
            data("err-two-call-id.sip"),
            refused("DuplicateHeader", 400),
        ),
        t(
            "unclosed quote in Accept-Contact",
            data("err-ac-unclosed-quote.sip"),
            refused("BadAcceptContact", 400),
        ),
        t(
            "SIP/3.0",
            data("err-reqline-version-sip3.sip"),
            refused("UnsupportedVersion", 505),
        ),
        t(
            "no Via",
            data("err-missing-via.sip"),
            refused_silently("MissingHeader"),
        ),
        t(
            "no Call-ID",
            data("err-missing-call-id.sip"),
            refused_unreadable("MissingHeader"),
        ),
        t(
            "empty Via parameter",
            data("err-via-empty-params.sip"),
            refused_unreadable("BadVia"),
        ),
        t(
            "From not an address",
            edit(
                pager.clone(),
                "From: <sip:+15555698982@ims.example.net>;tag=9360292d",
                "From: not an address;tag=1",
            ),
            Expect {
                route: Some(Pager),
                ..refused("BadAddress", 400)
            },
        ),
        // Hostile.
        t(
            "17 Accept-Contact values",
            with_headers(
                pager.clone(),
                &format!("Accept-Contact: {}\r\n", vec!["*"; 16].join(", ")),
            ),
            refused("TooManyAcceptContactValues", 400),
        ),
        t(
            "65 headers",
            with_headers(
                pager.clone(),
                &(0..52)
                    .map(|i| format!("X-{i}: {i}\r\n"))
                    .collect::<String>(),
            ),
            refused("TooManyHeaders", 400),
        ),
        t(
            "3 KB of folds in Subject",
            with_headers(
                pager.clone(),
                &format!("Subject: a{}b\r\n", "\r\n ".repeat(1000)),
            ),
            refused("HeaderTooLong", 400),
        ),
        t(
            "over 16 KiB",
            {
                let mut text = edit(
                    pager.clone(),
                    "Content-Length: 340",
                    "Content-Length: 17340",
                );
                text.resize(text.len() + 17_000, b'x');
                text
            },
            refused("MessageTooLarge", 513),
        ),
        t(
            "Content-Length 2^64",
            edit(
                pager.clone(),
                "Content-Length: 340",
                "Content-Length: 18446744073709551616",
            ),
            refused("BadContentLength", 400),
        ),
        t(
            "NUL in Via",
            edit(pager.clone(), "203.0.113.52:5060;", "203.0.113.52:5060\0;"),
            refused("BadVia", 400),
        ),
        t(
            "truncated percent escape",
            edit(pager.clone(), "oma.cpm.msg\"", "oma.cpm.msg%2\""),
            handled(NotCpm, Handler::Other, Some(488)),
        ),
        t(
            "500 escapes in a display name",
            edit(
                pager.clone(),
                "From: <sip:+15555698982",
                &format!("From: \"{}\" <sip:+15555698982", "\\\"".repeat(500)),
            ),
            handled(Pager, Handler::Pager, Some(200)),
        ),
        t(
            "unterminated display name",
            edit(
                pager.clone(),
                "From: <sip:+15555698982",
                &format!("From: \"{}\\\" <sip:+15555698982", "\\\\".repeat(500)),
            ),
            Expect {
                route: Some(Pager),
                ..refused("BadAddress", 400)
            },
        ),
        // Not requests at all.
        t(
            "a response",
            data("err-status-line-200-ok.sip"),
            refused_silently("NotARequest"),
        ),
        t("empty input", Vec::new(), refused_silently("Empty")),
    ]
}

// ---------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------

/// The template of input `i`: a fixed-seed linear congruential draw.
fn draw(i: usize, templates: usize) -> usize {
    let mut x = (i as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % templates as u64) as usize
}

/// Input `i`: its template's text with Call-ID `nl-<i>`.
fn input(template: &Template, i: usize) -> Bytes {
    let text = &template.text;
    match memchr::memmem::find(text, b"{}") {
        Some(at) => {
            let mut out = Vec::with_capacity(text.len() + 8);
            out.extend_from_slice(&text[..at]);
            out.extend_from_slice(format!("nl-{i}").as_bytes());
            out.extend_from_slice(&text[at + 2..]);
            Bytes::from(out)
        }
        None => Bytes::from(text.clone()),
    }
}

/// The variant name of a `Debug` form: `MissingHeader(Via)` -> `MissingHeader`.
fn variant(debug: String) -> String {
    let end = debug
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(debug.len());
    debug[..end].to_string()
}

/// What one input gave, as the expectations are written.
fn observed(outcome: &Outcome) -> Expect {
    let handling = outcome.handling();
    Expect {
        route: outcome.route(),
        handling: leak(variant(format!("{handling:?}"))),
        error: match handling {
            Handling::Malformed(e) => Some(leak(variant(format!("{:?}", e.kind())))),
            _ => None,
        },
        handler: None,
        status: outcome.response().map(|r| r.status().code()),
        readable: outcome.response().map_or(true, |r| r.read().is_ok()),
        pending: false,
    }
}

/// Interned names, so that observations compare as the `'static` expectations do.
fn leak(name: String) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap();
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.push(leaked);
    leaked
}

/// A response read back: it has the status said and carries the Call-ID of the request
/// it answers. One that does not read (see [`Expect::readable`]) has its status line
/// checked.
fn check_response(bytes: &[u8], status: u16, call_id: Option<&[u8]>, what: &str) {
    let Ok(read) = IncomingResponse::parse(Bytes::copy_from_slice(bytes)) else {
        let status_line = format!("SIP/2.0 {status} ");
        assert!(bytes.starts_with(status_line.as_bytes()), "{what}");
        return;
    };
    assert_eq!(read.status(), status, "{what}");
    if let Some(call_id) = call_id {
        assert_eq!(
            read.header("Call-ID").map(|h| h.value()),
            Some(call_id),
            "{what}"
        );
    }
}

/// What one thread saw of one input.
struct Seen {
    index: usize,
    template: usize,
    observed: Expect,
    later: Option<u16>,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Counts {
    routes: BTreeMap<String, usize>,
    handlings: BTreeMap<&'static str, usize>,
    errors: BTreeMap<&'static str, usize>,
    unreadable: usize,
    statuses: BTreeMap<u16, usize>,
    pending: usize,
    later: BTreeMap<u16, usize>,
}

impl Counts {
    fn add(&mut self, e: &Expect) {
        *self
            .routes
            .entry(e.route.map_or("none".into(), |r| r.to_string()))
            .or_default() += 1;
        *self.handlings.entry(e.handling).or_default() += 1;
        if let Some(error) = e.error {
            *self.errors.entry(error).or_default() += 1;
        }
        self.unreadable += usize::from(!e.readable);
        if let Some(status) = e.status {
            *self.statuses.entry(status).or_default() += 1;
        }
        self.pending += usize::from(e.pending);
    }
}

#[test]
fn every_request_gets_exactly_one_outcome_and_the_counts_add_up() {
    static CALLS: Calls = Calls([const { AtomicUsize::new(0) }; 7]);
    // The planned panics are caught by the dispatcher; keep them off the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<String>().map(String::as_str) != Some(PLANNED) {
            default_hook(info);
        }
    }));
    let templates = templates();
    let dispatcher = dispatcher(&CALLS);
    let inputs: Vec<(usize, Bytes)> = (0..INPUTS)
        .map(|i| {
            let t = draw(i, templates.len());
            (t, input(&templates[t], i))
        })
        .collect();

    // Four threads take the next input from one counter until none is left.
    let next = AtomicUsize::new(0);
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((template, bytes)) = inputs.get(index) else {
                            return mine;
                        };
                        let call_id = format!("nl-{index}");
                        let has_call_id = templates[*template].text.windows(2).any(|w| w == b"{}");
                        let call_id = has_call_id.then_some(call_id.as_bytes());
                        let what = format!("input {index} ({})", templates[*template].name);
                        let mut outcome = dispatcher.dispatch(bytes.clone());
                        let observed = Expect {
                            pending: false,
                            ..observed(&outcome)
                        };
                        if let Some(response) = outcome.response() {
                            check_response(
                                response.as_bytes(),
                                response.status().code(),
                                call_id,
                                &what,
                            );
                        }
                        let mut later = None;
                        let pending = outcome.take_pending();
                        if let Some(pending) = pending {
                            // Every other one accepted, the rest declined.
                            let response = if index % 2 == 0 {
                                pending.accept()
                            } else {
                                pending.reject(StatusCode::DECLINE)
                            };
                            check_response(
                                response.as_bytes(),
                                response.status().code(),
                                call_id,
                                &what,
                            );
                            later = Some(response.status().code());
                        }
                        mine.push(Seen {
                            index,
                            template: *template,
                            observed: Expect {
                                pending: later.is_some(),
                                ..observed
                            },
                            later,
                        });
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("no thread panics"))
            .collect()
    });

    // Exactly one outcome per input.
    assert_eq!(seen.len(), INPUTS);
    let mut once = vec![0u8; INPUTS];
    for s in &seen {
        once[s.index] += 1;
    }
    assert!(
        once.iter().all(|&n| n == 1),
        "an input was lost or seen twice"
    );

    // Each input as its template says.
    for s in &seen {
        let template = &templates[s.template];
        let expected = Expect {
            handler: None,
            ..template.expect
        };
        assert_eq!(
            s.observed, expected,
            "input {} ({})",
            s.index, template.name
        );
        match s.later {
            Some(status) => assert_eq!(status, if s.index % 2 == 0 { 200 } else { 603 }),
            None => assert!(!template.expect.pending),
        }
    }

    // The counts, from the stream's composition alone, against what was observed.
    let mut expected = Counts::default();
    let mut observed = Counts::default();
    let mut handlers = BTreeMap::new();
    for (i, (template, _)) in inputs.iter().enumerate() {
        let e = &templates[*template].expect;
        expected.add(e);
        if let Some(h) = e.handler {
            *handlers.entry(h).or_insert(0) += 1;
        }
        if e.pending {
            *expected
                .later
                .entry(if i % 2 == 0 { 200 } else { 603 })
                .or_default() += 1;
        }
    }
    for s in &seen {
        observed.add(&s.observed);
        if let Some(status) = s.later {
            *observed.later.entry(status).or_default() += 1;
        }
    }
    assert_eq!(observed, expected);
    for handler in [
        Handler::Pager,
        Handler::LargeMessage,
        Handler::Session,
        Handler::FileTransfer,
        Handler::Deferred,
        Handler::Dialog,
        Handler::Other,
    ] {
        assert_eq!(
            CALLS.get(handler),
            handlers.get(&handler).copied().unwrap_or(0),
            "calls of the {handler:?} handler"
        );
    }

    // Every route, every handling kind, both kinds of silence: the stream covers them.
    for route in Route::ALL {
        assert!(
            expected.routes.get(route.as_str()).is_some_and(|&n| n > 0),
            "{route}"
        );
    }
    assert_eq!(
        expected.handlings.keys().copied().collect::<Vec<_>>(),
        [
            "Handled",
            "HandlerPanicked",
            "InDialog",
            "Malformed",
            "MethodNotServed",
            "Options",
            "UnsupportedExtension"
        ]
    );
    assert!(expected.routes["none"] > 0);
    assert_eq!(expected.routes.values().sum::<usize>(), INPUTS);
    println!("{expected:#?}\nhandler calls: {handlers:?}");
}
