//! [`IncomingRequest`]: one request's bytes and where its parts lie in them.

use std::ops::Range;

use bytes::Bytes;

use super::header::{Header, HeaderName};
use super::scan::{self, RawHeader, Visit};
use super::{KnownHeader, Limits, Method};
use crate::error::{ParseError, ValueError};

/// An incoming SIP request, read without copying.
///
/// It keeps the one [`Bytes`] buffer it was given and the offsets of its parts; every
/// accessor returns a slice of that buffer. Reading checks what a response relies on
/// (see [`IncomingRequest::parse`]). This is SIP only:
/// [`RoutedRequest`](crate::RoutedRequest) reads the CPM feature tags in the same pass.
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::{IncomingRequest, Method};
///
/// let wire = Bytes::from_static(b"MESSAGE sip:bob@example.net SIP/2.0\r\n\
///     Via: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-7\r\n\
///     From: <sip:alice@example.net>;tag=a1\r\n\
///     To: <sip:bob@example.net>\r\n\
///     Call-ID: 3f2a\r\n\
///     CSeq: 1 MESSAGE\r\n\
///     a: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
///     Content-Type: text/plain\r\n\
///     Content-Length: 5\r\n\
///     \r\n\
///     Hello");
/// let request = IncomingRequest::parse(wire).unwrap();
/// assert_eq!(request.method(), Method::Message);
/// assert_eq!(request.request_uri(), b"sip:bob@example.net");
/// assert_eq!(request.header("Accept-Contact").unwrap().name(), "a");
/// assert_eq!(request.header("call-id").unwrap().value(), b"3f2a");
/// assert_eq!(request.body(), b"Hello");
/// ```
///
/// # RFC 4475 conformance
///
/// Every torture message of RFC 4475 is read in `tests/rfc4475.rs` against the outcome
/// recorded for it in `tests/data/rfc4475/outcomes.tsv`. The valid requests read; the
/// invalid ones that break what the reader relies on (the request line, CSeq, the
/// required headers, Content-Length, Accept-Contact) are refused with an error that
/// names the fault (Accept-Contact by [`RoutedRequest`](crate::RoutedRequest) and
/// the Dispatcher); a response is refused as "not a request". The invalid requests
/// the reader takes, and why that is safe for a CPM client:
///
/// - `quotbal` (3.1.2.6, unterminated quote in the To display name): routing never
///   reads To, so the reader passes it; the [`Dispatcher`](crate::Dispatcher) then
///   refuses it with 400, since its response must copy To.
/// - `escruri` (3.1.2.11, escaped headers in the Request-URI): the client never
///   dereferences the Request-URI nor turns its `?headers` into header fields; routing
///   reads the method and Accept-Contact only.
/// - `baddate` (3.1.2.12, a Date not in GMT): nothing in the library reads Date.
/// - `regbadct` (3.1.2.13, a REGISTER Contact with `?headers` outside `<>`): Contact is
///   read only on an INVITE (for `isfocus`), and a client answers REGISTER with 405.
/// - `badaspec` (3.1.2.14, spaces inside the `<>` of To): To is only copied into the
///   response as written, with the client's tag after it, so the sender gets its own
///   value back.
/// - `baddn` (3.1.2.15, unquoted display names with a comma): the RFC's archive copy
///   has no empty line after the headers and is refused as unterminated; as the RFC
///   prints it, it reads, and the Dispatcher refuses its From with 400.
/// - `badbranch` (3.2.1, a branch that is only the magic cookie): the branch is copied
///   back and hashed into the To-tag; the library keeps no transactions, so a branch
///   that is not unique confuses nothing it holds.
///
/// A refused request still gets its 400 from the Dispatcher when it has a Via to
/// answer along, with the Via, From, To, Call-ID and CSeq it has copied as written
/// (`badinv01`: broken Via, `scalar02`: CSeq over 2^32-1, `insuf`: no From, To or
/// Call-ID), so that the peer can match it by its own rules.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    bytes: Bytes,
    /// Offset of the request line.
    start: usize,
    method: Range<usize>,
    uri: Range<usize>,
    headers: Vec<HeaderSpan>,
    /// For each known header, the index in `headers` of its first line (`u16::MAX`:
    /// none), so that looking one up does not walk the list.
    first: FirstIndex,
    body: Range<usize>,
    content_length: Option<usize>,
    cseq: u32,
    /// Whether the walk read some header line as an unusual one: when `false`, no
    /// header value holds a fold, and a copy of it needs no unfolding.
    unusual_lines: bool,
}

