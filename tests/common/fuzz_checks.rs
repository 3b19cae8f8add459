//! One checking function per fuzz target, shared by the cargo-fuzz targets in `fuzz/`
//! (which include this file with `#[path]`) and by the stable property test
//! `tests/fuzz_targets.rs`. Each function takes raw input bytes, runs one entry point
//! of the library on them and panics when the outcome is not well formed; returning
//! means the input passed.
//!
//! | target | entry point | what must hold besides "no panic" |
//! | --- | --- | --- |
//! | [`parse`] | `RoutedRequest::parse` | agrees with `route` and `routing`; accessors are slices of the input that frame it; errors fit a 400 reason phrase |
//! | [`route`] | `route`, `routing` | agree with each other and with `parse_with` under tight limits; tighter limits only refuse, never reroute; the route follows the decision table |
//! | [`accept_contact`] | `accept_contact::tags` | errors lie inside the value; tighter limits only refuse; the router reads the value in a request the same way |
//! | [`cpim`] | `body::CpimMessage::parse` | every accessor returns a slice of the body; the content is where `content_offset` says |
//! | [`sdp`] | `body::Sdp::parse` | every accessor returns a slice of the body; media sections are in order |
//! | [`msrp`] | `msrp::MsrpFrame::parse`, `MsrpStreamReader`, `MsrpSession::handle_bytes` | both frame readers agree; the stream reads the same however it is cut, each frame it yields reads again as itself, its buffer stays under its limits; every response the session writes reads back |
//! | [`dispatch`] | `Dispatcher::dispatch` | the outcome agrees with the reader; every response reads back and copies Via, From, Call-ID and CSeq; the 400 to bytes that do not read, which copies their headers as written, is framed |
//!
//! The checks panic rather than return errors so that libFuzzer (which treats a panic
//! as a crash) and proptest (which catches the panic and shrinks the input) both see
//! the failure.

#![allow(dead_code)]

use std::sync::OnceLock;

#[path = "framing.rs"]
mod framing;

use bytes::Bytes;
use cpm_client::cpim::is_date_time;
use cpm_client::sip::{IncomingResponse, KnownHeader, NameAddr};
use cpm_client::{
    cpim::{CpimAddress, CpimMessage, IMDN_NS},
    sdp::{Attribute, FileSelector, Sdp},
    RoutedRequest,
};
use cpm_client::{
    route as route_of, routing::accept_contact, Accept, Decision, DeferredGroupSession,
    DeferredHandler, DialogHandler, Dispatcher, FeatureTag, FileTransferHandler,
    FileTransferInvitation, Handling, InDialogRequest, IncomingRequest, LargeMessageHandler,
    LargeMessageInvitation, Limits, Method, OtherRequestHandler, PagerHandler, PagerMessage,
    ParseError, RequestView, Response, Route, Routing, SessionHandler, SessionInvitation,
    StatusCode,
};

/// `x` as an escaped byte string, for failure messages.
fn show(x: &[u8]) -> String {
    format!("b\"{}\"", x.escape_ascii())
}

/// Whether `part` lies inside `whole` (an empty slice may stand at its end).
fn inside(whole: &[u8], part: &[u8]) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

/// Asserts that every `part` is a slice of `whole`.
macro_rules! assert_inside {
    ($whole:expr, $($part:expr),+ $(,)?) => {
        $( {
            let value = $part;
            let part: &[u8] = AsRef::<[u8]>::as_ref(&value);
            assert!(
                inside($whole, part),
                "{} is not a slice of the input {}",
                stringify!($part),
                show($whole)
            );
        } )+
    };
}

/// Position of the first `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A request error must lie inside the input, name the line it lies on, read as a
/// reason phrase (no control characters) and map to 400, 505 or 513.
fn check_parse_error(x: &[u8], e: &ParseError) {
    let text = e.to_string();
    assert!(e.offset() <= x.len(), "offset past the input: {text}");
    let line = x[..e.offset()].iter().filter(|&&b| b == b'\n').count() + 1;
    assert_eq!(e.line(), line, "line of {text} in {}", show(x));
    assert!(text.starts_with("line "), "{text:?}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\t'),
        "control character in {text:?}"
    );
    assert!(matches!(e.status_code().code(), 400 | 505 | 513), "{text}");
}

// ---------------------------------------------------------------------------------------
// parse
// ---------------------------------------------------------------------------------------

/// `RoutedRequest::parse`: agrees with `route` and `routing`; what parses frames the
/// input as its accessors say; what does not is a well-formed error.
pub fn parse(x: &[u8]) {
    let buf = Bytes::copy_from_slice(x);
    let parsed = RoutedRequest::parse(buf.clone());
    let routed = route_of(x);
    let detailed = Routing::read(x, &Limits::DEFAULT);
    match (&parsed, &routed, &detailed) {
        (Ok(request), Ok(route), Ok(detailed)) => {
            assert_eq!(request.route(), *route, "route() vs parse() on {}", show(x));
            assert_eq!(
                request.routing(),
                *detailed,
                "Routing::read() on {}",
                show(x)
            );
            check_request(&buf, request);
        }
        (Err(e), Err(r), Err(d)) => {
            assert_eq!(e, r, "parse and route errors differ on {}", show(x));
            assert_eq!(e, d, "parse and routing errors differ on {}", show(x));
            check_parse_error(x, e);
        }
        _ => panic!(
            "parse ok={} route={routed:?} routing ok={} on {}",
            parsed.is_ok(),
            detailed.is_ok(),
            show(x)
        ),
    }
}

