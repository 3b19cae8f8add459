//! The one walk over a request: request line, header lines (folds joined), the checks
//! every request must pass, and the body framed by Content-Length.
//!
//! Both routing and [`IncomingRequest::parse`](super::IncomingRequest) run this walk; they differ only in what they do with each header line, which they
//! say through a [`Visit`] implementation. The walk allocates nothing.

use memchr::memchr2;

use super::grammar::{self, is_lws};
use super::{KnownHeader, Limits, Method};
use crate::error::{ParseError, ParseErrorKind, ShortText, ValueError};

/// One header line as the walk hands it over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader<'a> {
    /// Offset of the first byte of the name.
    pub(crate) start: usize,
    /// The name, without the white space before the colon.
    pub(crate) name: &'a [u8],
    /// The few headers the walk itself looks at (see [`KnownHeader::core`]).
    pub(crate) core: Option<KnownHeader>,
    /// Offset of the first byte of the value.
    pub(crate) value_start: usize,
    /// The value: LWS around it trimmed, folds inside kept.
    pub(crate) value: &'a [u8],
}

/// What a caller of the walk does with each header line.
pub(crate) trait Visit<'a> {
    /// Called for every header line, in order, after the walk's own checks of it.
    fn header(&mut self, method: Method<'a>, header: &RawHeader<'a>) -> Result<(), ValueError>;

    /// Whether the visitor reads only some headers of [`KnownHeader::core`], those
    /// [`Visit::reads`] names: then the walk calls [`Visit::header`] for those only,
    /// and does not trim the values of the other lines of the usual shape (it still
    /// checks every line, and the required headers as always).
    const CORE_ONLY: bool = false;

    /// With [`Visit::CORE_ONLY`], whether the visitor reads the header `core`.
    fn reads(_core: KnownHeader) -> bool {
        true
    }

    /// Called once when the whole request has passed the walk, with its method and
    /// body, so that a visitor can conclude without reading the request again.
    fn end(&mut self, _method: Method<'a>, _body: &'a [u8]) {}
}

/// The visitor that reads nothing more than the walk itself.
impl<'a> Visit<'a> for () {
    fn header(&mut self, _: Method<'a>, _: &RawHeader<'a>) -> Result<(), ValueError> {
        Ok(())
    }

    const CORE_ONLY: bool = true;

    fn reads(_core: KnownHeader) -> bool {
        false
    }
}

/// A request that passed the walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame<'a> {
    /// Offset of the request line (past any keep-alive CRLFs).
    pub(crate) start: usize,
    pub(crate) method: Method<'a>,
    /// Offset and bytes of the Request-URI.
    pub(crate) uri_start: usize,
    pub(crate) uri: &'a [u8],
    pub(crate) head: Head<'a>,
}

/// Walks `input` once, calling `visit` for each header line.
pub(crate) fn scan<'a, V: Visit<'a>>(
    input: &'a [u8],
    limits: &Limits,
    visit: &mut V,
) -> Result<Frame<'a>, ParseError> {
    check_size(input, limits)?;
    let line = request_line(input)?;
    let head = header_lines(input, line.end, Some(line.method), limits, visit)?;
    Ok(Frame {
        start: line.start,
        method: line.method,
        uri_start: line.uri_start,
        uri: line.uri,
        head,
    })
}

/// A response that passed the walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResponseFrame<'a> {
    /// Offset of the status line (past any keep-alive CRLFs).
    pub(crate) start: usize,
    pub(crate) status: u16,
    /// Offset and bytes of the reason phrase.
    pub(crate) reason_start: usize,
    pub(crate) reason: &'a [u8],
    pub(crate) head: Head<'a>,
}

/// Walks a response once: the status line, then the same header walk as a request
/// (the CSeq method is not compared with anything: a response has no method).
pub(crate) fn scan_response<'a, V: Visit<'a>>(
    input: &'a [u8],
    limits: &Limits,
    visit: &mut V,
) -> Result<ResponseFrame<'a>, ParseError> {
    check_size(input, limits)?;
    let line = status_line(input)?;
    let head = header_lines(input, line.end, None, limits, visit)?;
    Ok(ResponseFrame {
        start: line.start,
        status: line.status,
        reason_start: line.reason_start,
        reason: &input[line.reason_start..line.reason_end],
        head,
    })
}

/// Refuses a message over [`Limits::max_message_size`] before reading any of it.
fn check_size(input: &[u8], limits: &Limits) -> Result<(), ParseError> {
    if input.len() <= limits.max_message_size {
        return Ok(());
    }
    let kind = ParseErrorKind::MessageTooLarge {
        size: input.len(),
        limit: limits.max_message_size,
    };
    Err(ParseError::at(kind, input, limits.max_message_size))
}

/// What the header walk found after the start line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    /// Offset of the body (just past the empty line).
    pub(crate) body_start: usize,
    /// The body: exactly Content-Length bytes, or the rest of the input without one.
    pub(crate) body: &'a [u8],
    pub(crate) content_length: Option<usize>,
    pub(crate) cseq: u32,
    /// Whether some header line was read as an unusual one (a fold, white space
    /// before the colon...): when `false`, no header value holds a CR or LF.
    pub(crate) unusual_lines: bool,
}

/// Walks the header lines from `pos` to the empty line, checks them (the CSeq method
/// against `method` when there is one), and frames the body.
fn header_lines<'a, V: Visit<'a>>(
    input: &'a [u8],
    mut pos: usize,
    method: Option<Method<'a>>,
    limits: &Limits,
    visit: &mut V,
) -> Result<Head<'a>, ParseError> {
    let fail = |kind, at| ParseError::at(kind, input, at);
    let visited_as = method.unwrap_or(Method::Extension(""));
    let mut required = Required::default();
    let mut count = 0;
    let mut unusual_lines = false;
    // Each line read below ends only where the next line does not start with SP or
    // HTAB (a fold belongs to its line, RFC 3261 section 7.3.1): the first line is the
    // only one that can start as a continuation.
    if matches!(input.get(pos), Some(b' ' | b'\t')) {
        return Err(fail(ParseErrorKind::OrphanContinuation, pos));
    }
    let body_start = loop {
        match input.get(pos..) {
            Some([b'\r', b'\n', ..]) => break pos + 2,
            Some([]) => return Err(fail(ParseErrorKind::UnterminatedHead, pos)),
            _ => {}
        }
        count += 1;
        if count > limits.max_headers {
            return Err(fail(
                ParseErrorKind::TooManyHeaders(limits.max_headers),
                pos,
            ));
        }
        let plain = plain_name(input, pos).and_then(|(colon, core)| {
            if core == Some(KnownHeader::Via) {
                if let Some(cr) = plain_via_line(input, pos, colon, limits) {
                    required.via = true;
                    return Some((colon, cr, core, true));
                }
            }
            let cr = plain_line_end(input, pos, colon, limits.max_header_size)?;
            Some((colon, cr, core, false))
        });
        let (header, next) = match plain {
            Some((colon, cr, core, checked)) => {
                // A line the visitor does not read is done with when the walk needs
                // nothing more of it either: a name outside the core list (its bytes
                // were looked at once, for the line end), or a Via already checked in
                // its one pass. Other core lines still go to the required checks.
                let walk_done = core.is_none() || checked;
                if V::CORE_ONLY && walk_done && !core.is_some_and(V::reads) {
                    pos = cr + 2;
                    continue;
                }
                let header = plain_header(input, pos, colon, cr, core);
                if checked {
                    visit
                        .header(visited_as, &header)
                        .map_err(|e| fail(e.kind, header.value_start + e.at))?;
                    pos = cr + 2;
                    continue;
                }
                (header, cr + 2)
            }
            None => {
                unusual_lines = true;
                header_line(input, pos, limits.max_header_size)?
            }
        };
        // Most lines are none of the required headers: no call for them.
        if matches!(
            header.core,
            Some(
                KnownHeader::Via
                    | KnownHeader::From
                    | KnownHeader::To
                    | KnownHeader::CallId
                    | KnownHeader::CSeq
                    | KnownHeader::ContentLength
            )
        ) {
            required.check(method, &header, limits, input)?;
        }
        if !V::CORE_ONLY || header.core.is_some_and(V::reads) {
            visit
                .header(visited_as, &header)
                .map_err(|e| fail(e.kind, header.value_start + e.at))?;
        }
        pos = next;
    };
    if let Some(missing) = required.missing() {
        return Err(fail(ParseErrorKind::MissingHeader(missing), body_start - 2));
    }

    let available = input.len() - body_start;
    let body_len = match required.content_length {
        Some(declared) if declared > available => {
            return Err(fail(
                ParseErrorKind::BodyTooShort {
                    declared,
                    available,
                },
                input.len(),
            ))
        }
        Some(declared) => declared,
        // Without Content-Length (allowed over UDP) the body is the rest.
        None => available,
    };
    Ok(Head {
        body_start,
        body: &input[body_start..body_start + body_len],
        content_length: required.content_length,
        cseq: required.cseq.unwrap_or_default(),
        unusual_lines,
    })
}

