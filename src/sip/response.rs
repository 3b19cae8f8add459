//! [`IncomingResponse`]: one response's bytes and where its parts lie in them.

use std::ops::Range;

use bytes::Bytes;

use super::header::{Header, HeaderName};
use super::request::HeaderSpan;
use super::scan::{self, RawHeader, Visit};
use super::{Limits, Method, StatusCode};
use crate::error::{ParseError, ValueError};

/// A SIP response, read without copying: the answer a peer sends to a request this
/// client built, or (in tests) a response the library built itself.
///
/// The status line must be `SIP/2.0 SP 3DIGIT SP reason`; the headers are checked as a
/// request's are (Via, From, To, Call-ID and CSeq present, From, To, Call-ID, CSeq
/// and Content-Length once, CSeq well formed, Content-Length matching the body).
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::sip::IncomingResponse;
///
/// let response = IncomingResponse::parse(Bytes::from_static(
///     b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-p1\r\n\
///       From: <sip:a@example.net>;tag=a1\r\nTo: <sip:b@example.net>;tag=b2\r\nCall-ID: c\r\n\
///       CSeq: 1 MESSAGE\r\nServer: CPM-client/OMA2.0\r\nContent-Length: 0\r\n\r\n",
/// )).unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.reason(), b"OK");
/// assert_eq!(response.cseq_method(), Some(cpm_client::Method::Message));
/// assert_eq!(response.header("server").unwrap().value(), b"CPM-client/OMA2.0");
/// ```
#[derive(Debug, Clone)]
pub struct IncomingResponse {
    bytes: Bytes,
    start: usize,
    status: StatusCode,
    reason: Range<usize>,
    headers: Vec<HeaderSpan>,
    body: Range<usize>,
    content_length: Option<usize>,
    cseq: u32,
}

impl IncomingResponse {
    /// Reads a response under the default [`Limits`].
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the line and what was wrong.
    pub fn parse(bytes: Bytes) -> Result<IncomingResponse, ParseError> {
        IncomingResponse::parse_with(bytes, &Limits::DEFAULT)
    }

    /// Reads a response under the given limits.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the line and what was wrong.
    pub fn parse_with(bytes: Bytes, limits: &Limits) -> Result<IncomingResponse, ParseError> {
        let mut recorder = Recorder {
            headers: Vec::with_capacity(16),
        };
        let frame = scan::scan_response(&bytes, limits, &mut recorder)?;
        Ok(IncomingResponse {
            start: frame.start,
            // The status line reader takes 100 to 699 only.
            status: StatusCode::new(frame.status).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR),
            reason: frame.reason_start..frame.reason_start + frame.reason.len(),
            body: frame.head.body_start..frame.head.body_start + frame.head.body.len(),
            content_length: frame.head.content_length,
            cseq: frame.head.cseq,
            headers: recorder.headers,
            bytes,
        })
    }

    /// The status code (100 to 699).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase as written.
    pub fn reason(&self) -> &[u8] {
        &self.bytes[self.reason.clone()]
    }

    /// The headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = Header<'_>> + '_ {
        self.headers.iter().map(|span| span.view(&self.bytes))
    }

    /// The first header with this name (any case, compact forms understood).
    pub fn header(&self, name: &str) -> Option<Header<'_>> {
        let name = HeaderName::new(name);
        self.headers().find(|h| name.matches(h))
    }

    /// Every value of the headers with this name, in order, list headers split at
    /// their commas (see [`IncomingRequest::header_values`](super::IncomingRequest::header_values)).
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s [u8]> + 's {
        let name = HeaderName::new(name);
        self.headers()
            .filter(move |h| name.matches(h))
            .flat_map(|h| h.values())
    }

    /// The CSeq sequence number.
    pub fn cseq(&self) -> u32 {
        self.cseq
    }

    /// The method named in CSeq: the method of the request this answers.
    pub fn cseq_method(&self) -> Option<Method<'_>> {
        let cseq = self.header("CSeq")?.value();
        let at = cseq.iter().rposition(|&b| b == b' ' || b == b'\t')?;
        Some(Method::parse(&cseq[at + 1..]))
    }

    /// Content-Length, when present.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length
    }

    /// The body, cut at Content-Length when there is one.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.body.clone()]
    }

    /// The whole response, keep-alive CRLFs before it and bytes after its body left out.
    pub fn as_bytes(&self) -> Bytes {
        self.bytes.slice(self.start..self.body.end)
    }
}

struct Recorder {
    headers: Vec<HeaderSpan>,
}

impl<'a> Visit<'a> for Recorder {
    fn header(&mut self, _: Method<'a>, header: &RawHeader<'a>) -> Result<(), ValueError> {
        self.headers.push(HeaderSpan::of(header));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseErrorKind;

    const HEAD: &str = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n";

    fn read(status_line: &str) -> Result<IncomingResponse, ParseError> {
        IncomingResponse::parse(Bytes::from(format!(
            "{status_line}\r\n{HEAD}Content-Length: 0\r\n\r\n"
        )))
    }

    #[test]
    fn status_lines() {
        assert_eq!(read("SIP/2.0 180 Ringing").unwrap().status(), 180);
        assert_eq!(read("SIP/2.0 200 ").unwrap().reason(), b"");
        assert_eq!(read("SIP/2.0 200").unwrap().reason(), b"");
        assert_eq!(
            read("SIP/2.0 404 Not  Found here").unwrap().reason(),
            b"Not  Found here"
        );
        for (line, kind) in [
            ("INVITE sip:a SIP/2.0", ParseErrorKind::NotAResponse),
            ("SIP/3.0 200 OK", ParseErrorKind::UnsupportedVersion),
            ("SIP/2.0 20 OK", ParseErrorKind::BadStatusLine),
            ("SIP/2.0 2000 OK", ParseErrorKind::BadStatusLine),
            ("SIP/2.0 099 Low", ParseErrorKind::BadStatusLine),
            ("SIP/2.0 700 High", ParseErrorKind::BadStatusLine),
        ] {
            assert_eq!(read(line).unwrap_err().kind(), &kind, "{line}");
        }
    }
}