/// The accessors of a request read from `x`.
fn check_request(x: &[u8], request: &IncomingRequest) {
    // Keep-alive CRLFs may come first; the head ends at the first empty line.
    let mut start = 0;
    while x[start..].starts_with(b"\r\n") {
        start += 2;
    }
    let blank = start + find(&x[start..], b"\r\n\r\n").expect("an empty line after the head");
    let body_start = blank + 4;
    let head = &x[start..blank + 2];
    let header_lines = head
        .split(|&b| b == b'\n')
        .skip(1)
        .filter(|l| !l.is_empty() && !matches!(l[0], b' ' | b'\t'))
        .count();

    let body = request.body();
    assert_inside!(x, body);
    assert_eq!(body.as_ptr() as usize - x.as_ptr() as usize, body_start);
    let rest = x.len() - body_start;
    assert_eq!(body.len(), request.content_length().unwrap_or(rest));
    assert_eq!(&request.body_bytes()[..], body);
    assert_eq!(&request.as_bytes()[..], &x[start..body_start + body.len()]);
    assert_eq!(request.share(body).as_deref(), Some(body));
    assert_eq!(request.share(b"elsewhere"), None);

    let uri = request.request_uri();
    assert_inside!(x, uri);
    assert!(!uri.is_empty());
    let method = request.method();
    assert!(head.starts_with(format!("{} ", method.as_str()).as_bytes()));

    let mut count = 0;
    for header in request.headers() {
        count += 1;
        let value = header.value();
        assert_inside!(x, value, header.name().as_bytes());
        let lws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
        assert!(
            !lws(value.first()) && !lws(value.last()),
            "untrimmed {}",
            show(value)
        );
        let unfolded = header.unfolded();
        assert!(
            !unfolded.contains(&b'\n'),
            "fold left in {}",
            show(&unfolded)
        );
        for part in header.values() {
            assert_inside!(x, part);
        }
        assert!(request.header(header.name()).is_some(), "{}", header.name());
        assert!(header.is(header.name()));
    }
    assert_eq!(count, header_lines, "headers().count() in {}", show(x));

    // What the reader checked is there and says what the accessors say.
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        assert!(request.header(name).is_some(), "no {name} in {}", show(x));
    }
    let cseq = request.header("CSeq").expect("CSeq").unfolded();
    let number = cseq
        .split(|b| b.is_ascii_whitespace())
        .next()
        .unwrap_or_default();
    assert_eq!(
        std::str::from_utf8(number)
            .ok()
            .and_then(|n| n.parse::<u32>().ok()),
        Some(request.cseq()),
        "CSeq {}",
        show(&cseq)
    );
    assert!(request.header_values("Via").count() >= 1);
    let _ = request.headers_named("Accept-Contact").count();
}

// ---------------------------------------------------------------------------------------
// route
// ---------------------------------------------------------------------------------------

/// Limits at most as large as the defaults, picked from the input so that the fuzzer
/// explores them along with the bytes.
fn tight_limits(x: &[u8]) -> Limits {
    let h = x.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let pick = |shift: u32, max: usize| (h >> shift) as usize % (max + 1);
    Limits::DEFAULT
        .with_max_message_size(x.len().saturating_sub(pick(0, 3)))
        .with_max_headers(pick(4, 40))
        .with_max_header_size(16 + pick(10, 200))
        .with_max_accept_contact_values(pick(18, 4))
        .with_max_params(pick(22, 8))
}