/// The headers every request must have (RFC 3261 section 8.1.1), with the checks of
/// their values that routing and a response rely on.
#[derive(Default)]
struct Required {
    via: bool,
    from: bool,
    to: bool,
    call_id: bool,
    cseq: Option<u32>,
    content_length: Option<usize>,
}

impl Required {
    /// Checks one header of `input`.
    #[inline(always)]
    fn check(
        &mut self,
        method: Option<Method<'_>>,
        header: &RawHeader<'_>,
        limits: &Limits,
        input: &[u8],
    ) -> Result<(), ParseError> {
        let at_header = |kind| ParseError::at(kind, input, header.start);
        let at_value = |kind, offset| ParseError::at(kind, input, header.value_start + offset);
        let Some(known) = header.core else {
            return Ok(());
        };
        let seen = match known {
            KnownHeader::Via => {
                if !plain_via(header.value, limits.max_params) {
                    via(header.value, limits).map_err(|e| at_value(e.kind, e.at))?;
                }
                self.via = true;
                return Ok(());
            }
            KnownHeader::From => &mut self.from,
            KnownHeader::To => &mut self.to,
            KnownHeader::CallId => &mut self.call_id,
            KnownHeader::CSeq => {
                if self.cseq.is_some() {
                    return Err(at_header(ParseErrorKind::DuplicateHeader(known)));
                }
                let (number, cseq_method) =
                    parse_cseq(header.value).ok_or_else(|| at_value(ParseErrorKind::BadCSeq, 0))?;
                if let Some(method) = method.filter(|m| cseq_method != m.as_str().as_bytes()) {
                    let mismatch = ParseErrorKind::CSeqMethodMismatch {
                        cseq: ShortText::new(cseq_method),
                        method: ShortText::new(method.as_str().as_bytes()),
                    };
                    return Err(at_value(mismatch, 0));
                }
                self.cseq = Some(number);
                return Ok(());
            }
            KnownHeader::ContentLength => {
                if self.content_length.is_some() {
                    return Err(at_header(ParseErrorKind::DuplicateHeader(known)));
                }
                let length = parse_decimal(header.value)
                    .ok_or_else(|| at_value(ParseErrorKind::BadContentLength, 0))?;
                self.content_length = Some(length);
                return Ok(());
            }
            _ => return Ok(()),
        };
        if std::mem::replace(seen, true) {
            return Err(at_header(ParseErrorKind::DuplicateHeader(known)));
        }
        if header.value.is_empty() {
            return Err(at_header(ParseErrorKind::EmptyHeader(known)));
        }
        Ok(())
    }

    /// The first required header not seen, in the order of RFC 3261 section 8.1.1.
    fn missing(&self) -> Option<KnownHeader> {
        [
            (self.via, KnownHeader::Via),
            (self.from, KnownHeader::From),
            (self.to, KnownHeader::To),
            (self.call_id, KnownHeader::CallId),
            (self.cseq.is_some(), KnownHeader::CSeq),
        ]
        .into_iter()
        .find_map(|(present, header)| (!present).then_some(header))
    }
}

struct RequestLine<'a> {
    /// Offset of the method.
    start: usize,
    method: Method<'a>,
    uri_start: usize,
    uri: &'a [u8],
    /// Offset just past the line's CRLF.
    end: usize,
}

/// The start line: skips the CRLFs before it (keep-alives of stream transports, to be
/// ignored: RFC 3261 section 7.5, RFC 5626 section 3.5.1) and returns their length,
/// the line without its CRLF, and the length read with it. A line with no CRLF after
/// it runs to the end of the input (the header walk then reports the head as
/// unterminated).
fn first_line(input: &[u8]) -> Result<(usize, &[u8], usize), ParseError> {
    let mut lead = 0;
    while input[lead..].starts_with(b"\r\n") {
        lead += 2;
    }
    let fail = |kind, at| ParseError::at(kind, input, lead + at);
    let rest = &input[lead..];
    if rest.is_empty() {
        return Err(fail(ParseErrorKind::Empty, 0));
    }
    match find_line_end(rest, 0) {
        Some(n) if rest[n] == b'\r' && rest.get(n + 1) == Some(&b'\n') => {
            Ok((lead, &rest[..n], n + 2))
        }
        Some(n) => Err(fail(ParseErrorKind::BareLineEnd, n)),
        None => Ok((lead, rest, rest.len())),
    }
}

fn request_line(input: &[u8]) -> Result<RequestLine<'_>, ParseError> {
    let (lead, line, end) = first_line(input)?;
    let fail = |kind, at| ParseError::at(kind, input, lead + at);
    if is_status_line(line) {
        return Err(fail(ParseErrorKind::NotARequest, 0));
    }
    let method_token = match grammar::short_token_len(line) {
        0 => return Err(fail(ParseErrorKind::NoMethod, 0)),
        n => &line[..n],
    };
    let after_method = method_token.len();
    match line.get(after_method) {
        Some(b' ') => {}
        None => return Err(fail(ParseErrorKind::NoRequestUri, after_method)),
        Some(_) => return Err(fail(ParseErrorKind::BadRequestLine, after_method)),
    }
    let uri_start = after_method + 1;
    let target = &line[uri_start..];
    // The usual line: the first white space after the URI is the one SP before
    // `SIP/2.0`, which ends the line. Taken here, the URI has no white space and the
    // version none after it, as the checks below would find with more passes.
    if let Some(space) = memchr2(b' ', b'\t', target) {
        let (uri, version) = target.split_at(space);
        if !uri.is_empty()
            && version.len() == 8
            && is_sp_version(version)
            && grammar::has_scheme(uri)
        {
            return Ok(RequestLine {
                start: lead,
                method: Method::parse(method_token),
                uri_start: lead + uri_start,
                uri,
                end: lead + end,
            });
        }
    }
    let Some(last_space) = memchr::memrchr(b' ', target) else {
        let kind = if target.is_empty() {
            ParseErrorKind::NoRequestUri
        } else {
            ParseErrorKind::NoVersion
        };
        return Err(fail(kind, line.len()));
    };
    let (uri, version) = (&target[..last_space], &target[last_space + 1..]);
    if version.is_empty() || version.last().is_some_and(|&b| is_lws(b)) {
        return Err(fail(ParseErrorKind::TrailingWhitespace, line.len()));
    }
    if uri.is_empty() {
        return Err(fail(ParseErrorKind::NoRequestUri, uri_start));
    }
    // A second SP after the method or before the version (RFC 4475 lwsstart) is a
    // separator written twice, not white space inside the URI.
    if uri.first() == Some(&b' ') {
        return Err(fail(ParseErrorKind::ExtraSpaceInRequestLine, uri_start));
    }
    if uri.last() == Some(&b' ') {
        let at = uri_start + uri.iter().rposition(|&b| b != b' ').map_or(0, |n| n + 1);
        return Err(fail(ParseErrorKind::ExtraSpaceInRequestLine, at));
    }
    // The line holds no CR or LF: SP and HTAB are the white space left to look for.
    if let Some(ws) = memchr2(b' ', b'\t', uri) {
        return Err(fail(ParseErrorKind::WhitespaceInRequestUri, uri_start + ws));
    }
    if !grammar::has_scheme(uri) {
        return Err(fail(ParseErrorKind::BadRequestUri, uri_start));
    }
    let version_at = uri_start + last_space + 1;
    if !version.eq_ignore_ascii_case(b"SIP/2.0") {
        let kind = if version.len() > 4 && version[..4].eq_ignore_ascii_case(b"SIP/") {
            ParseErrorKind::UnsupportedVersion
        } else {
            ParseErrorKind::NoVersion
        };
        return Err(fail(kind, version_at));
    }
    // A line with no CRLF after it leaves the header walk at the end of the input,
    // which reports the head as unterminated.
    Ok(RequestLine {
        start: lead,
        method: Method::parse(method_token),
        uri_start: lead + uri_start,
        uri,
        end: lead + end,
    })
}

/// Whether `bytes` starts with ` SIP/2.0` in any case, in one comparison: bit 0x20 set
/// on the three letters only.
#[inline(always)]
fn is_sp_version(bytes: &[u8]) -> bool {
    const LETTERS: u64 = u64::from_le_bytes([0, 0x20, 0x20, 0x20, 0, 0, 0, 0]);
    bytes
        .first_chunk::<8>()
        .is_some_and(|v| u64::from_le_bytes(*v) | LETTERS == u64::from_le_bytes(*b" sip/2.0"))
}

