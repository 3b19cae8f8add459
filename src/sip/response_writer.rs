//! Responses to incoming requests, built as RFC 3261 section 8.2.6 says: every Via in
//! order, From, To (with a To-tag added when the request had none), Call-ID and CSeq
//! copied from the request, then the `Server` release stamp of Appendix D, the
//! response's own headers and Content-Length.
//!
//! The [`Dispatcher`](crate::Dispatcher) builds every response itself; this module
//! holds what it hands out ([`Response`]) and the writer it uses.
//!
//! ```
//! use bytes::Bytes;
//! use cpm_client::{Dispatcher, StatusCode};
//!
//! let dispatcher = Dispatcher::builder().build();
//! let outcome = dispatcher.dispatch(Bytes::from_static(
//!     b"OPTIONS sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-1\r\n\
//!       From: <sip:alice@example.net>;tag=a1\r\nTo: <sip:bob@example.net>\r\nCall-ID: o1\r\n\
//!       CSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
//! ));
//! let response = outcome.response().unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! ```

use std::fmt::{self, Write as _};
use std::net::SocketAddr;

use bytes::Bytes;

use super::grammar;
use super::salvage::Salvaged;
use super::write::{write_runs_as_space, write_text};
use super::{IncomingRequest, KnownHeader, NameAddr, StatusCode};

/// A response ready for the wire: status line, headers and body, CRLF line ends.
///
/// It owns its bytes in the one buffer it was written into (no second allocation to
/// share it); [`Response::into_bytes`] turns it into a [`Bytes`] when the application
/// wants to keep it for retransmissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: StatusCode,
    bytes: Vec<u8>,
}

impl Response {
    /// The status code of the status line.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response as it goes on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The response as it goes on the wire, as a shareable [`Bytes`].
    pub fn into_bytes(self) -> Bytes {
        Bytes::from(self.bytes)
    }

    /// The response as `rsip`'s typed model (it reads the bytes again).
    ///
    /// # Errors
    ///
    /// What `rsip` reports when it cannot read the response; the library's own
    /// responses are written so that it can.
    #[cfg(feature = "rsip")]
    pub fn to_rsip(&self) -> Result<rsip::Response, rsip::Error> {
        rsip::Response::try_from(&self.bytes[..])
    }

    /// The response read back by the library's own reader.
    ///
    /// # Errors
    ///
    /// A [`ParseError`](crate::ParseError) if it does not read (the dispatcher never
    /// hands out such a response).
    pub fn read(&self) -> Result<crate::sip::IncomingResponse, crate::ParseError> {
        self.read_with(&crate::Limits::DEFAULT)
    }

    /// [`Response::read`] under the given limits.
    pub(crate) fn read_with(
        &self,
        limits: &crate::Limits,
    ) -> Result<crate::sip::IncomingResponse, crate::ParseError> {
        crate::sip::IncomingResponse::parse_with(Bytes::copy_from_slice(&self.bytes), limits)
    }
}

/// Where the copied headers come from: a request that was read, or what could be
/// salvaged from one that was not.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Request(&'a IncomingRequest),
    Salvaged(&'a Salvaged<'a>),
}

impl<'a> Source<'a> {
    /// Calls `each` with the value of every header of kind `wanted`, in order.
    fn each(&self, wanted: KnownHeader, mut each: impl FnMut(&'a [u8])) {
        match self {
            Source::Request(request) => request.known_headers(wanted).for_each(|h| each(h.value())),
            Source::Salvaged(salvaged) => salvaged.each(wanted, each),
        }
    }

    /// The value of the first header of kind `wanted`.
    fn first(&self, wanted: KnownHeader) -> Option<&'a [u8]> {
        match self {
            Source::Request(request) => request.first_known(wanted).map(|h| h.value()),
            Source::Salvaged(salvaged) => {
                let mut found = None;
                salvaged.each(wanted, |v| {
                    found.get_or_insert(v);
                });
                found
            }
        }
    }
}

/// Appends the decimal digits of `n` (as `{}` writes them).
fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// Writes one response, header by header, into one buffer.
pub(crate) struct ResponseWriter {
    status: StatusCode,
    out: Vec<u8>,
    /// Copied values come from bytes the reader refused: any control character in
    /// them is written as a space (a read request's values are copied as they are).
    scrub: bool,
    /// Copied values come from a request whose header lines all had the usual
    /// one-line shape: none holds a fold to undo, and each is copied in one piece.
    one_line: bool,
}