/// `route` and `routing`: they agree with each other and with the reader under the
/// same limits; tighter limits only ever refuse; the route follows the decision table
/// of `src/route.rs` from the tags and focus flag reported beside it.
pub fn route(x: &[u8]) {
    let detailed = Routing::read(x, &Limits::DEFAULT);
    assert_eq!(
        route_of(x),
        detailed.as_ref().map(|r| r.route).map_err(Clone::clone),
        "on {}",
        show(x)
    );
    let buf = Bytes::copy_from_slice(x);

    for limits in [Limits::DEFAULT, tight_limits(x)] {
        let under = Routing::read(x, &limits);
        let parsed = RoutedRequest::parse_with(buf.clone(), &limits).map(|r| r.routing());
        assert_eq!(
            under,
            parsed,
            "routing vs parse_with {limits:?} on {}",
            show(x)
        );
        match (&under, &detailed) {
            (Ok(tight), Ok(default)) => assert_eq!(tight, default, "{limits:?} rerouted"),
            (Ok(_), Err(e)) => panic!("{limits:?} accepts what the defaults refuse: {e}"),
            (Err(e), _) => check_parse_error(x, e),
        }
    }

    let Ok(r) = detailed else { return };
    let method = x
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .map(|start| {
            let rest = &x[start..];
            Method::parse(&rest[..rest.iter().position(|&b| b == b' ').unwrap_or(0)])
        });
    let has = |tag| r.tags.contains(tag);
    match method {
        Some(Method::Message) => {
            let pager = has(FeatureTag::Msg) || has(FeatureTag::Deferred);
            let expected = if pager { Route::Pager } else { Route::NotCpm };
            assert_eq!(r.route, expected, "MESSAGE with {} in {}", r.tags, show(x));
            assert!(!r.from_focus, "isfocus read on a MESSAGE");
        }
        Some(Method::Invite) => {
            let expected = if has(FeatureTag::Deferred) {
                if r.from_focus {
                    Route::DeferredGroupSession
                } else {
                    Route::LargeMessage
                }
            } else if has(FeatureTag::FileTransfer)
                && (!(has(FeatureTag::Session) || has(FeatureTag::LargeMsg))
                    || r.route == Route::FileTransfer)
            {
                // The SDP decides between the two when another service is named.
                Route::FileTransfer
            } else if has(FeatureTag::LargeMsg) {
                Route::LargeMessage
            } else if has(FeatureTag::Session) {
                Route::Session
            } else {
                Route::NotCpm
            };
            assert_eq!(r.route, expected, "INVITE with {} in {}", r.tags, show(x));
        }
        _ => {
            assert_eq!(r.route, Route::NotCpm, "{method:?} in {}", show(x));
            assert!(!r.from_focus, "isfocus read on {method:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// accept_contact
// ---------------------------------------------------------------------------------------

/// `accept_contact::tags` on one header value: errors lie inside it, tighter limits
/// only refuse, and the router finds the same tags in a request carrying the value.
pub fn accept_contact(value: &[u8]) {
    let tags = accept_contact::tags(value, &Limits::DEFAULT);
    if let Err(e) = &tags {
        assert!(e.offset() <= value.len(), "{e:?} past {}", show(value));
        let _ = e.kind().to_string();
    }
    let tight = accept_contact::tags(value, &tight_limits(value));
    match (&tight, &tags) {
        (Ok(t), Ok(d)) => assert_eq!(t, d, "tight limits changed the tags"),
        (Ok(_), Err(e)) => panic!("tight limits accept what the defaults refuse: {e:?}"),
        (Err(e), _) => assert!(e.offset() <= value.len()),
    }

    // In a request: header values are trimmed and may not hold a bare CR or LF.
    let lws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    if value.contains(&b'\r') || value.contains(&b'\n') || lws(value.first()) || lws(value.last()) {
        return;
    }
    let mut request = b"MESSAGE sip:b@example.net SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-f\r\nFrom: <sip:a@example.net>;tag=1\r\n\
        To: <sip:b@example.net>\r\nCall-ID: f\r\nCSeq: 1 MESSAGE\r\nAccept-Contact: "
        .to_vec();
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    match (Routing::read(&request, &Limits::DEFAULT), &tags) {
        (Ok(r), Ok(t)) => assert_eq!(r.tags, *t, "router and reader differ on {}", show(value)),
        (Ok(r), Err(e)) => panic!("router accepts ({r:?}) what the reader refuses: {e:?}"),
        (Err(e), Ok(_)) => {
            // Only for bytes a header line may not hold at all.
            assert!(
                value.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f) || value.is_empty(),
                "router refuses ({e}) what the reader accepts: {}",
                show(value)
            );
        }
        (Err(_), Err(_)) => {}
    }
}

// ---------------------------------------------------------------------------------------
// cpim
// ---------------------------------------------------------------------------------------

/// `CpimMessage::parse`: every accessor returns a slice of the body, and the content
/// starts at `content_offset` and is cut to a smaller Content-Length.
pub fn cpim(body: &[u8]) {
    let Ok(c) = CpimMessage::parse(body) else {
        return;
    };
    for (name, value) in c.headers().chain(c.content_headers()) {
        assert_inside!(body, name, value);
        assert!(!name.is_empty());
        cpim_address(body, value);
    }
    if let Some(d) = c.date_time() {
        let _ = is_date_time(d);
    }
    for a in c.from().into_iter().chain(c.to()).chain(c.cc()) {
        assert_inside!(body, a.uri);
    }
    for (prefix, urn) in c.namespaces() {
        assert_inside!(body, prefix, urn);
    }
    for v in [
        c.date_time(),
        c.subject(),
        c.message_id(),
        c.header(IMDN_NS, "Disposition-Notification"),
        c.header("urn:x", "y"),
        c.content_type_raw(),
        c.content_header("Content-Length"),
    ]
    .into_iter()
    .flatten()
    {
        assert_inside!(body, v);
    }
    for v in c.headers_named("To") {
        assert_inside!(body, v);
    }
    if let Some(n) = c.disposition_notification() {
        assert_inside!(body, n.as_str());
        let _ = n.iter().count();
    }
    if let Some(t) = c.content_type() {
        assert_inside!(body, t.as_str());
    }
    let content = c.content();
    assert!(c.content_offset() <= body.len());
    assert_inside!(body, content);
    assert_eq!(
        content.as_ptr() as usize - body.as_ptr() as usize,
        c.content_offset()
    );
    let rest = body.len() - c.content_offset();
    match c.content_length().and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n < rest => assert_eq!(content.len(), n, "content cut to Content-Length"),
        _ => assert_eq!(content.len(), rest, "content runs to the end"),
    }
}

/// `CpimAddress::parse` on `value`, a slice of `body`: what it returns lies inside.
pub fn cpim_address(body: &[u8], value: &str) {
    if let Ok(a) = CpimAddress::parse(value) {
        assert_inside!(body, a.uri);
        if let Some(d) = a.display_name {
            assert_inside!(body, d);
        }
        let _ = a.to_string();
    }
}

// ---------------------------------------------------------------------------------------
// sdp
// ---------------------------------------------------------------------------------------

/// An SDP attribute read from `body`: its name and value lie inside.
pub fn check_attribute(body: &[u8], a: Attribute<'_>) {
    assert_inside!(body, a.name);
    if let Some(v) = a.value {
        assert_inside!(body, v);
    }
}

/// A file-selector read from `body`: its parts lie inside.
pub fn check_file_selector(body: &[u8], f: FileSelector<'_>) {
    let borrowed = |c: &Option<std::borrow::Cow<'_, str>>| {
        matches!(c, None | Some(std::borrow::Cow::Borrowed(_)))
    };
    assert!(
        borrowed(&f.name) && borrowed(&f.media_type),
        "a read selector is borrowed"
    );
    for v in [f.name.as_deref(), f.media_type.as_deref()]
        .into_iter()
        .flatten()
    {
        assert_inside!(body, v);
    }
    if let Some(h) = &f.hash {
        assert_inside!(body, &*h.algorithm, &*h.value);
    }
    let _ = f.size;
    let _ = f.name_decoded();
}

/// `Sdp::parse`: every accessor returns a slice of the body; the media sections come
/// in body order; the MSRP media is the first `m=message` section.
pub fn sdp(body: &[u8]) {
    let Ok(s) = Sdp::parse(body) else {
        return;
    };
    assert_eq!(s.as_bytes(), body);
    for (_, value) in s.lines() {
        assert_inside!(body, value);
    }
    if let Some(o) = s.origin() {
        assert_inside!(body, o.username, o.session_id, o.address);
    }
    for v in [s.origin_raw(), s.session_name(), s.attribute("setup")]
        .into_iter()
        .flatten()
    {
        assert_inside!(body, v);
    }
    if let Some(c) = s.connection() {
        assert_inside!(body, c.net_type, c.addr_type, c.address);
    }
    for a in s.attributes() {
        check_attribute(body, a);
    }
    let mut last = None;
    for m in s.media() {
        assert!(m.offset() < body.len());
        if let Some(l) = last {
            assert!(l < m.offset(), "media out of order");
        }
        last = Some(m.offset());
        assert_inside!(body, m.media_type(), m.port_raw(), m.protocol());
        let _ = (m.port(), m.direction());
        for f in m.formats() {
            assert_inside!(body, f);
        }
        if let Some(c) = m.connection() {
            assert_inside!(body, c.address);
        }
        for a in m.attributes() {
            check_attribute(body, a);
        }
        if let Some(v) = m.attribute("path") {
            assert_inside!(body, v);
        }
    }
    let first_message = s
        .media()
        .find(|m| m.media_type().eq_ignore_ascii_case("message"))
        .map(|m| m.offset());
    let Some(msrp) = s.msrp() else {
        assert_eq!(first_message, None);
        return;
    };
    assert_eq!(Some(msrp.media().offset()), first_message);
    assert_inside!(body, msrp.protocol());
    let _ = (
        msrp.port(),
        msrp.transport(),
        msrp.direction(),
        msrp.setup(),
    );
    let _ = msrp.max_size();
    if let Some(c) = msrp.connection() {
        assert_inside!(body, c.address);
    }
    for v in msrp
        .path()
        .chain(msrp.accept_types())
        .chain(msrp.accept_wrapped_types())
    {
        assert_inside!(body, v);
    }
    for v in [
        msrp.file_transfer_id(),
        msrp.file_disposition(),
        msrp.file_date(),
        msrp.file_icon(),
        msrp.file_range(),
        msrp.attribute("max-size"),
    ]
    .into_iter()
    .flatten()
    {
        assert_inside!(body, v);
    }
    for a in msrp.attributes() {
        check_attribute(body, a);
    }
    if let Some(f) = msrp.file_selector() {
        check_file_selector(body, f);
    }
}

// ---------------------------------------------------------------------------------------
// dispatch
// ---------------------------------------------------------------------------------------

/// The panic message of the handlers' deliberate panics.
const HANDLER_BUG: &str = "a deliberate handler bug";

/// A handler for every procedure whose decision is picked from the request's bytes
/// (its Call-ID and CSeq), so that the fuzzer steers it along with the input.
struct Decides;

/// A number from the request's Call-ID and CSeq.
fn pick(view: &RequestView<'_>) -> u32 {
    view.call_id().bytes().fold(view.cseq(), |h, b| {
        h.wrapping_mul(31).wrapping_add(u32::from(b))
    })
}

impl Decides {
    fn decide(&self, view: &RequestView<'_>) -> Decision {
        // Read what handlers read, so that the views' accessors run on fuzzed input.
        let _ = (view.sender(), view.recipient(), view.referred_by());
        let _ = (
            view.conversation_id(),
            view.contribution_id(),
            view.subject(),
        );
        let _ = (view.in_reply_to_contribution_id(), view.session_replaces());
        let _ = (view.content_type(), view.peer_release(), view.routing());
        let _ = view.asserted_identities().count();
        match pick(view) % 10 {
            0 => Decision::accept(),
            1 => Decision::Accept(Accept::accepted()),
            2 => Decision::Accept(
                Accept::default()
                    .with_msrp_path("msrp://192.0.2.9:2855/f;tcp")
                    .active()
                    .with_accept_types("message/cpim text/plain")
                    .with_max_size(4096),
            ),
            3 => Decision::Accept(Accept::default().passive()),
            4 => Decision::Accept(Accept::default().with_body("application/sdp", "v=0\r\n")),
            5 => Decision::reject_with_reason(StatusCode::BUSY_HERE, "busy\r\nX-Injected: 1"),
            6 => Decision::reject(StatusCode::OK),
            7 => Decision::reject(StatusCode::DECLINE),
            8 => Decision::later(),
            _ => panic!("{HANDLER_BUG}"),
        }
    }
}

impl PagerHandler for Decides {
    fn pager_message(&self, m: &PagerMessage<'_>) -> Decision {
        let _ = (m.is_deferred(), m.cpim_error(), m.content().len());
        if let Some(c) = m.cpim() {
            let _ = (c.message_id(), c.disposition_notification(), c.from());
        }
        self.decide(m)
    }
}
impl LargeMessageHandler for Decides {
    fn large_message(&self, m: &LargeMessageInvitation<'_>) -> Decision {
        let _ = (
            m.is_deferred(),
            m.msrp().map(|m| (m.path().count(), m.setup())),
        );
        self.decide(m)
    }
}
impl SessionHandler for Decides {
    fn session_invitation(&self, s: &SessionInvitation<'_>) -> Decision {
        let _ = (s.is_group(), s.sdp().map(|s| s.media().count()));
        self.decide(s)
    }
}
impl FileTransferHandler for Decides {
    fn file_transfer(&self, f: &FileTransferInvitation<'_>) -> Decision {
        let _ = f.file_selector().map(|s| s.name_decoded());
        let _ = (f.file_transfer_id(), f.file_disposition());
        self.decide(f)
    }
}
impl DeferredHandler for Decides {
    fn deferred_group_session(&self, d: &DeferredGroupSession<'_>) -> Decision {
        let _ = (d.is_multipart(), d.msrp().map(|m| m.accept_types().count()));
        self.decide(d)
    }
}
impl DialogHandler for Decides {
    fn in_dialog(&self, r: &InDialogRequest<'_>) -> Decision {
        self.decide(r)
    }
}
impl OtherRequestHandler for Decides {
    fn other_request(&self, r: &RequestView<'_>) -> Decision {
        self.decide(r)
    }
}

/// A dispatcher with every handler, and one with none (standard rejections only).
fn dispatchers() -> &'static [Dispatcher; 2] {
    static BOTH: OnceLock<[Dispatcher; 2]> = OnceLock::new();
    BOTH.get_or_init(|| {
        // The deliberate panics are caught by the dispatcher; keep them out of the
        // panic hook (libFuzzer's aborts the process), pass every other one on.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if message != Some(HANDLER_BUG) {
                previous(info);
            }
        }));
        [
            Dispatcher::builder()
                .pager(Decides)
                .large_message(Decides)
                .session(Decides)
                .file_transfer(Decides)
                .deferred(Decides)
                .dialog(Decides)
                .other(Decides)
                .build(),
            Dispatcher::builder().build(),
        ]
    })
}