struct StatusLine {
    start: usize,
    status: u16,
    reason_start: usize,
    reason_end: usize,
    /// Offset just past the line's CRLF.
    end: usize,
}

/// `SIP/2.0 SP 3DIGIT SP reason-phrase CRLF` (RFC 3261 section 7.2).
fn status_line(input: &[u8]) -> Result<StatusLine, ParseError> {
    let (lead, line, end) = first_line(input)?;
    let fail = |kind, at| ParseError::at(kind, input, lead + at);
    if !is_status_line(line) {
        return Err(fail(ParseErrorKind::NotAResponse, 0));
    }
    if !line
        .get(..8)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/2.0 "))
    {
        return Err(fail(ParseErrorKind::UnsupportedVersion, 0));
    }
    let code = line.get(8..11).filter(|c| c.iter().all(u8::is_ascii_digit));
    let status = code
        .map(|c| c.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
        .filter(|n| (100..=699).contains(n));
    let (Some(status), Some(b' ') | None) = (status, line.get(11)) else {
        return Err(fail(ParseErrorKind::BadStatusLine, 8));
    };
    let reason_start = (line.len()).min(12);
    Ok(StatusLine {
        start: lead,
        status,
        reason_start: lead + reason_start,
        reason_end: lead + line.len(),
        end: lead + end,
    })
}

/// `SIP/x.y NNN ...`: a response's first line (also how [`StreamItem`](super::StreamItem)
/// tells a response from a request).
pub(crate) fn is_status_line(line: &[u8]) -> bool {
    line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/")
}

/// Reads the header line starting at `start` when it has the shape nearly every line
/// has: a token name right before the colon, one physical line ending in CRLF, within
/// `max` bytes. Anything else (white space before the colon, a fold, a fault) is
/// `None`, and [`header_line`] reads the line again from its start: it accepts the
/// other valid forms and names the fault of an invalid line, so the result is the
/// same either way.
#[inline(always)]
#[cfg(test)]
fn plain_header_line(input: &[u8], start: usize, max: usize) -> Option<(RawHeader<'_>, usize)> {
    let (colon, cr) = plain_line(input, start, max)?;
    let name = &input[start..colon];
    Some((
        plain_header(input, start, colon, cr, KnownHeader::core(name)),
        cr + 2,
    ))
}

/// The colon and the CR of the line [`plain_header_line`] reads, before anything is
/// made of its value.
#[cfg(test)]
fn plain_line(input: &[u8], start: usize, max: usize) -> Option<(usize, usize)> {
    let (colon, _) = plain_name(input, start)?;
    Some((colon, plain_line_end(input, start, colon, max)?))
}

/// The colon right after the token name of the line at `start`, if there is one, and
/// the header of [`KnownHeader::core`] the name is.
///
/// The names nearly every request carries, written as RFC 3261 writes them, and the
/// compact forms (section 7.3.3), are recognised by their first bytes and compared
/// whole, a word at a time; any other name is read byte by byte. Either way the colon
/// is the same: a name recognised is a token followed by its colon.
#[inline(always)]
fn plain_name(input: &[u8], start: usize) -> Option<(usize, Option<KnownHeader>)> {
    let line = input.get(start..)?;
    if let Some((len, core)) = usual_name(line) {
        return Some((start + len - 1, core));
    }
    let colon = token_name(input, start)?;
    Some((colon, KnownHeader::core(&input[start..colon])))
}

/// The length of `name` (with its colon) when `line` starts with it, and `core`:
/// one comparison of a known length, which the compiler makes a few word compares.
#[inline(always)]
fn starts_with_name<const N: usize>(
    line: &[u8],
    name: &[u8; N],
    core: Option<KnownHeader>,
) -> Option<(usize, Option<KnownHeader>)> {
    (line.first_chunk::<N>()? == name).then_some((N, core))
}

/// The length (with the colon) of the name of [`plain_name`]'s list `line` starts
/// with, and the header of [`KnownHeader::core`] it is; `None` for any other name.
#[inline(always)]
fn usual_name(line: &[u8]) -> Option<(usize, Option<KnownHeader>)> {
    use KnownHeader as K;
    let head = line.first_chunk::<8>()?;
    match head {
        [c, b':', ..] if grammar::is_token_char(*c) => {
            Some((2, KnownHeader::core(std::slice::from_ref(c))))
        }
        [b'T', b'o', b':', ..] => Some((3, Some(K::To))),
        [b'V', b'i', b'a', b':', ..] => Some((4, Some(K::Via))),
        [b'F', b'r', b'o', b'm', b':', ..] => Some((5, Some(K::From))),
        [b'C', b'S', b'e', b'q', b':', ..] => Some((5, Some(K::CSeq))),
        [b'R', b'o', b'u', b't', b'e', b':', ..] => Some((6, None)),
        [b'C', b'a', b'l', b'l', b'-', b'I', b'D', b':'] => Some((8, Some(K::CallId))),
        [b'C', b'o', b'n', b't', b'a', b'c', b't', b':'] => Some((8, Some(K::Contact))),
        [b'C', b'o', b'n', b't', b'e', b'n', b't', b'-'] => match line.get(8)? {
            b'L' => starts_with_name(line, b"Content-Length:", Some(K::ContentLength)),
            b'T' => starts_with_name(line, b"Content-Type:", None),
            _ => None,
        },
        [b'C', b'o', b'n', b't', b'r', ..] => starts_with_name(line, b"Contribution-ID:", None),
        [b'C', b'o', b'n', b'v', ..] => starts_with_name(line, b"Conversation-ID:", None),
        [b'A', b'c', b'c', b'e', ..] => {
            starts_with_name(line, b"Accept-Contact:", Some(K::AcceptContact))
        }
        [b'M', b'a', b'x', b'-', ..] => starts_with_name(line, b"Max-Forwards:", None),
        [b'R', b'e', b'c', b'o', ..] => starts_with_name(line, b"Record-Route:", None),
        [b'U', b's', b'e', b'r', ..] => starts_with_name(line, b"User-Agent:", None),
        [b'S', b'u', b'p', b'p', ..] => starts_with_name(line, b"Supported:", None),
        [b'P', b'-', b'A', b's', ..] => starts_with_name(line, b"P-Asserted-Identity:", None),
        _ => None,
    }
}

/// The colon right after the token name of the line at `start`, read byte by byte.
#[inline(always)]
fn token_name(input: &[u8], start: usize) -> Option<usize> {
    let line = input.get(start..)?;
    let name_len = grammar::short_token_len(line);
    if name_len == 0 || line.get(name_len) != Some(&b':') {
        return None;
    }
    Some(start + name_len)
}

/// The CR of the line at `start` whose name ends at `colon`, when the line has the
/// usual shape (one physical line ending in CRLF, at most `max` bytes).
#[inline(always)]
fn plain_line_end(input: &[u8], start: usize, colon: usize, max: usize) -> Option<usize> {
    let cr = find_line_end(input, colon + 1)?;
    // CR, LF, and a next line that is not a fold, in one bounds check.
    let plain_end =
        matches!(input.get(cr..), Some([b'\r', b'\n', b, ..]) if !matches!(b, b' ' | b'\t'));
    (plain_end && cr - start <= max).then_some(cr)
}

/// The header of a line [`plain_line`] read: the value between the colon and the CR,
/// white space trimmed.
#[inline(always)]
fn plain_header(
    input: &[u8],
    start: usize,
    colon: usize,
    cr: usize,
    core: Option<KnownHeader>,
) -> RawHeader<'_> {
    let value = grammar::lws(&input[colon + 1..cr]);
    RawHeader {
        start,
        name: &input[start..colon],
        core,
        value_start: cr - value.len(),
        value: grammar::trim_end_lws(value),
    }
}

/// Reads the header line starting at `start` (folds included): its name, its value,
/// and the offset of the next line.
///
/// The name is read first, up to the colon; the search for the line end then starts
/// after the colon, so that the bytes of the name are looked at once. A name that is
/// not followed by a colon is a fault, reported as [`split_header`] reports it, after
/// the faults of the line itself (as when the line end was found first).
#[cold]
#[inline(never)]
fn header_line(
    input: &[u8],
    start: usize,
    max: usize,
) -> Result<(RawHeader<'_>, usize), ParseError> {
    // Names are short: one table lookup per byte beats the eight-byte runs here.
    let name_len = input[start..]
        .iter()
        .position(|&b| !grammar::is_token_char(b))
        .unwrap_or(input.len() - start);
    let mut colon = start + name_len;
    // Token bytes and SP/HTAB are never CR or LF: the line end lies past the colon.
    while matches!(input.get(colon), Some(b' ' | b'\t')) {
        colon += 1;
    }
    if name_len == 0 || input.get(colon) != Some(&b':') {
        let (end, next) = header_end(input, start, start, max)?;
        return split_header(input, start, end).map(|h| (h, next));
    }
    let (end, next) = header_end(input, start, colon + 1, max)?;
    let name = &input[start..start + name_len];
    let raw_value = &input[colon + 1..end];
    let value = grammar::lws(raw_value);
    let header = RawHeader {
        start,
        name,
        core: KnownHeader::core(name),
        value_start: end - value.len(),
        value: grammar::trim_end_lws(value),
    };
    Ok((header, next))
}