/// Where one header lies in a message.
#[derive(Debug, Clone)]
pub(crate) struct HeaderSpan {
    name: Range<usize>,
    value: Range<usize>,
    known: Option<KnownHeader>,
}

impl HeaderSpan {
    /// Where `header` lies.
    #[inline]
    pub(crate) fn of(header: &RawHeader<'_>) -> HeaderSpan {
        HeaderSpan {
            name: header.start..header.start + header.name.len(),
            value: header.value_start..header.value_start + header.value.len(),
            // The walk hands over token names only.
            known: header.core.or_else(|| KnownHeader::from_token(header.name)),
        }
    }

    /// The header in `bytes`, the buffer it was found in.
    #[inline]
    pub(crate) fn view<'b>(&self, bytes: &'b [u8]) -> Header<'b> {
        Header {
            name: &bytes[self.name.clone()],
            known: self.known,
            value: &bytes[self.value.clone()],
        }
    }
}

impl IncomingRequest {
    /// Reads a request under the default [`Limits`].
    ///
    /// Refused, with an error naming the line and what was wrong:
    /// - a broken request line: no method, no Request-URI or one that is not
    ///   `scheme:...`, more than one space between its parts, whitespace inside the
    ///   Request-URI, a version other than SIP/2.0, trailing whitespace; a response's
    ///   status line;
    /// - a line not ended by CRLF, a header line with no colon or a name that is not a
    ///   token, headers not ended by an empty line;
    /// - a missing Via, From, To, Call-ID or CSeq; a second From, To, Call-ID, CSeq or
    ///   Content-Length; an empty From, To or Call-ID;
    /// - a CSeq that is not a number up to 2^32-1 and a method, or whose method is not
    ///   the request's;
    /// - a Content-Length that is not a number, or a body shorter than it (bytes past
    ///   Content-Length are not part of the message and are left out of the body);
    /// - a malformed Via, Accept-Contact, or (on an INVITE) Contact, including a
    ///   parameter their grammar gives a value written without it, with a value of
    ///   another form, or twice (Via `branch`, `received`, `ttl`, `maddr`, and `rport`
    ///   with a value; Contact `q`, `expires`), and a Contact URI without a scheme;
    /// - input over the [`Limits`].
    ///
    /// Without Content-Length (allowed over UDP) the body is the rest of the input.
    /// How each RFC 4475 torture message fares is under
    /// [RFC 4475 conformance](IncomingRequest#rfc-4475-conformance).
    pub fn parse(bytes: Bytes) -> Result<IncomingRequest, ParseError> {
        IncomingRequest::parse_with(bytes, &Limits::DEFAULT)
    }

    /// Reads a request under the given limits.
    pub fn parse_with(bytes: Bytes, limits: &Limits) -> Result<IncomingRequest, ParseError> {
        IncomingRequest::parse_or_return(bytes, limits).map_err(|(error, _)| error)
    }

    /// Reads a request; on failure, hands the bytes back beside the error (so that a
    /// caller can still answer them without having cloned them first).
    pub(crate) fn parse_or_return(
        bytes: Bytes,
        limits: &Limits,
    ) -> Result<IncomingRequest, (ParseError, Bytes)> {
        IncomingRequest::parse_visiting(bytes, limits, &mut ())
    }

    /// Reads a request, handing every header also to `extra` in the same pass (how
    /// routing reads the CPM feature tags without walking the request again).
    #[inline]
    pub(crate) fn parse_visiting<V>(
        bytes: Bytes,
        limits: &Limits,
        extra: &mut V,
    ) -> Result<IncomingRequest, (ParseError, Bytes)>
    where
        V: for<'a> Visit<'a>,
    {
        let mut recorder = Recorder {
            headers: Vec::with_capacity(24),
            first: FirstIndex::default(),
            extra,
        };
        let frame = match scan::scan(&bytes, limits, &mut recorder) {
            Ok(frame) => frame,
            Err(error) => {
                tracing::debug!(%error, "request refused");
                return Err((error, bytes));
            }
        };
        recorder.extra.end(frame.method, frame.head.body);
        let method_end = frame.start + frame.method.as_str().len();
        Ok(IncomingRequest {
            start: frame.start,
            method: frame.start..method_end,
            uri: frame.uri_start..frame.uri_start + frame.uri.len(),
            body: frame.head.body_start..frame.head.body_start + frame.head.body.len(),
            content_length: frame.head.content_length,
            cseq: frame.head.cseq,
            unusual_lines: frame.head.unusual_lines,
            headers: recorder.headers,
            first: recorder.first,
            bytes,
        })
    }