/// A request header value as a response copies it: each CR/LF run and the white
/// space after it as one space.
fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if matches!(value[i], b'\r' | b'\n') {
            out.push(b' ');
            while i < value.len() && matches!(value[i], b'\r' | b'\n' | b' ' | b'\t') {
                i += 1;
            }
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

/// The values of the header lines called `name`, one per line, as written.
fn lines_of<'r>(
    headers: impl Iterator<Item = cpm_client::sip::Header<'r>>,
    name: &str,
) -> Vec<Vec<u8>> {
    headers
        .filter(|h| h.is(name))
        .map(|h| unfold(h.value()))
        .collect()
}

/// `Dispatcher::dispatch`, with every handler and with none: the outcome agrees with
/// the reader, and every response (the one sent now and the final one of an answer
/// given later) reads back with `IncomingResponse` and copies the request's Via lines,
/// From, Call-ID and CSeq (RFC 3261 8.2.6).
pub fn dispatch(x: &[u8]) {
    let parsed = RoutedRequest::parse(Bytes::copy_from_slice(x));
    for dispatcher in dispatchers() {
        let mut outcome = dispatcher.dispatch(Bytes::copy_from_slice(x));
        match (&parsed, outcome.request()) {
            (Ok(request), Some(kept)) => {
                assert_eq!(outcome.route(), Some(request.route()));
                assert_eq!(kept.as_bytes(), request.as_bytes());
                if let Handling::Malformed(e) = outcome.handling() {
                    // Read, but an address the handlers would need is unreadable.
                    assert!(
                        matches!(
                            e.kind(),
                            cpm_client::ParseErrorKind::BadAddress(_)
                                | cpm_client::ParseErrorKind::BadAddressParam(..)
                        ),
                        "{e}"
                    );
                }
            }
            (Err(error), None) => {
                assert_eq!(outcome.route(), None);
                match outcome.handling() {
                    Handling::Malformed(e) => assert_eq!(e, error),
                    other => panic!("{other:?} for a request that does not read: {error}"),
                }
            }
            (p, kept) => panic!(
                "reader ok={} but outcome request={} on {}",
                p.is_ok(),
                kept.is_some(),
                show(x)
            ),
        }
        let handling = outcome.handling().clone();
        if let Handling::Unanswered(_) = handling {
            assert!(outcome.response().is_none(), "{handling}");
        }
        let pending = outcome.take_pending();
        let mut responses: Vec<Response> = outcome.take_response().into_iter().collect();
        if let Some(pending) = pending {
            assert!(
                matches!(handling, Handling::Handled | Handling::InDialog(_)),
                "a pending answer from {handling}"
            );
            assert_eq!(
                pending.request().as_bytes(),
                parsed.as_ref().map(|r| r.as_bytes()).unwrap_or_default()
            );
            let last = if pending.request().body().len() % 2 == 0 {
                pending.accept()
            } else {
                pending.reject(StatusCode::REQUEST_TERMINATED)
            };
            responses.push(last);
        }
        for response in &responses {
            check_response(x, parsed.as_ref().ok(), response);
        }
    }
}