/// What the echoed part of a response copies besides the 8.2.6 headers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Echo<'t> {
    /// The To-tag to add when the request's To has none (`None`: leave To as it is,
    /// as for 100 Trying).
    pub(crate) to_tag: Option<&'t [u8]>,
    /// Copy Record-Route (18x/2xx to a dialog-creating INVITE, RFC 3261 12.1.1).
    pub(crate) record_route: bool,
    /// Copy Conversation-ID, Contribution-ID and InReplyTo-Contribution-ID (CPM
    /// networks echo them in responses).
    pub(crate) cpm_ids: bool,
    /// Where the request came from: the top Via gets `received` and `rport` filled
    /// in (RFC 3261 18.2.1, RFC 3581 section 4).
    pub(crate) source: Option<SocketAddr>,
    /// Whether the request's To carries a `tag`, when the caller has read To by its
    /// grammar already (`None`: the writer reads it).
    pub(crate) to_tagged: Option<bool>,
}

impl ResponseWriter {
    /// Starts a response with its status line and the headers copied from `source`.
    /// `reason` is written with control characters turned into spaces.
    pub(crate) fn start(
        status: StatusCode,
        reason: &str,
        source: Source<'_>,
        echo: Echo<'_>,
    ) -> Self {
        // Room for every copied header, the few added ones and an SDP answer, so that
        // the buffer is allocated once.
        let capacity = match source {
            Source::Request(request) => request.head_len() + 1024,
            Source::Salvaged(_) => 1024,
        };
        let mut w = ResponseWriter {
            status,
            out: Vec::with_capacity(capacity),
            scrub: matches!(source, Source::Salvaged(_)),
            one_line: matches!(source, Source::Request(r) if !r.may_hold_folds()),
        };
        w.out.extend_from_slice(b"SIP/2.0 ");
        push_decimal(&mut w.out, usize::from(status.code()));
        w.out.push(b' ');
        write_text(&mut w.out, reason.as_bytes());
        w.out.extend_from_slice(b"\r\n");
        let mut top = echo.source;
        source.each(KnownHeader::Via, |via| match top.take() {
            Some(from) => w.top_via(via, from),
            None => w.copied("Via", via),
        });
        if let Some(from) = source.first(KnownHeader::From) {
            w.copied("From", from);
        }
        if let Some(to) = source.first(KnownHeader::To) {
            w.copied("To", to);
            if let Some(tag) = echo.to_tag {
                let tagged = echo.to_tagged.unwrap_or_else(|| {
                    match NameAddr::parse_in(KnownHeader::To, to) {
                        Ok(to) => to.tag().is_some(),
                        // Unreadable (the dispatcher refuses it with 400): add no second
                        // `tag`, whatever the first is like (RFC 3261 section 7.3.1).
                        Err(_) => names_a_tag(to),
                    }
                });
                if !tagged {
                    w.out.truncate(w.out.len() - 2);
                    w.out.extend_from_slice(b";tag=");
                    write_text(&mut w.out, tag);
                    w.out.extend_from_slice(b"\r\n");
                }
            }
        }
        for (header, name) in [
            (KnownHeader::CallId, "Call-ID"),
            (KnownHeader::CSeq, "CSeq"),
        ] {
            if let Some(value) = source.first(header) {
                w.copied(name, value);
            }
        }
        if echo.record_route {
            source.each(KnownHeader::RecordRoute, |rr| w.copied("Record-Route", rr));
        }
        if echo.cpm_ids {
            for header in [
                KnownHeader::ConversationId,
                KnownHeader::ContributionId,
                KnownHeader::InReplyToContributionId,
            ] {
                if let Some(value) = source.first(header) {
                    w.copied(header.as_str(), value);
                }
            }
        }
        w
    }