    /// The method of the request line (ASCII case kept; an unknown one is
    /// [`Method::Extension`]).
    pub fn method(&self) -> Method<'_> {
        Method::parse(&self.bytes[self.method.clone()])
    }

    /// The Request-URI as written.
    pub fn request_uri(&self) -> &[u8] {
        &self.bytes[self.uri.clone()]
    }

    /// The headers, in the order of the request.
    pub fn headers(&self) -> impl Iterator<Item = Header<'_>> + '_ {
        self.headers.iter().map(|span| span.view(&self.bytes))
    }

    /// The first header with this name (any case; `a` and `Accept-Contact` are the
    /// same header).
    pub fn header(&self, name: &str) -> Option<Header<'_>> {
        let name = HeaderName::new(name);
        match name.known() {
            Some(known) => self.first_known(known),
            None => self.headers().find(|h| name.matches(h)),
        }
    }

    /// The first header of a known kind, found without walking the list.
    #[inline]
    pub(crate) fn first_known(&self, known: KnownHeader) -> Option<Header<'_>> {
        match self.first.get(known) {
            Some(index) => self.headers.get(index).map(|span| span.view(&self.bytes)),
            // Past the index's reach (limits raised beyond 65 534 headers), walk.
            None if self.headers.len() >= usize::from(u16::MAX) => {
                self.headers().find(|h| h.known() == Some(known))
            }
            None => None,
        }
    }

    /// Every header of a known kind, in order (the kinds compared before any header
    /// is looked at in the buffer).
    pub(crate) fn known_headers(&self, known: KnownHeader) -> impl Iterator<Item = Header<'_>> {
        self.headers
            .iter()
            .filter(move |span| span.known == Some(known))
            .map(|span| span.view(&self.bytes))
    }

    /// Every header with this name, in order.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = Header<'s>> + 's {
        let name = HeaderName::new(name);
        self.headers().filter(move |h| name.matches(h))
    }

    /// Every value of the headers with this name, in order: a list header's lines are
    /// split at their commas (`Accept-Contact: *;a, *;b` gives two values), as RFC 3261
    /// section 7.3.1 makes several lines and one comma-joined line the same.
    ///
    /// ```
    /// # let request = cpm_client::IncomingRequest::parse(bytes::Bytes::from_static(
    /// #     b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/UDP h2\r\n\
    /// #       v: SIP/2.0/UDP h3\r\nf: <sip:c@d>;tag=1\r\nt: <sip:a@b>\r\ni: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
    /// # )).unwrap();
    /// let vias: Vec<&[u8]> = request.header_values("Via").collect();
    /// assert_eq!(vias, [&b"SIP/2.0/UDP h1;branch=z9hG4bK1"[..], b"SIP/2.0/UDP h2", b"SIP/2.0/UDP h3"]);
    /// ```
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        self.headers_named(name).flat_map(|h| h.values())
    }

    /// Content-Length, when the request has one.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// The CSeq sequence number.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The body: exactly Content-Length bytes.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.body.clone()]
    }

    /// The body as a [`Bytes`] that shares the request's buffer.
    pub fn body_bytes(&self) -> Bytes {
        self.bytes.slice(self.body.clone())
    }

    /// The whole request, from its request line to the end of its body: keep-alive
    /// CRLFs before it and bytes after it (left in a datagram past Content-Length) are
    /// not included.
    pub fn as_bytes(&self) -> Bytes {
        self.bytes.slice(self.start..self.body.end)
    }

    /// The whole buffer the request was read from (keep-alive CRLFs and trailing
    /// bytes included), which error offsets count from.
    pub(crate) fn buffer(&self) -> &[u8] {
        &self.bytes
    }

    /// Where `part` (a slice from this request's accessors) starts in the buffer.
    pub(crate) fn offset_of(&self, part: &[u8]) -> Option<usize> {
        (part.as_ptr() as usize).checked_sub(self.bytes.as_ptr() as usize)
    }

    /// The length of the request line and headers, up to the body.
    pub(crate) fn head_len(&self) -> usize {
        self.body.start - self.start
    }

    /// Whether some header value may hold a fold (CR or LF): `false` when every
    /// header line had the usual one-line shape.
    pub(crate) fn may_hold_folds(&self) -> bool {
        self.unusual_lines
    }

    /// A slice obtained from this request's accessors, as a [`Bytes`] that shares the
    /// request's buffer; `None` if `part` does not lie inside this request.
    ///
    /// ```
    /// # let request = cpm_client::IncomingRequest::parse(bytes::Bytes::from_static(
    /// #     b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:c@d>;tag=1\r\n\
    /// #       t: <sip:a@b>\r\ni: call-7\r\nCSeq: 1 OPTIONS\r\n\r\n",
    /// # )).unwrap();
    /// let call_id = request.share(request.header("Call-ID").unwrap().value()).unwrap();
    /// assert_eq!(call_id, "call-7");
    /// assert_eq!(request.share(b"elsewhere"), None);
    /// ```
    pub fn share(&self, part: &[u8]) -> Option<Bytes> {
        let base = self.bytes.as_ptr() as usize;
        let start = (part.as_ptr() as usize).checked_sub(base)?;
        let end = start.checked_add(part.len())?;
        (end <= self.bytes.len()).then(|| self.bytes.slice(start..end))
    }

    /// The request as `rsip`'s full typed model, for a handler that needs more than
    /// the views of this crate.
    ///
    /// `rsip` reads the request again with its own, stricter rules. What this reader
    /// already accepted is handed over in the plainest form first: each header on one
    /// line as `Name: value` (folds turned into a space, no white space before the
    /// colon), so a folded or oddly spaced request converts too. This copies the
    /// request once; rsip then allocates its own model.
    ///
    /// ```
    /// let request = cpm_client::IncomingRequest::parse(bytes::Bytes::from_static(
    ///     b"OPTIONS sip:a@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
    ///       From: <sip:c@example.net>;tag=1\r\nTo: <sip:a@example.net>\r\nCall-ID: x\r\n\
    ///       CSeq  :  1\r\n OPTIONS\r\nContent-Length: 0\r\n\r\n",
    /// )).unwrap();
    /// let typed = request.to_rsip().unwrap();
    /// assert_eq!(typed.method, rsip::Method::Options);
    /// ```
    #[cfg(feature = "rsip")]
    pub fn to_rsip(&self) -> Result<rsip::Request, rsip::Error> {
        let mut plain = Vec::with_capacity(self.body.end - self.start);
        plain.extend_from_slice(&self.bytes[self.method.start..self.uri.end]);
        plain.extend_from_slice(b" SIP/2.0\r\n");
        for header in self.headers() {
            plain.extend_from_slice(header.name().as_bytes());
            plain.extend_from_slice(b": ");
            plain.extend_from_slice(&header.unfolded());
            plain.extend_from_slice(b"\r\n");
        }
        plain.extend_from_slice(b"\r\n");
        plain.extend_from_slice(self.body());
        rsip::Request::try_from(plain)
    }
}