/// One response to the request read from `x` (`None`: it did not read).
fn check_response(x: &[u8], request: Option<&RoutedRequest>, response: &Response) {
    let read: IncomingResponse = match response.read() {
        Ok(read) => read,
        // The refusal of bytes that did not read copies their Via, From, To, Call-ID
        // and CSeq as written, which may not read back; it is still framed.
        Err(_) if request.is_none() => {
            framing::framed(response.as_bytes()).unwrap_or_else(|e| {
                panic!("{e}: {}", show(response.as_bytes()));
            });
            assert!(response.status().code() >= 400);
            return;
        }
        Err(e) => panic!(
            "response does not read ({e}): {}",
            show(response.as_bytes())
        ),
    };
    let bytes = response.as_bytes();
    assert_eq!(read.status(), response.status().code());
    assert!((100..=699).contains(&read.status()));
    assert!(
        !read
            .reason()
            .iter()
            .any(|&b| b.is_ascii_control() && b != b'\t'),
        "control character in the reason of {}",
        show(bytes)
    );
    assert!(
        read.header("Server").is_some(),
        "no Server in {}",
        show(bytes)
    );
    assert_eq!(read.body().len(), read.content_length().unwrap_or(0));
    let Some(request) = request else {
        // Salvaged from bytes that did not read: a refusal.
        assert!(
            read.status() >= 400,
            "{} to a malformed request",
            read.status()
        );
        return;
    };
    let first = |name: &str| request.header(name).map(|h| unfold(h.value()));
    assert_eq!(
        lines_of(read.headers(), "Via"),
        lines_of(request.headers(), "Via"),
        "Via lines of {} for {}",
        show(bytes),
        show(x)
    );
    assert_eq!(read.cseq(), request.cseq(), "CSeq in {}", show(bytes));
    for name in ["From", "Call-ID", "CSeq"] {
        assert_eq!(
            read.header(name).map(|h| unfold(h.value())),
            first(name),
            "{name} in {}",
            show(bytes)
        );
    }
    let to = read
        .header("To")
        .map(|h| h.value().to_vec())
        .unwrap_or_default();
    let asked = first("To").unwrap_or_default();
    assert!(
        to.starts_with(&asked),
        "To {} from {}",
        show(&to),
        show(&asked)
    );
    // From and To as the dispatcher reads them: an address, and a `tag` only as
    // `tag=token`, once.
    let well_formed = |header: KnownHeader| {
        request
            .header(header.as_str())
            .is_some_and(|h| NameAddr::parse_in(header, h.value()).is_ok())
    };
    if !well_formed(KnownHeader::From) || !well_formed(KnownHeader::To) {
        assert_eq!(
            read.status(),
            400,
            "unreadable From/To answered {}",
            read.status()
        );
    } else if read.status() > 100 {
        // Exactly one tag parameter, a non-empty token.
        let tag = NameAddr::parse_in(KnownHeader::To, &to)
            .ok()
            .and_then(|t| t.tag().map(<[u8]>::len));
        assert!(tag.is_some_and(|n| n > 0), "no To-tag in {}", show(bytes));
    }
}