/// Finds where the header starting at `start` ends, searching from `from` (a point of
/// the first line before its end): returns the offset of its final CRLF and the offset
/// of the next line. Folded continuation lines belong to the header.
#[inline]
fn header_end(
    input: &[u8],
    start: usize,
    from: usize,
    max: usize,
) -> Result<(usize, usize), ParseError> {
    let fail = |kind, at| ParseError::at(kind, input, at);
    let mut at = from;
    loop {
        let Some(cr) = find_line_end(input, at) else {
            return Err(fail(ParseErrorKind::UnterminatedHead, input.len()));
        };
        if input[cr] != b'\r' || input.get(cr + 1) != Some(&b'\n') {
            return Err(fail(ParseErrorKind::BareLineEnd, cr));
        }
        if cr - start > max {
            return Err(fail(ParseErrorKind::HeaderTooLong(max), start));
        }
        let next = cr + 2;
        match input.get(next) {
            Some(b' ' | b'\t') => at = next,
            _ => return Ok((cr, next)),
        }
    }
}

/// Bytes below this are control bytes that may end a line: CR (0x0D), LF (0x0A), and
/// a few others (HTAB, NUL...) that a value may hold (RFC 3261 section 25.1 leaves
/// their meaning to the header), which the search steps over.
const LINE_END_BELOW: u8 = 0x0E;

/// Whether any byte of `chunk` is below [`LINE_END_BELOW`].
///
/// Written as one fold over a fixed-size array, with one comparison per byte and no
/// early exit, which the compiler turns into a few vector instructions for the 32
/// bytes (SSE2 on x86-64, NEON on AArch64): safe code, no intrinsics.
#[inline(always)]
fn any_control(chunk: &[u8; 32]) -> bool {
    chunk
        .iter()
        .fold(0u8, |any, &b| any | u8::from(b < LINE_END_BELOW))
        != 0
}

/// The offset in `chunk` of its first byte below [`LINE_END_BELOW`], if any.
///
/// Eight bytes per step in a `u64` word (SWAR): one subtraction flags every byte below
/// the bound, and the lowest flag is exact (a borrow only starts at a flagged byte).
#[inline(always)]
fn first_control(chunk: &[u8; 32]) -> Option<usize> {
    const BELOW: u64 = u64::from_le_bytes([LINE_END_BELOW; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    (0..4).find_map(|i| {
        let word = u64::from_le_bytes(*chunk.get(i * 8..)?.first_chunk::<8>()?);
        let flags = word.wrapping_sub(BELOW) & !word & HIGH;
        (flags != 0).then(|| i * 8 + (flags.trailing_zeros() / 8) as usize)
    })
}

/// The offset of the first CR or LF of `input` at or after `at`.
///
/// The first 128 bytes are searched 32 bytes per step with [`any_control`], and the
/// step that holds a control byte is searched again with [`first_control`] for its
/// offset: a usual header line of 40 to 100 bytes takes two to four steps, against a
/// library call per line. A control byte other than CR and LF is stepped over. This
/// is the one look at the bytes of a value routing does not read. A longer line, and
/// the last 31 bytes of the input, are searched with `memchr2`, whose wider steps win
/// once its fixed cost is paid.
#[inline(always)]
fn find_line_end(input: &[u8], at: usize) -> Option<usize> {
    let mut base = at;
    let mut rest = input.get(at..)?;
    for _ in 0..4 {
        let Some((chunk, next)) = rest.split_first_chunk::<32>() else {
            break;
        };
        if !any_control(chunk) {
            base += 32;
            rest = next;
            continue;
        }
        let n = first_control(chunk)?;
        if matches!(chunk.get(n), Some(b'\r' | b'\n')) {
            return Some(base + n);
        }
        // HTAB, NUL or another control byte: go on after it.
        base += n + 1;
        rest = input.get(base..)?;
    }
    memchr2(b'\r', b'\n', rest).map(|n| base + n)
}

/// Splits `input[start..end]` into name and value.
fn split_header(input: &[u8], start: usize, end: usize) -> Result<RawHeader<'_>, ParseError> {
    let line = &input[start..end];
    // The name is short: one pass over it finds its end, then white space, then ':'.
    let name_len = line
        .iter()
        .position(|&b| !grammar::is_token_char(b))
        .unwrap_or(line.len());
    let after_name = &line[name_len..];
    let colon = match after_name.iter().position(|&b| b != b' ' && b != b'\t') {
        Some(n) if after_name[n] == b':' => name_len + n,
        _ if memchr::memchr(b':', line).is_none() => {
            return Err(ParseError::at(ParseErrorKind::NoColon, input, start))
        }
        _ => return Err(ParseError::at(ParseErrorKind::BadHeaderName, input, start)),
    };
    if name_len == 0 {
        return Err(ParseError::at(ParseErrorKind::BadHeaderName, input, start));
    }
    let name = &line[..name_len];
    let raw_value = &line[colon + 1..];
    let value = grammar::lws(raw_value);
    let value_start = start + colon + 1 + (raw_value.len() - value.len());
    Ok(RawHeader {
        start,
        name,
        core: KnownHeader::core(name),
        value_start,
        value: grammar::trim_end_lws(value),
    })
}

/// `CSeq: 1*DIGIT LWS Method`, the number at most 2^32 - 1 (RFC 3261 section 8.1.1.5
/// and RFC 4475 section 3.1.2.4).
fn parse_cseq(value: &[u8]) -> Option<(u32, &[u8])> {
    // The number is read as the digits are counted; past u32::MAX it stays there.
    let mut number = 0u64;
    let mut digits = 0;
    while let Some(&b) = value.get(digits).filter(|b| b.is_ascii_digit()) {
        number = (number * 10 + u64::from(b - b'0')).min(u64::from(u32::MAX) + 1);
        digits += 1;
    }
    if digits == 0 {
        return None;
    }
    let number = u32::try_from(number).ok()?;
    let rest = &value[digits..];
    let method = grammar::lws(rest);
    if method.len() == rest.len() || !grammar::is_token(method) {
        return None;
    }
    Some((number, method))
}

/// A non-empty run of ASCII digits that fits in `usize` (leading zeros allowed):
/// `Content-Length: 1*DIGIT`, and the number of a CSeq.
fn parse_decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(usize::from(b - b'0'))
    })
}

/// Checks a Via value: `via-parm *(COMMA via-parm)`, each
/// `protocol-name SLASH version SLASH transport LWS sent-by *(SEMI via-params)`.
fn via(value: &[u8], limits: &Limits) -> Result<(), ValueError> {
    let bad =
        |what, at: &[u8]| ValueError::new(ParseErrorKind::BadVia(what), grammar::offset(value, at));
    let mut rest = value;
    loop {
        let mut at = grammar::lws(rest);
        for (i, what) in ["no protocol name", "no protocol version", "no transport"]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                at = match grammar::lws(at).strip_prefix(b"/") {
                    Some(after) => grammar::lws(after),
                    None => return Err(bad("sent-protocol is not name/version/transport", at)),
                };
            }
            at = match grammar::token(at) {
                Ok((after, _)) => after,
                Err(_) => return Err(bad(what, at)),
            };
        }
        let host_at = grammar::lws(at);
        if host_at.len() == at.len() {
            return Err(bad("no space before sent-by", at));
        }
        at = sent_by(host_at).ok_or_else(|| bad("sent-by is not host[:port]", host_at))?;
        let mut seen = 0;
        at = grammar::params(value, at, limits.max_params, ParseErrorKind::BadVia, |p| {
            grammar::check_named(grammar::VIA_PARAMS, &mut seen, p.name, p.value).map_err(|what| {
                let at = grammar::position(value, p.name);
                ValueError::new(ParseErrorKind::BadVia(what), at)
            })
        })?;
        match at.first() {
            None => return Ok(()),
            Some(b',') => rest = &at[1..],
            Some(_) => return Err(bad("unexpected character", at)),
        }
    }
}