/// The walk's visitor for [`IncomingRequest::parse`]: records every header and reads
/// the routing features.
struct Recorder<'e, V> {
    headers: Vec<HeaderSpan>,
    first: FirstIndex,
    extra: &'e mut V,
}

impl<'a, V: Visit<'a>> Visit<'a> for Recorder<'_, V> {
    fn header(&mut self, method: Method<'a>, header: &RawHeader<'a>) -> Result<(), ValueError> {
        self.extra.header(method, header)?;
        let span = HeaderSpan::of(header);
        if let Some(known) = span.known {
            self.first.note(known, self.headers.len());
        }
        self.headers.push(span);
        Ok(())
    }
}

/// Where the first header of each known kind is, by index into the header list.
#[derive(Debug, Clone)]
pub(crate) struct FirstIndex([u16; KnownHeader::COUNT]);

impl Default for FirstIndex {
    fn default() -> Self {
        FirstIndex([u16::MAX; KnownHeader::COUNT])
    }
}

impl FirstIndex {
    /// Notes that header number `index` is a `known`, unless one came before it. An
    /// index past `u16::MAX - 1` is not noted (lookups then walk the list).
    pub(crate) fn note(&mut self, known: KnownHeader, index: usize) {
        let slot = &mut self.0[known as usize];
        if *slot == u16::MAX {
            *slot = u16::try_from(index).unwrap_or(u16::MAX);
        }
    }

    /// The index of the first `known`, if there is one.
    pub(crate) fn get(&self, known: KnownHeader) -> Option<usize> {
        let slot = self.0[known as usize];
        (slot != u16::MAX).then_some(usize::from(slot))
    }
}