    /// Adds a header; the value is written with CR, LF and other control characters
    /// turned into spaces, so no value can start a line of its own.
    pub(crate) fn header(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        let _ = write!(Sanitized(&mut self.out), "{value}");
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// Adds `Server` with the release stamp (a [`ProductStamp`](crate::ProductStamp)
    /// written out).
    pub(crate) fn server(&mut self, stamp: &str) -> &mut Self {
        self.text_header("Server", stamp)
    }

    /// [`ResponseWriter::header`] for a value that is text already: the same bytes,
    /// written without the formatting machinery.
    fn text_header(&mut self, name: &str, value: &str) -> &mut Self {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        write_text(&mut self.out, value.as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self
    }

    /// Ends the head with Content-Type (when there is a body) and Content-Length,
    /// then appends the body.
    pub(crate) fn finish(mut self, body: Option<(&str, &[u8])>) -> Response {
        match body {
            Some((content_type, body)) => {
                self.text_header("Content-Type", content_type);
                self.out.extend_from_slice(b"Content-Length: ");
                push_decimal(&mut self.out, body.len());
                self.out.extend_from_slice(b"\r\n");
                self.out.extend_from_slice(b"\r\n");
                self.out.extend_from_slice(body);
            }
            None => {
                self.out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            }
        }
        Response {
            status: self.status,
            bytes: self.out,
        }
    }

    /// Writes the first Via header of a request that came from `from`: its first
    /// value with `received` and `rport` filled in ([`with_source`]), the values after
    /// it copied.
    fn top_via(&mut self, via: &[u8], from: SocketAddr) {
        let first = super::split_list(via).next().unwrap_or_default();
        let Some(filled) = with_source(first, from) else {
            return self.copied("Via", via);
        };
        // `first` is a slice of `via`: what follows it is copied as it is.
        let end = (first.as_ptr() as usize - via.as_ptr() as usize) + first.len();
        let mut value = filled.into_bytes();
        value.extend_from_slice(&via[end..]);
        self.copied("Via", &value);
    }

    /// Writes a header copied from the request, folds undone (each CR/LF run and the
    /// white space after it becomes one space); every other byte is kept as the
    /// request had it, so that the copy says exactly what the original said.
    fn copied(&mut self, name: &str, value: &[u8]) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        if self.scrub {
            write_text(&mut self.out, value);
        } else if self.one_line {
            self.out.extend_from_slice(value);
        } else {
            write_unfolded(&mut self.out, value);
        }
        self.out.extend_from_slice(b"\r\n");
    }
}

/// Whether a To value that does not read as an address still has a parameter named
/// `tag` (with a value or without, quoted or not): `;` and `tag`, LWS around them, then
/// no more token characters. A response adding its own tag to it would name `tag`
/// twice, and a peer reading the first would not find the tag the response gives.
fn names_a_tag(to: &[u8]) -> bool {
    memchr::memchr_iter(b';', to).any(|at| {
        let name = grammar::lws(&to[at + 1..]);
        name.get(..3)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"tag"))
            && !name.get(3).is_some_and(|&b| grammar::is_token_char(b))
    })
}

/// One Via value (`SIP/2.0/UDP host[:port] *(;param)`) of a request received from
/// `from`, as the response carries it: `rport=<source port>` for a bare `rport`
/// (RFC 3581 section 4), and `received=<source address>` when the sent-by host is not
/// that address or the Via asks for `rport` (RFC 3261 18.2.1; RFC 3581 section 4 adds
/// `received` whenever it fills `rport`). `None` when the value does not read (it is
/// then copied as it is).
pub(crate) fn with_source(via: &[u8], from: SocketAddr) -> Option<String> {
    use super::grammar::{self, ParamValue};
    let via = std::str::from_utf8(via).ok()?;
    // sent-protocol LWS sent-by
    let space = via.find([' ', '\t', '\r', '\n'])?;
    let after_protocol = via[space..].trim_start_matches([' ', '\t', '\r', '\n']);
    let sent_by_at = via.len() - after_protocol.len();
    let params_at = sent_by_at + after_protocol.find(';').unwrap_or(after_protocol.len());
    let sent_by = via[sent_by_at..params_at].trim_end();
    let (host, port) = match sent_by.strip_prefix('[') {
        Some(v6) => {
            let (host, rest) = v6.split_once(']')?;
            (host, rest)
        }
        None => {
            let host_len = sent_by
                .bytes()
                .take_while(|&b| grammar::is_host_char(b))
                .count();
            sent_by.split_at(host_len)
        }
    };
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    };
    if host.is_empty() || !port_ok {
        return None;
    }
    let params = &via.as_bytes()[params_at..];
    let mut rport = false;
    let mut rewritten = String::with_capacity(via.len() + 40);
    let mut has_received = false;
    let ip = from.ip();
    let differs = host.parse::<std::net::IpAddr>().ok() != Some(ip);
    let mut kept: Vec<(&[u8], Option<ParamValue<'_>>)> = Vec::new();
    let rest = grammar::params(
        params,
        params,
        usize::MAX,
        crate::ParseErrorKind::BadVia,
        |p| {
            if p.name.eq_ignore_ascii_case(b"rport") && p.value.is_none() {
                rport = true;
            }
            if p.name.eq_ignore_ascii_case(b"received") {
                has_received = true;
            }
            kept.push((p.name, p.value));
            Ok(())
        },
    )
    .ok()?;
    if !rest.is_empty() {
        return None;
    }
    let add_received = differs || rport;
    rewritten.push_str(via[..params_at].trim_end());
    for (name, value) in kept {
        let name = std::str::from_utf8(name).ok()?;
        rewritten.push(';');
        rewritten.push_str(name);
        if name.eq_ignore_ascii_case("rport") && value.is_none() {
            let _ = write!(rewritten, "={}", from.port());
        } else if name.eq_ignore_ascii_case("received") && add_received {
            let _ = write!(rewritten, "={ip}");
        } else {
            match value {
                None => {}
                Some(ParamValue::Bare(v)) => {
                    rewritten.push('=');
                    rewritten.push_str(std::str::from_utf8(v).ok()?);
                }
                Some(ParamValue::Quoted(v)) => {
                    rewritten.push_str("=\"");
                    rewritten.push_str(std::str::from_utf8(v).ok()?);
                    rewritten.push('"');
                }
            }
        }
    }
    if add_received && !has_received {
        let _ = write!(rewritten, ";received={ip}");
    }
    Some(rewritten)
}