/// Whether a Via value has the shape nearly every Via has, checked in one pass with no
/// backtracking: `SIP/2.0/` and a transport, one SP, a host name or IPv4 address with
/// an optional port, then `;name[=value]` parameters, no white space, one value.
///
/// Every value it accepts, [`via`] accepts too; `false` says only "not this shape", and
/// the caller then runs [`via`], which accepts the other valid forms (folds, spaces,
/// IPv6, several values) and names the fault of an invalid one.
fn plain_via(value: &[u8], max_params: usize) -> bool {
    plain_via_len(value, max_params) == Some(value.len())
}

/// How many bytes of `value` the shape of [`plain_via`] covers from its start, or
/// `None` when it does not start with that shape. None of those bytes is white space,
/// CR or LF, so the walk can read a Via line with it before looking for the line end.
#[inline]
fn plain_via_len(value: &[u8], max_params: usize) -> Option<usize> {
    // `SIP/2.0/` in one comparison: bit 0x20 set on the three letters only.
    let (version, rest) = value.split_first_chunk::<8>()?;
    const LETTERS: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0, 0, 0, 0, 0]);
    if u64::from_le_bytes(*version) | LETTERS != u64::from_le_bytes(*b"sip/2.0/") {
        return None;
    }
    let transport = grammar::short_token_len(rest);
    if transport == 0 || rest.get(transport) != Some(&b' ') {
        return None;
    }
    let rest = &rest[transport + 1..];
    let host = grammar::short_host_len(rest);
    if host == 0 {
        return None;
    }
    let mut rest = &rest[host..];
    if let Some((b':', port)) = rest.split_first() {
        let digits = port.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &port[digits..];
    }
    let rest = plain_params(rest, max_params)?;
    Some(value.len() - rest.len())
}

/// Reads `*(";" token ["=" bare-value])` from the start of `rest`, with at most
/// `max_params` parameters, the ones Via names written as its grammar says
/// ([`grammar::VIA_PARAMS`]): the parameters of [`plain_via`]. Returns what follows
/// them; `None` when a parameter is empty, one too many, or not as Via names it.
#[inline]
fn plain_params(mut rest: &[u8], max_params: usize) -> Option<&[u8]> {
    let mut count = 0;
    let mut seen = 0;
    while let Some((b';', after)) = rest.split_first() {
        count += 1;
        if count > max_params {
            return None;
        }
        if let Some((known, name_len)) = usual_via_param(after) {
            let (value, after_value) = bare_param_value(&after[name_len..])?;
            rest = after_value;
            if !usual_via_param_fits(&mut seen, known, value) {
                return None;
            }
            continue;
        }
        let name_len = grammar::short_token_len(after);
        if name_len == 0 {
            return None;
        }
        let (value, after_value) = bare_param_value(&after[name_len..])?;
        rest = after_value;
        if !plain_via_param(&mut seen, &after[..name_len], value) {
            return None;
        }
    }
    Some(rest)
}

/// The `= bare-value` that may follow a parameter name in [`plain_params`], and what
/// follows it: `(None, rest)` when `rest` does not start with `=`; `None` when the
/// value after the `=` is empty.
#[inline(always)]
fn bare_param_value(rest: &[u8]) -> Option<(Option<grammar::ParamValue<'_>>, &[u8])> {
    let Some((b'=', after)) = rest.split_first() else {
        return Some((None, rest));
    };
    let value_len = grammar::short_bare_len(after);
    if value_len == 0 {
        return None;
    }
    Some((
        Some(grammar::ParamValue::Bare(&after[..value_len])),
        &after[value_len..],
    ))
}

/// The parameter name nearly every Via carries that `after` (the bytes after a `;`)
/// starts with, written as RFC 3261 writes it in any case, and its length: `branch`
/// and `received` followed by `=`, `rport` followed by a byte that ends a token.
/// Recognised in one word, so that the name is not read byte by byte; `None` for any
/// other parameter (or fewer than eight bytes left), which is read byte by byte.
#[inline(always)]
fn usual_via_param(after: &[u8]) -> Option<(UsualViaParam, usize)> {
    const fn word(bytes: &[u8; 8]) -> u64 {
        u64::from_le_bytes(*bytes)
    }
    // Bit 0x20 set on a letter's position makes either case the lower one, and no
    // other byte.
    const FOLD: u64 = word(&[0x20; 8]);
    const FIVE: u64 = word(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]);
    const SIX: u64 = word(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
    let bytes = after.first_chunk::<8>()?;
    let folded = word(bytes) | FOLD;
    if folded & SIX == word(b"branch\0\0") && bytes[6] == b'=' {
        Some((UsualViaParam::Branch, 6))
    } else if folded & FIVE == word(b"rport\0\0\0") && !grammar::is_token_char(bytes[5]) {
        Some((UsualViaParam::Rport, 5))
    } else if folded == word(b"received") && after.get(8) == Some(&b'=') {
        Some((UsualViaParam::Received, 8))
    } else {
        None
    }
}

/// [`grammar::check_named`] with [`grammar::VIA_PARAMS`], `true` when the parameter
/// passes, for a parameter [`plain_params`] read (a value, if any, bare and not
/// empty). `branch` and `rport`, on nearly every Via, are told by their length and
/// first letter and checked here; any other name goes to `check_named`. `seen` holds
/// the bits `check_named` keeps (one per entry of `VIA_PARAMS`, in its order).
#[inline(always)]
fn plain_via_param(seen: &mut u32, name: &[u8], value: Option<grammar::ParamValue<'_>>) -> bool {
    // The name (at most eight bytes here) with bit 0x20 set on every byte, in one word:
    // equal to the lower-case name padded with SP exactly when the name is that name
    // in any case (the names are letters only).
    let is = |lower: &[u8; 8]| {
        let mut word = [0u8; 8];
        if let Some(to) = word.get_mut(..name.len()) {
            to.copy_from_slice(name);
        }
        u64::from_le_bytes(word) | u64::from_le_bytes([0x20; 8]) == u64::from_le_bytes(*lower)
    };
    let first = name.first().map_or(0, |b| b | 0x20);
    let known = match (name.len(), first) {
        (6, b'b') if is(b"branch  ") => UsualViaParam::Branch,
        (5, b'r') if is(b"rport   ") => UsualViaParam::Rport,
        (8, b'r') if is(b"received") => UsualViaParam::Received,
        _ => return grammar::check_named(grammar::VIA_PARAMS, seen, name, value).is_ok(),
    };
    usual_via_param_fits(seen, known, value)
}

/// The Via parameters nearly every Via carries, checked without [`grammar::VIA_PARAMS`]
/// by [`usual_via_param_fits`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum UsualViaParam {
    Branch,
    Received,
    Rport,
}

/// [`plain_via_param`] for a parameter whose name is known to be one of
/// [`UsualViaParam`]: the same answer, and the same bit of `seen` set.
#[inline(always)]
fn usual_via_param_fits(
    seen: &mut u32,
    known: UsualViaParam,
    value: Option<grammar::ParamValue<'_>>,
) -> bool {
    // The bits of `seen`: one per entry of `VIA_PARAMS`, in its order.
    const BRANCH: u32 = 1 << 0;
    const RECEIVED: u32 = 1 << 1;
    const RPORT: u32 = 1 << 2;
    let bit = match known {
        UsualViaParam::Branch => BRANCH,
        UsualViaParam::Rport => RPORT,
        // `received` with a name or IPv4 address: host bytes only, which the table
        // accepts; any other value (IPv6, a fault), or a second one, goes to the table.
        UsualViaParam::Received => {
            return match value {
                Some(grammar::ParamValue::Bare(v))
                    if *seen & RECEIVED == 0
                        && !v.is_empty()
                        && grammar::short_host_len(v) == v.len() =>
                {
                    *seen |= RECEIVED;
                    true
                }
                _ => grammar::check_named(grammar::VIA_PARAMS, seen, b"received", value).is_ok(),
            }
        }
    };
    if *seen & bit != 0 {
        return false;
    }
    *seen |= bit;
    match value {
        // `branch=token`, a bare value not empty here.
        Some(grammar::ParamValue::Bare(v)) if bit == BRANCH => !v.is_empty(),
        Some(grammar::ParamValue::Bare(v)) => !v.is_empty() && v.iter().all(u8::is_ascii_digit),
        Some(grammar::ParamValue::Quoted(_)) => false,
        // `rport` may stand alone (RFC 3581 section 3), `branch` may not.
        None => bit == RPORT,
    }
}