/// The limits of the readers in [`msrp`]: small, so that short inputs reach them.
const MSRP_LIMITS: cpm_client::msrp::MsrpLimits = cpm_client::msrp::MsrpLimits {
    max_head_size: 512,
    max_body_size: 1024,
};

/// How [`msrp_stream`] gives the pieces to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MsrpPush {
    /// `push`: copied.
    Copy,
    /// `push_owned`: handed over and read in place.
    Owned,
    /// `push_owned` and `push` in turn.
    Mixed,
}

/// What an `MsrpStreamReader` under [`MSRP_LIMITS`] cuts out of `x` pushed in pieces
/// that end at `cuts`: each frame or error kind, and the offsets of the errors.
fn msrp_stream(
    x: &[u8],
    cuts: &[usize],
    how: MsrpPush,
) -> Vec<Result<Bytes, (cpm_client::msrp::MsrpStreamErrorKind, u64)>> {
    use cpm_client::msrp::MsrpStreamReader;
    let mut reader = MsrpStreamReader::with_limits(MSRP_LIMITS);
    let mut out = Vec::new();
    let mut pushed = 0;
    let mut from = 0;
    for (i, &cut) in cuts.iter().chain(std::iter::once(&x.len())).enumerate() {
        let cut = cut.clamp(from, x.len());
        let piece = &x[from..cut];
        from = cut;
        pushed += piece.len();
        match how {
            MsrpPush::Copy => reader.push(piece),
            MsrpPush::Mixed if i % 2 == 1 => reader.push(piece),
            MsrpPush::Owned | MsrpPush::Mixed => {
                reader.push_owned(Bytes::copy_from_slice(piece));
            }
        }
        if let Some(Err((kind, offset))) = out.last().filter(|_| reader.is_failed()) {
            // A fatal error comes back at every call, the same.
            let again = reader
                .next_frame()
                .expect_err("a failed reader fails again");
            assert_eq!((*again.kind(), again.offset()), (*kind, *offset));
            assert_eq!(reader.buffered(), 0, "a failed reader holds nothing");
            continue;
        }
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => out.push(Ok(frame)),
                Ok(None) => break,
                Err(e) => {
                    assert!(e.offset() <= pushed as u64, "error past the input: {e}");
                    let fatal = e.is_fatal();
                    assert_eq!(fatal, reader.is_failed());
                    if let Some(head) = e.head() {
                        assert!(head.len() <= MSRP_LIMITS.max_head_size);
                    }
                    out.push(Err((*e.kind(), e.offset())));
                    if fatal {
                        break;
                    }
                }
            }
        }
        // Bounded memory: a head, a body and an end-line (with its flag and CRLF)
        // besides the piece just pushed.
        let bound = MSRP_LIMITS.max_head_size + MSRP_LIMITS.max_body_size + 2 + 7 + 32 + 3;
        assert!(
            reader.buffered() <= bound + piece.len(),
            "the reader holds {} bytes",
            reader.buffered()
        );
        assert!(reader.position() <= pushed as u64);
    }
    out
}