/// Appends a value copied from a request: folds (CR/LF and the white space after
/// them) become one space, every other byte is kept. Values are mostly unfolded, so
/// one `memchr2` finds there is nothing to do.
fn write_unfolded(out: &mut Vec<u8>, value: &[u8]) {
    match memchr::memchr2(b'\r', b'\n', value) {
        None => out.extend_from_slice(value),
        Some(_) => write_runs_as_space(out, value, |b| b == b'\r' || b == b'\n'),
    }
}

/// A `fmt::Write` that writes through [`write_text`].
struct Sanitized<'o>(&'o mut Vec<u8>);

impl fmt::Write for Sanitized<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_text(self.0, s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits_as_formatting_writes_them() {
        for n in [0u16, 7, 10, 99, 100, 180, 200, 486, 699, 1000, 65535] {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, usize::from(n));
            assert_eq!(out, format!("x{n}").into_bytes());
        }
        for n in [0usize, 9, 10, 363, 65536, 1 << 40, usize::MAX] {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }

    #[test]
    fn a_to_that_does_not_read_may_still_name_a_tag() {
        for named in [
            &b"e;tag"[..],
            b"e;tag=1",
            b"<sip:a@b>;TAG",
            b"<sip:a@b> ;\r\n tag ;x",
            b"<sip:a@b>;tag=\"\"",
            b"x;y;tag",
        ] {
            assert!(names_a_tag(named), "{}", named.escape_ascii());
        }
        for unnamed in [
            &b"e"[..],
            b"e;tags",
            b"e;tag-x=1",
            b"e;x=tag",
            b"tag",
            b"e;",
        ] {
            assert!(!names_a_tag(unnamed), "{}", unnamed.escape_ascii());
        }
    }

    fn filled(via: &str, from: &str) -> Option<String> {
        with_source(via.as_bytes(), from.parse().unwrap())
    }

    #[test]
    fn rfc_3581_section_4() {
        // The RFC's example: a bare rport gets the source port, and received.
        assert_eq!(
            filled(
                "SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff",
                "192.0.2.1:9988"
            )
            .as_deref(),
            Some("SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjshdyff;received=192.0.2.1")
        );
        // Same address, no rport: nothing to add.
        assert_eq!(
            filled(
                "SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK1",
                "192.0.2.7:40000"
            )
            .as_deref(),
            Some("SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK1")
        );
        // Same address with rport: received all the same (RFC 3581).
        assert_eq!(
            filled(
                "SIP/2.0/TCP 192.0.2.7:5060;rport;branch=z9hG4bK1",
                "192.0.2.7:40000"
            )
            .as_deref(),
            Some("SIP/2.0/TCP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7")
        );
        // A host name differs from any address; an rport with a value is kept.
        assert_eq!(
            filled(
                "SIP/2.0/UDP ua.example.net;rport=7;branch=x",
                "[2001:db8::9]:5062"
            )
            .as_deref(),
            Some("SIP/2.0/UDP ua.example.net;rport=7;branch=x;received=2001:db8::9")
        );
        assert_eq!(
            filled(
                "SIP/2.0/UDP [2001:db8::9]:5060;branch=x",
                "[2001:db8::9]:5062"
            )
            .as_deref(),
            Some("SIP/2.0/UDP [2001:db8::9]:5060;branch=x")
        );
        // An existing received is replaced, quoted values kept.
        assert_eq!(
            filled(
                "SIP/2.0/UDP h;received=10.0.0.1;x=\"a b\";rport",
                "192.0.2.1:1"
            )
            .as_deref(),
            Some("SIP/2.0/UDP h;received=192.0.2.1;x=\"a b\";rport=1")
        );
        for bad in [
            "SIP/2.0/UDP",
            "SIP/2.0/UDP h;;x",
            "SIP/2.0/UDP h junk",
            "SIP/2.0/UDP h;x=\"open",
        ] {
            assert_eq!(filled(bad, "192.0.2.1:1"), None, "{bad}");
        }
    }
}