/// Reads a whole Via line of the usual shape in one pass, whose name (from `start`)
/// ends at `colon`: SP or HTAB, a value [`plain_via`] accepts, CRLF, no fold, at most
/// `max` bytes. Returns the offset of the CR: the value was checked as it was read,
/// and no search for the line end is needed. `None` for any other line, which the
/// walk then reads as usual (to the same result or the same fault).
#[inline]
fn plain_via_line(input: &[u8], start: usize, colon: usize, limits: &Limits) -> Option<usize> {
    let mut at = colon + 1;
    while matches!(input.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    let value = input.get(at..)?;
    let len = plain_via_len(value, limits.max_params)?;
    let cr = at + len;
    let plain_end =
        matches!(value.get(len..), Some([b'\r', b'\n', b, ..]) if !matches!(b, b' ' | b'\t'));
    (plain_end && cr - start <= limits.max_header_size).then_some(cr)
}

/// `host [COLON port]`, host a name, an IPv4 address or a bracketed IPv6 reference.
fn sent_by(i: &[u8]) -> Option<&[u8]> {
    let host_len = if i.first() == Some(&b'[') {
        memchr::memchr(b']', i)? + 1
    } else {
        i.iter().take_while(|&&b| grammar::is_host_char(b)).count()
    };
    if host_len == 0 {
        return None;
    }
    let rest = &i[host_len..];
    let after_colon = grammar::lws(rest);
    match after_colon.strip_prefix(b":") {
        Some(port) => {
            let port = grammar::lws(port);
            let digits = port.iter().take_while(|b| b.is_ascii_digit()).count();
            (digits > 0).then_some(&port[digits..])
        }
        None => Some(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl<'a> Visit<'a> for Nothing {
        fn header(&mut self, _: Method<'a>, _: &RawHeader<'a>) -> Result<(), ValueError> {
            Ok(())
        }
    }

    const BASE: &str = "Via: SIP/2.0/UDP h.example.com:5060;branch=z9hG4bK1\r\n\
        From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\n";

    fn walk(text: &str) -> Result<Frame<'_>, ParseError> {
        scan(text.as_bytes(), &Limits::DEFAULT, &mut Nothing)
    }

    fn kind(text: &str) -> ParseErrorKind {
        walk(text).unwrap_err().kind().clone()
    }

    #[test]
    fn a_minimal_request_walks() {
        let text = format!("OPTIONS sip:b@example.com SIP/2.0\r\n{BASE}CSeq: 7 OPTIONS\r\n\r\n");
        let frame = walk(&text).unwrap();
        assert_eq!(frame.method, Method::Options);
        assert_eq!(frame.uri, b"sip:b@example.com");
        assert_eq!(frame.head.cseq, 7);
        assert_eq!(frame.head.body, b"");
        assert_eq!(frame.head.content_length, None);
        assert!(!frame.head.unusual_lines);
    }

    #[test]
    fn a_fold_or_an_unusual_line_is_said() {
        for line in [
            "Subject: a\r\n b\r\n",
            "Subject : a\r\n",
            "Via: SIP/2.0/UDP h;\r\n branch=z9hG4bK1\r\n",
        ] {
            let text =
                format!("OPTIONS sip:b@example.com SIP/2.0\r\n{BASE}{line}CSeq: 7 OPTIONS\r\n\r\n");
            let frame = walk(&text).unwrap();
            assert!(frame.head.unusual_lines, "{line:?}");
        }
    }

    #[test]
    fn request_line_faults() {
        let tail = format!("\r\n{BASE}CSeq: 1 INVITE\r\n\r\n");
        let case = |line: &str| kind(&format!("{line}{tail}"));
        assert_eq!(case(" INVITE sip:a@b SIP/2.0"), ParseErrorKind::NoMethod);
        assert_eq!(
            case("INVITE\tsip:a@b SIP/2.0"),
            ParseErrorKind::BadRequestLine
        );
        assert_eq!(
            case("INV:ITE sip:a@b SIP/2.0"),
            ParseErrorKind::BadRequestLine
        );
        assert_eq!(
            case("INVITE sip:a@b; lr SIP/2.0"),
            ParseErrorKind::WhitespaceInRequestUri
        );
        assert_eq!(
            case("INVITE <sip:a@b> SIP/2.0"),
            ParseErrorKind::BadRequestUri
        );
        assert_eq!(
            case("INVITE  sip:a@b SIP/2.0"),
            ParseErrorKind::ExtraSpaceInRequestLine
        );
        assert_eq!(
            case("INVITE sip:a@b  SIP/2.0"),
            ParseErrorKind::ExtraSpaceInRequestLine
        );
        assert_eq!(
            case("INVITE sip:a@b SIP/2.0 "),
            ParseErrorKind::TrailingWhitespace
        );
        assert_eq!(
            case("INVITE sip:a@b SIP/3.0"),
            ParseErrorKind::UnsupportedVersion
        );
        assert_eq!(case("INVITE sip:a@b"), ParseErrorKind::NoVersion);
        assert_eq!(case("INVITE"), ParseErrorKind::NoRequestUri);
        assert_eq!(case("INVITE  SIP/2.0"), ParseErrorKind::NoRequestUri);
        assert_eq!(case("SIP/2.0 200 OK"), ParseErrorKind::NotARequest);
        assert_eq!(kind(""), ParseErrorKind::Empty);
        assert_eq!(
            kind("OPTIONS sip:a@b SIP/2.0"),
            ParseErrorKind::UnterminatedHead
        );
        assert_eq!(kind("\r\n\r\n"), ParseErrorKind::Empty);
    }

    #[test]
    fn keep_alive_crlfs_before_the_request_line_are_ignored() {
        let text =
            format!("\r\n\r\nOPTIONS sip:b@example.com SIP/2.0\r\n{BASE}CSeq: 1 OPTIONS\r\n\r\n");
        let frame = walk(&text).unwrap();
        assert_eq!(frame.uri, b"sip:b@example.com");
        assert_eq!(frame.uri_start, 12);
        let err = walk("\r\nOPTIONS sip:b@example.com SIP/9.9\r\n\r\n").unwrap_err();
        assert_eq!((err.line(), err.offset()), (2, 28));
    }

    #[test]
    fn required_headers_and_their_counts() {
        let line = "INVITE sip:b@example.com SIP/2.0\r\n";
        for (drop, header) in [
            ("Via:", KnownHeader::Via),
            ("From:", KnownHeader::From),
            ("To:", KnownHeader::To),
            ("Call-ID:", KnownHeader::CallId),
        ] {
            let kept: String = BASE
                .split_inclusive("\r\n")
                .filter(|l| !l.starts_with(drop))
                .collect();
            let text = format!("{line}{kept}CSeq: 1 INVITE\r\n\r\n");
            assert_eq!(kind(&text), ParseErrorKind::MissingHeader(header));
        }
        let text = format!("{line}{BASE}\r\n");
        assert_eq!(
            kind(&text),
            ParseErrorKind::MissingHeader(KnownHeader::CSeq)
        );
        let text = format!("{line}{BASE}CSeq: 1 INVITE\r\ni: again\r\n\r\n");
        assert_eq!(
            kind(&text),
            ParseErrorKind::DuplicateHeader(KnownHeader::CallId)
        );
        let text = format!("{line}{BASE}CSeq: 1 INVITE\r\nl: 0\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            kind(&text),
            ParseErrorKind::DuplicateHeader(KnownHeader::ContentLength)
        );
    }

    #[test]
    fn cseq_is_number_and_matching_method() {
        let line = "MESSAGE sip:b@example.com SIP/2.0\r\n";
        let with = |cseq: &str| format!("{line}{BASE}CSeq: {cseq}\r\n\r\n");
        assert!(walk(&with("4294967295 MESSAGE")).is_ok());
        assert!(walk(&with("0009\r\n  MESSAGE")).is_ok());
        assert_eq!(kind(&with("4294967296 MESSAGE")), ParseErrorKind::BadCSeq);
        assert_eq!(kind(&with("x MESSAGE")), ParseErrorKind::BadCSeq);
        assert_eq!(kind(&with("1MESSAGE")), ParseErrorKind::BadCSeq);
        assert_eq!(kind(&with("1")), ParseErrorKind::BadCSeq);
        let err = walk(&with("1 INVITE")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 6: CSeq method INVITE differs from the request method MESSAGE"
        );
    }

    #[test]
    fn content_length_frames_the_body() {
        let line = "MESSAGE sip:b@example.com SIP/2.0\r\n";
        let with = |cl: &str, body: &str| format!("{line}{BASE}CSeq: 1 MESSAGE\r\n{cl}\r\n{body}");
        let text = with("l: 5\r\n", "hello and more");
        assert_eq!(walk(&text).unwrap().head.body, b"hello");
        assert_eq!(
            kind(&with("l: 50\r\n", "hello")),
            ParseErrorKind::BodyTooShort {
                declared: 50,
                available: 5
            }
        );
        assert_eq!(
            kind(&with("l: five\r\n", "hello")),
            ParseErrorKind::BadContentLength
        );
        assert_eq!(
            kind(&with("l: -5\r\n", "hello")),
            ParseErrorKind::BadContentLength
        );
        assert_eq!(
            kind(&with("l: 18446744073709551616\r\n", "")),
            ParseErrorKind::BadContentLength
        );
        assert_eq!(
            walk(&with("", "no length")).unwrap().head.body,
            b"no length"
        );
    }

    #[test]
    fn line_faults() {
        let line = "OPTIONS sip:b@example.com SIP/2.0\r\n";
        let end = "CSeq: 1 OPTIONS\r\n";
        assert_eq!(
            kind(&format!("{line}{BASE}{end}")),
            ParseErrorKind::UnterminatedHead
        );
        assert_eq!(
            kind(&format!("{line}{BASE}No colon here\r\n{end}\r\n")),
            ParseErrorKind::NoColon
        );
        assert_eq!(
            kind(&format!("{line}{BASE}Bad Name: x\r\n{end}\r\n")),
            ParseErrorKind::BadHeaderName
        );
        assert_eq!(
            kind(&format!("{line}{BASE}N\0: x\r\n{end}\r\n")),
            ParseErrorKind::BadHeaderName
        );
        assert_eq!(
            kind(&format!("{line}{BASE}X: a\nY: b\r\n{end}\r\n")),
            ParseErrorKind::BareLineEnd
        );
        assert_eq!(
            kind(&format!("{line}{BASE}X: a\rb\r\n{end}\r\n")),
            ParseErrorKind::BareLineEnd
        );
        assert_eq!(
            kind(&format!("{line} folded\r\n{BASE}{end}\r\n")),
            ParseErrorKind::OrphanContinuation
        );
        assert_eq!(
            kind("OPTIONS sip:b@example.com SIP/2.0\n\n"),
            ParseErrorKind::BareLineEnd
        );
    }

    #[test]
    fn the_step_search_finds_the_first_line_end_as_memchr2_does() {
        let mut text = Vec::new();
        for len in 0..200 {
            for filler in [b'x', b'\t', 0, 0x0b, 0x0e, 0x8d, 0xff] {
                for end in [&b"\r\n"[..], b"\n", b"\r", b""] {
                    text.clear();
                    text.extend(std::iter::repeat(filler).take(len));
                    text.extend_from_slice(end);
                    text.extend_from_slice(b"tail\r\n");
                    for from in [0, len / 2, len] {
                        let expected = memchr2(b'\r', b'\n', &text[from..]).map(|n| from + n);
                        assert_eq!(find_line_end(&text, from), expected, "{len} {filler}");
                    }
                }
            }
        }
        assert_eq!(find_line_end(b"ab", 5), None);
    }

    #[test]
    fn the_plain_line_reader_agrees_with_the_full_one() {
        let lines: &[&[u8]] = &[
            b"Via: SIP/2.0/UDP h\r\nX",
            b"Subject:x\r\nX",
            b"Subject:   \t x  \t\r\nX",
            b"Subject:\r\nX",
            b"Subject : x\r\nX",
            b"Subject: a\r\n b\r\nX",
            b"Subject: a\tb\0c\r\nX",
            b"Accept-Contact: *\r\nX",
            b"Call-ID: c\r\n",
            b"Bad Name: x\r\nX",
            b"No colon\r\nX",
            b"X: a\nY: b\r\nX",
            b"X: a\rb\r\nX",
            b"X-Very-Long-Header-Name-Here: 0123456789012345678901234567890123456789\r\nX",
        ];
        for &line in lines {
            for max in [4, 1000] {
                let full = header_line(line, 0, max)
                    .map(|(h, next)| (h.name, h.core, h.value_start, h.value, next));
                if let Some((h, next)) = plain_header_line(line, 0, max) {
                    let plain = (h.name, h.core, h.value_start, h.value, next);
                    assert_eq!(
                        Ok(plain),
                        full.clone().map_err(|e| e.kind().clone()),
                        "{line:?}"
                    );
                }
            }
        }
        assert!(plain_header_line(b"Subject: x\r\nX", 0, 1000).is_some());
        assert!(plain_header_line(b"Subject: a\r\n b\r\nX", 0, 1000).is_none());
    }

    #[test]
    fn a_via_line_read_in_one_pass_ends_where_the_line_ends() {
        let limits = Limits::DEFAULT;
        let line = |text: &[u8]| plain_via_line(text, 0, 3, &limits);
        let text = b"Via: SIP/2.0/TCP h:5060;branch=z9hG4bK1;rport\r\nX";
        assert_eq!(line(text), memchr2(b'\r', b'\n', text));
        assert_eq!(line(b"Via:\tSIP/2.0/UDP 192.0.2.1\r\nX"), Some(26));
        for other in [
            &b"Via: SIP/2.0/UDP h \r\nX"[..],
            b"Via: SIP/2.0/UDP h\r\n ;branch=x\r\nX",
            b"Via: SIP/2.0/UDP h\nX",
            b"Via: SIP/2.0/UDP h, SIP/2.0/UDP g\r\nX",
            b"Via: SIP/2.0/UDP h;;\r\nX",
            b"Via: SIP/2.0/UDP h\r\n",
        ] {
            assert_eq!(line(other), None, "{other:?}");
        }
        let tight = Limits {
            max_header_size: 10,
            ..Limits::DEFAULT
        };
        assert_eq!(plain_via_line(text, 0, 3, &tight), None);
    }

    /// Via parameter names of the usual list, their cases and their near misses.
    const VIA_PARAM_NAMES: [&str; 24] = [
        "branch",
        "BRANCH",
        "Branch",
        "branc",
        "branchx",
        "bRanch",
        "brbnch",
        "rport",
        "RPORT",
        "rPort",
        "rpor",
        "rports",
        "received",
        "RECEIVED",
        "receive",
        "receivedx",
        "ttl",
        "maddr",
        "b",
        "r",
        "brunch",
        "rp0rt",
        "x",
        "",
    ];

    /// Values a Via parameter may carry, valid for one name or another, or for none.
    const VIA_PARAM_VALUES: [Option<grammar::ParamValue<'static>>; 11] = [
        None,
        Some(grammar::ParamValue::Bare(b"z9hG4bK-1")),
        Some(grammar::ParamValue::Bare(b"5060")),
        Some(grammar::ParamValue::Bare(b"")),
        Some(grammar::ParamValue::Bare(b"192.0.2.1")),
        Some(grammar::ParamValue::Bare(b"[2001:db8::1]")),
        Some(grammar::ParamValue::Bare(b"a/b")),
        Some(grammar::ParamValue::Bare(b"50a")),
        Some(grammar::ParamValue::Bare(b"255")),
        Some(grammar::ParamValue::Bare(b"256")),
        Some(grammar::ParamValue::Quoted(b"x")),
    ];

    #[test]
    fn the_via_parameter_check_agrees_with_the_named_table() {
        let (names, values) = (VIA_PARAM_NAMES, VIA_PARAM_VALUES);
        for first in names {
            for name in names {
                for v1 in values {
                    for v2 in values {
                        let (mut a, mut b) = (0, 0);
                        let fast = plain_via_param(&mut a, first.as_bytes(), v1)
                            && plain_via_param(&mut a, name.as_bytes(), v2);
                        let table =
                            grammar::check_named(grammar::VIA_PARAMS, &mut b, first.as_bytes(), v1)
                                .is_ok()
                                && grammar::check_named(
                                    grammar::VIA_PARAMS,
                                    &mut b,
                                    name.as_bytes(),
                                    v2,
                                )
                                .is_ok();
                        assert_eq!(fast, table, "{first} {v1:?} {name} {v2:?}");
                        if fast {
                            assert_eq!(a, b, "{first} {name}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn usual_names_end_where_the_byte_by_byte_reading_ends() {
        let names = [
            "v",
            "f",
            "t",
            "i",
            "m",
            "l",
            "a",
            "%",
            "To",
            "Via",
            "From",
            "CSeq",
            "Route",
            "Call-ID",
            "Contact",
            "Content-Length",
            "Content-Type",
            "Content-Encoding",
            "Contribution-ID",
            "Conversation-ID",
            "Accept-Contact",
            "Accept",
            "Max-Forwards",
            "Record-Route",
            "User-Agent",
            "Supported",
            "P-Asserted-Identity",
            "P-Asserted-Identitx",
            "Tox",
            "Vi",
            "Froms",
            "Content-Lengthy",
            "Contribution-Id",
            "X-Acme-Diagnostics-1",
        ];
        let tails = [
            ": x\r\n",
            ":x\r\n",
            " : x\r\n",
            "\r\n",
            ":",
            "",
            ";x: y\r\n",
            "\0: x",
        ];
        for name in names {
            for tail in tails {
                for lead in ["", "\r\n"] {
                    let line = format!("{lead}{name}{tail}");
                    let start = lead.len();
                    for line in [line.clone(), line.to_ascii_lowercase()] {
                        let line = line.as_bytes();
                        let expected = token_name(line, start)
                            .map(|colon| (colon, KnownHeader::core(&line[start..colon])));
                        assert_eq!(plain_name(line, start), expected, "{line:?}");
                    }
                }
            }
            for cut in 0..name.len() + 2 {
                let line = format!("{name}: x");
                let line = &line.as_bytes()[..cut.min(line.len())];
                let expected = token_name(line, 0).map(|c| (c, KnownHeader::core(&line[..c])));
                assert_eq!(plain_name(line, 0), expected, "{line:?}");
            }
        }
    }

    #[test]
    fn the_version_word_ignores_case_as_the_slice_comparison_does() {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut version = *b" SIP/2.0";
                version[at] = b;
                let expected = version.eq_ignore_ascii_case(b" SIP/2.0");
                assert_eq!(is_sp_version(&version), expected, "{version:?}");
            }
        }
        assert!(!is_sp_version(b" SIP/2."));
    }

    #[test]
    fn via_values() {
        let ok = |v: &str| via(v.as_bytes(), &Limits::DEFAULT).is_ok();
        assert!(ok("SIP/2.0/UDP 192.0.2.1"));
        assert!(ok("SIP/2.0/TCP h.example.com:5060;branch=z9hG4bK1;rport"));
        assert!(ok(
            "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw"
        ));
        assert!(ok(
            "SIP/2.0/TCP [2001:db8::1]:5060;branch=x, SIP/2.0/UDP h2"
        ));
        assert!(ok("SIP/2.0/UDP h ; branch =\r\n z9hG4bK30239"));
        assert!(!ok("SIP/2.0/UDP 192.0.2.15;;,;,,"));
        assert!(!ok("SIP/2.0 192.0.2.15"));
        assert!(!ok("SIP/2.0/UDP"));
        assert!(!ok("SIP/2.0/UDP h,"));
        assert!(!ok("SIP/2.0/UDP h:"));
        assert!(!ok("garbage"));
    }

    #[test]
    fn via_parameters_with_a_value_need_one() {
        let check = |v: &str| via(v.as_bytes(), &Limits::DEFAULT);
        for good in [
            "SIP/2.0/UDP h;branch=z9hG4bK1;rport",
            "SIP/2.0/UDP h;rport=5060;received=192.0.2.1;ttl=255;maddr=224.2.0.1",
            "SIP/2.0/TCP h;received=2001:db8::9;branch=x, SIP/2.0/TCP g;branch=y",
            "SIP/2.0/TCP h;received=[2001:db8::9];maddr=example.net;generic;x=\"y\"",
            "SIP/2.0/UDP h ; BRANCH =\r\n z9hG4bK30239 ; RPORT",
        ] {
            assert!(check(good).is_ok(), "{good}");
        }
        for (bad, what, at) in [
            ("SIP/2.0/UDP h;branch", "branch parameter has no value", 14),
            (
                "SIP/2.0/UDP h;branch=\"x\"",
                "branch parameter is quoted (branch=token)",
                14,
            ),
            (
                "SIP/2.0/UDP h;received",
                "received parameter has no value",
                14,
            ),
            (
                "SIP/2.0/UDP h;received=a/b",
                "received parameter is not an IP address",
                14,
            ),
            (
                "SIP/2.0/UDP h;rport=x",
                "rport parameter is not a port number",
                14,
            ),
            ("SIP/2.0/UDP h;ttl", "ttl parameter has no value", 14),
            (
                "SIP/2.0/UDP h;ttl=256",
                "ttl parameter is not a ttl (0 to 255)",
                14,
            ),
            ("SIP/2.0/UDP h;maddr", "maddr parameter has no value", 14),
            (
                "SIP/2.0/UDP h;branch=a;Branch=b",
                "branch parameter appears twice",
                23,
            ),
            (
                "SIP/2.0/UDP g;branch=a, SIP/2.0/UDP h ;  branch",
                "branch parameter has no value",
                41,
            ),
        ] {
            let e = check(bad).unwrap_err();
            assert_eq!((e.kind, e.at), (ParseErrorKind::BadVia(what), at), "{bad}");
            assert!(
                !plain_via(bad.as_bytes(), Limits::DEFAULT.max_params),
                "{bad}"
            );
        }
        // In a request, the error names the line and the parameter.
        let text = "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;rport;branch\r\n\
            From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\n\
            CSeq: 1 OPTIONS\r\n\r\n";
        let e = walk(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: malformed Via: branch parameter has no value"
        );
        assert_eq!(e.offset(), 35 + 5 + 20);
    }

    #[test]
    fn usual_via_parameters_read_in_one_word_agree_with_the_byte_by_byte_reading() {
        let (names, values) = (VIA_PARAM_NAMES, VIA_PARAM_VALUES);
        for name in names {
            for next in [
                b'=', b';', b'\r', b' ', b'x', b'_', b'1', b'.', b':', 0, 0x80,
            ] {
                let mut after = name.as_bytes().to_vec();
                after.push(next);
                after.extend_from_slice(b"z9hG4bK1;rport\r\n");
                let Some((known, len)) = usual_via_param(&after) else {
                    continue;
                };
                assert_eq!(grammar::short_token_len(&after), len, "{name} {next}");
                assert_eq!(&after[..len], name.as_bytes());
                for first in [None, Some(known)] {
                    for value in values {
                        let (mut a, mut b) = (0, 0);
                        if let Some(first) = first {
                            let _ = usual_via_param_fits(&mut a, first, value);
                            let _ = plain_via_param(&mut b, name.as_bytes(), value);
                        }
                        assert_eq!(
                            usual_via_param_fits(&mut a, known, value),
                            plain_via_param(&mut b, name.as_bytes(), value),
                            "{name} {next} {value:?}"
                        );
                        assert_eq!(a, b, "{name} {value:?}");
                    }
                }
            }
        }
        // Fewer than eight bytes after the `;`: read byte by byte.
        assert_eq!(usual_via_param(b"rport\r\n").map(|(_, n)| n), None);
    }

    #[test]
    fn the_plain_via_shape_is_a_subset_of_via() {
        let max = Limits::DEFAULT.max_params;
        for (value, plain) in [
            ("SIP/2.0/UDP 192.0.2.1", true),
            ("sip/2.0/tcp h.example.com:5060;branch=z9hG4bK1;rport", true),
            (
                "SIP/2.0/TCP h:5060;received=192.0.2.1;rport=5;branch=x",
                true,
            ),
            ("SIP/2.0/TCP [2001:db8::1]:5060;branch=x", false),
            ("SIP/2.0/UDP h1, SIP/2.0/UDP h2", false),
            (
                "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
                false,
            ),
            ("SIP/2.0/UDP h ; branch =\r\n z9hG4bK30239", false),
            ("SIP/2.0/UDP h;branch=\"quoted\"", false),
            ("SIP/2.0/UDP h:;branch=x", false),
            ("SIP/2.0/UDP h;;", false),
            ("SIP/2.0/UDP h;a=", false),
            ("SIP/2.0/UDP h;a b", false),
            ("SIP/2.0 192.0.2.15", false),
            ("SIP/2.0/UDP h;branch", false),
            ("SIP/2.0/UDP h;branch=1;branch=2", false),
            ("SIP/2.0/UDP h;ttl=300", false),
            (
                "SIP/2.0/UDP h;rport;ttl=1;maddr=h2;received=192.0.2.1",
                true,
            ),
        ] {
            assert_eq!(plain_via(value.as_bytes(), max), plain, "{value}");
            if plain {
                assert!(via(value.as_bytes(), &Limits::DEFAULT).is_ok(), "{value}");
            }
        }
        assert!(!plain_via(b"SIP/2.0/UDP h;a;b;c", 2));
        assert!(plain_via(b"SIP/2.0/UDP h;a;b", 2));
    }

    #[test]
    fn limits_are_enforced() {
        let text = format!("OPTIONS sip:b@example.com SIP/2.0\r\n{BASE}CSeq: 1 OPTIONS\r\n\r\n");
        let tight = |limits: Limits| scan(text.as_bytes(), &limits, &mut Nothing).unwrap_err();
        let e = tight(Limits {
            max_message_size: 10,
            ..Limits::DEFAULT
        });
        assert!(matches!(
            e.kind(),
            ParseErrorKind::MessageTooLarge { limit: 10, .. }
        ));
        let e = tight(Limits {
            max_headers: 2,
            ..Limits::DEFAULT
        });
        assert_eq!(e.kind(), &ParseErrorKind::TooManyHeaders(2));
        let e = tight(Limits {
            max_header_size: 20,
            ..Limits::DEFAULT
        });
        assert_eq!(e.kind(), &ParseErrorKind::HeaderTooLong(20));
    }
}