/// Reads `frame` with both readers of `MsrpFrame` and checks what they give.
fn msrp_frame(frame: &Bytes, framed: bool) {
    use cpm_client::msrp::{MsrpFrame, MsrpStatus};
    let parsed = if framed {
        MsrpFrame::parse_framed(frame.clone())
    } else {
        MsrpFrame::parse(frame.clone())
    };
    let frame_bytes: &[u8] = frame;
    match parsed {
        Err(e) => assert!(e.offset() <= frame.len(), "offset past the input: {e}"),
        Ok(MsrpFrame::Request(r)) => {
            assert_inside!(frame_bytes, r.transaction_id(), r.to_path(), r.from_path());
            assert!((4..=32).contains(&r.transaction_id().len()));
            for (name, value) in r.headers() {
                assert_inside!(frame_bytes, name, value);
            }
            for v in [
                r.message_id(),
                r.content_type(),
                r.content_id(),
                r.content_description(),
                r.content_disposition(),
            ]
            .into_iter()
            .flatten()
            {
                assert_inside!(frame_bytes, v);
            }
            if let Some(body) = r.body() {
                assert_inside!(frame_bytes, body);
                assert!(r.content_type().is_some(), "a body without Content-Type");
            }
            if let Some(range) = r.byte_range() {
                assert!(range.start >= 1);
                let again = cpm_client::msrp::ByteRange::parse(&range.to_string());
                assert_eq!(again, Some(range), "Byte-Range written reads back");
            }
            if let Some(status) = r.status() {
                assert_eq!(MsrpStatus::parse(&status.to_string()), Some(status));
            }
            if !framed {
                // What reads whole reads the same way as a frame.
                let MsrpFrame::Request(f) =
                    MsrpFrame::parse_framed(frame.clone()).expect("parse_framed agrees")
                else {
                    panic!("parse_framed reads a response in {}", show(frame));
                };
                assert_eq!(f.body(), r.body());
                assert_eq!(
                    f.headers().collect::<Vec<_>>(),
                    r.headers().collect::<Vec<_>>()
                );
            }
        }
        Ok(MsrpFrame::Response(r)) => {
            assert_inside!(frame_bytes, r.transaction_id(), r.to_path(), r.from_path());
            assert!(r.code() <= 999, "three digits (RFC 4975 section 9: 3DIGIT)");
            for (name, value) in r.headers() {
                assert_inside!(frame_bytes, name, value);
            }
        }
    }
}

/// `msrp`: `MsrpFrame::parse` and `parse_framed` on the input; an `MsrpStreamReader`
/// under small limits on the input cut at several points (the frames and errors do not
/// depend on the cuts nor on whether the pieces are copied in or handed over whole,
/// each frame read again by a fresh reader is itself, memory stays bounded); a
/// receiving `MsrpSession` on the input in two pieces, then on the whole input again
/// (every response it writes reads back; the pieces handed over whole give the same
/// responses and events). A session recalls the last head it read whole when the next
/// one differs from it only in the Byte-Range value: the input again makes every
/// head that read follow itself, the seeds' chunks follow one another, and their
/// mutations defeat the recall; debug builds check each recalled head against a
/// reading line by line.
pub fn msrp(x: &[u8]) {
    use cpm_client::msrp::{MsrpSession, MsrpSessionConfig};
    msrp_frame(&Bytes::copy_from_slice(x), false);
    let whole = msrp_stream(x, &[], MsrpPush::Copy);
    let n = x.len();
    let byte_cuts: Vec<usize> = (1..n.min(64)).collect();
    assert_eq!(msrp_stream(x, &[], MsrpPush::Owned), whole);
    for cuts in [
        vec![n / 2],
        vec![n / 3, 2 * n / 3],
        vec![1, n.saturating_sub(1)],
        byte_cuts,
    ] {
        for how in [MsrpPush::Copy, MsrpPush::Owned, MsrpPush::Mixed] {
            assert_eq!(
                msrp_stream(x, &cuts, how),
                whole,
                "the stream cut at {cuts:?} ({how:?}) reads otherwise: {}",
                show(x)
            );
        }
    }
    let mut total = 0;
    for frame in whole.iter().filter_map(|r| r.as_ref().ok()) {
        total += frame.len();
        assert!(frame.starts_with(b"MSRP "));
        assert!(frame.ends_with(b"\r\n"));
        assert_eq!(
            msrp_stream(frame, &[], MsrpPush::Copy),
            vec![Ok(frame.clone())],
            "a frame read again is itself: {}",
            show(frame)
        );
        msrp_frame(frame, true);
        msrp_frame(frame, false);
    }
    assert!(total <= n);

    let local = "msrp://192.0.2.20:2856/z9y8x7w6v5;tcp";
    let mut config = MsrpSessionConfig::new(
        local,
        "msrp://192.0.2.10:2855/a1b2c3d4e5;tcp",
        cpm_client::sdp::Setup::Passive,
    );
    config.limits = MSRP_LIMITS;
    config.max_buffered_size = 1 << 16;
    config.max_pending_bytes = 1 << 12;
    let ids = || cpm_client::ids::SequentialIds::new(1);
    let mut session = MsrpSession::with_ids(config.clone(), ids());
    let mut owned = MsrpSession::with_ids(config, ids());
    let now = std::time::Instant::now();
    for piece in [&x[..n / 2], &x[n / 2..], x] {
        session.handle_bytes(now, piece);
        owned.handle_bytes_owned(now, Bytes::copy_from_slice(piece));
        while let Some(out) = session.poll_transmit(now) {
            let read = cpm_client::msrp::MsrpFrame::parse(out.clone());
            assert!(read.is_ok(), "the session wrote {}: {read:?}", show(&out));
            assert_eq!(owned.poll_transmit(now), Some(out), "handed over whole");
        }
        assert_eq!(owned.poll_transmit(now), None, "handed over whole");
        while let Some(event) = session.poll_event() {
            assert_eq!(owned.poll_event(), Some(event), "handed over whole");
        }
        assert_eq!(owned.poll_event(), None, "handed over whole");
    }
}
