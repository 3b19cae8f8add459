//! Writing MSRP requests and responses (RFC 4975 section 9): [`MsrpRequestWriter`],
//! [`MsrpResponseWriter`].

use bytes::{BufMut, Bytes, BytesMut};

use super::frame::{is_ident, DASHES};
use super::{ByteRange, Continuation, FailureReport, MsrpMethod, MsrpStatus, MsrpUri};
use crate::error::{invalid, BuildError};
use crate::mime::check_media_type;
use crate::sip::grammar::is_token_char;

/// The content of a request: its type, the MIME headers that describe it, and the
/// bytes (a whole message or one chunk of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsrpContent<'a> {
    /// `Content-Type` (parameters allowed), written last of the headers as RFC 4975
    /// section 7.1 asks.
    pub content_type: &'a str,
    /// `Content-ID`.
    pub content_id: Option<&'a str>,
    /// `Content-Description`.
    pub content_description: Option<&'a str>,
    /// `Content-Disposition`.
    pub content_disposition: Option<&'a str>,
    /// The bytes.
    pub body: &'a [u8],
}

impl<'a> MsrpContent<'a> {
    /// `body` of type `content_type`, no other MIME header.
    pub fn new(content_type: &'a str, body: &'a [u8]) -> MsrpContent<'a> {
        MsrpContent {
            content_type,
            content_id: None,
            content_description: None,
            content_disposition: None,
            body,
        }
    }
}

/// An MSRP request to write, field by field. The headers are written in the order of
/// RFC 4975's examples: To-Path, From-Path, Message-ID, Byte-Range, Success-Report,
/// Failure-Report, Status, the extension headers, then the MIME headers with
/// Content-Type last; then the body and the end-line.
///
/// ```
/// use cpm_client::msrp::{ByteRange, Continuation, MsrpContent, MsrpRequestWriter};
///
/// let mut send = MsrpRequestWriter::send(
///     "a786hjs2",
///     "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
///     "msrp://atlanta.example.com:7654/jshA7weztas;tcp",
/// );
/// send.message_id = Some("87652491");
/// send.byte_range = Some(ByteRange::whole(23));
/// send.content = Some(MsrpContent::new("text/plain", b"Hey Bob, are you there?"));
/// let bytes = send.to_bytes()?;
/// assert!(bytes.starts_with(b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://biloxi"));
/// assert!(bytes.ends_with(b"Content-Type: text/plain\r\n\r\nHey Bob, are you there?\r\n-------a786hjs2$\r\n"));
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsrpRequestWriter<'a> {
    /// The transaction id (an RFC 4975 ident of 64 random bits at least, section 7.1).
    pub transaction_id: &'a str,
    /// The method.
    pub method: MsrpMethod<'a>,
    /// `To-Path`: one or more MSRP URIs separated by single spaces.
    pub to_path: &'a str,
    /// `From-Path`.
    pub from_path: &'a str,
    /// `Message-ID`.
    pub message_id: Option<&'a str>,
    /// `Byte-Range`.
    pub byte_range: Option<ByteRange>,
    /// `Success-Report` (`Some(true)` writes `yes`).
    pub success_report: Option<bool>,
    /// `Failure-Report`.
    pub failure_report: Option<FailureReport>,
    /// `Status` (REPORT).
    pub status: Option<MsrpStatus<'a>>,
    /// Extension headers, `(name, value)`, written before the MIME headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body and its MIME headers; `None` for a request without body.
    pub content: Option<MsrpContent<'a>>,
    /// The end-line's flag.
    pub continuation: Continuation,
}

impl<'a> MsrpRequestWriter<'a> {
    /// A SEND with nothing but its start line and paths yet, flag `$`.
    pub fn send(transaction_id: &'a str, to_path: &'a str, from_path: &'a str) -> Self {
        MsrpRequestWriter {
            transaction_id,
            method: MsrpMethod::Send,
            to_path,
            from_path,
            message_id: None,
            byte_range: None,
            success_report: None,
            failure_report: None,
            status: None,
            headers: &[],
            content: None,
            continuation: Continuation::Complete,
        }
    }

    /// A REPORT on `message_id` (RFC 4975 section 7.1.2): its Byte-Range and Status.
    pub fn report(
        transaction_id: &'a str,
        to_path: &'a str,
        from_path: &'a str,
        message_id: &'a str,
        byte_range: ByteRange,
        status: MsrpStatus<'a>,
    ) -> Self {
        MsrpRequestWriter {
            method: MsrpMethod::Report,
            message_id: Some(message_id),
            byte_range: Some(byte_range),
            status: Some(status),
            ..MsrpRequestWriter::send(transaction_id, to_path, from_path)
        }
    }

    /// Checks every field against its grammar, then appends the request to `out`
    /// (nothing is appended on error).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] naming the field outside its grammar (a
    /// transaction id or Message-ID that is not an ident, a path that is not MSRP
    /// URIs, a method that is not upper-case letters, a media type, a control
    /// character in a text value, a status outside three digits);
    /// [`BuildError::Collision`] when the body holds the end-line's dashes and
    /// transaction id.
    pub fn write_to<B: BufMut>(&self, out: &mut B) -> Result<(), BuildError> {
        self.check()?;
        start(out, self.transaction_id);
        out.put_slice(self.method.as_str().as_bytes());
        out.put_slice(b"\r\n");
        header(out, "To-Path", self.to_path);
        header(out, "From-Path", self.from_path);
        if let Some(id) = self.message_id {
            header(out, "Message-ID", id);
        }
        if let Some(range) = self.byte_range {
            out.put_slice(b"Byte-Range: ");
            put_u64(out, range.start);
            out.put_u8(b'-');
            put_star_or(out, range.end);
            out.put_u8(b'/');
            put_star_or(out, range.total);
            out.put_slice(b"\r\n");
        }
        if let Some(yes) = self.success_report {
            header(out, "Success-Report", if yes { "yes" } else { "no" });
        }
        if let Some(report) = self.failure_report {
            header(out, "Failure-Report", report.as_str());
        }
        if let Some(status) = self.status {
            out.put_slice(b"Status: ");
            put_three(out, status.namespace);
            out.put_u8(b' ');
            put_three(out, status.code);
            if let Some(text) = status.text {
                out.put_u8(b' ');
                out.put_slice(text.as_bytes());
            }
            out.put_slice(b"\r\n");
        }
        for (name, value) in self.headers {
            header(out, name, value);
        }
        if let Some(content) = &self.content {
            if let Some(v) = content.content_id {
                header(out, "Content-ID", v);
            }
            if let Some(v) = content.content_description {
                header(out, "Content-Description", v);
            }
            if let Some(v) = content.content_disposition {
                header(out, "Content-Disposition", v);
            }
            header(out, "Content-Type", content.content_type);
            out.put_slice(b"\r\n");
            out.put_slice(content.body);
            out.put_slice(b"\r\n");
        }
        end_line(out, self.transaction_id, self.continuation);
        Ok(())
    }

    /// The request as bytes.
    ///
    /// # Errors
    ///
    /// As [`write_to`](Self::write_to).
    pub fn to_bytes(&self) -> Result<Bytes, BuildError> {
        let body = self.content.map_or(0, |c| c.body.len());
        let mut out = BytesMut::with_capacity(body + 256 + self.to_path.len());
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }

    fn check(&self) -> Result<(), BuildError> {
        check_ident("transaction id", self.transaction_id)?;
        let method = self.method.as_str();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("method", method, "upper-case letters"));
        }
        check_path("To-Path", self.to_path)?;
        check_path("From-Path", self.from_path)?;
        if let Some(id) = self.message_id {
            check_ident("Message-ID", id)?;
        }
        if let Some(range) = self.byte_range {
            if !range.is_valid() {
                return Err(invalid(
                    "Byte-Range",
                    &range.to_string(),
                    "a range start-end/total with start >= 1 and end <= total",
                ));
            }
        }
        if let Some(status) = self.status {
            if status.namespace > 999 || status.code > 999 {
                return Err(invalid(
                    "Status",
                    &status.to_string(),
                    "three-digit numbers",
                ));
            }
            if let Some(text) = status.text {
                check_text("Status", text)?;
            }
        }
        for (name, value) in self.headers {
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(invalid("header name", name, "a token"));
            }
            check_text("header value", value)?;
        }
        if let Some(content) = &self.content {
            check_media_type("Content-Type", content.content_type)?;
            for (field, value) in [
                ("Content-ID", content.content_id),
                ("Content-Description", content.content_description),
                ("Content-Disposition", content.content_disposition),
            ] {
                if let Some(value) = value {
                    check_text(field, value)?;
                }
            }
            if end_line_in(content.body, self.transaction_id) {
                return Err(BuildError::Collision {
                    field: "MSRP transaction id",
                });
            }
        }
        Ok(())
    }
}

/// An MSRP response to write (RFC 4975 section 7.2): the request's transaction id, a
/// status code and comment, and the paths: To-Path the request's previous hop (the
/// first URI of its From-Path), From-Path the responder's URI.
///
/// ```
/// use cpm_client::msrp::MsrpResponseWriter;
///
/// let ok = MsrpResponseWriter::new(
///     "d93kswow",
///     200,
///     "msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
///     "msrp://bob.example.com:8888/9di4eae923wzd;tcp",
/// )
/// .to_bytes()?;
/// assert_eq!(
///     &ok[..],
///     &b"MSRP d93kswow 200 OK\r\nTo-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
///        From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n-------d93kswow$\r\n"[..]
/// );
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsrpResponseWriter<'a> {
    /// The transaction id of the request answered.
    pub transaction_id: &'a str,
    /// The status code (three digits).
    pub code: u16,
    /// The comment after the code; [`new`](Self::new) sets RFC 4975 section 10's
    /// phrase for the code.
    pub comment: Option<&'a str>,
    /// `To-Path`.
    pub to_path: &'a str,
    /// `From-Path`.
    pub from_path: &'a str,
    /// Extension headers, `(name, value)`.
    pub headers: &'a [(&'a str, &'a str)],
}

impl<'a> MsrpResponseWriter<'a> {
    /// A response with the comment RFC 4975 section 10 gives `code` (none for a code
    /// it does not define).
    pub fn new(transaction_id: &'a str, code: u16, to_path: &'a str, from_path: &'a str) -> Self {
        MsrpResponseWriter {
            transaction_id,
            code,
            comment: reason_phrase(code),
            to_path,
            from_path,
            headers: &[],
        }
    }

    /// Checks every field, then appends the response to `out` (nothing on error).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] for a field outside its grammar.
    pub fn write_to<B: BufMut>(&self, out: &mut B) -> Result<(), BuildError> {
        check_ident("transaction id", self.transaction_id)?;
        if self.code > 999 || self.code < 100 {
            return Err(invalid(
                "status code",
                &self.code.to_string(),
                "three digits",
            ));
        }
        if let Some(comment) = self.comment {
            check_text("comment", comment)?;
        }
        check_path("To-Path", self.to_path)?;
        check_path("From-Path", self.from_path)?;
        for (name, value) in self.headers {
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(invalid("header name", name, "a token"));
            }
            check_text("header value", value)?;
        }
        self.put(out);
        Ok(())
    }

    /// Appends the response to `out` without checking its fields: for a response to
    /// a request the frame reader has read (its transaction id and From-Path are
    /// checked there) from a path checked once.
    pub(crate) fn write_trusted<B: BufMut>(&self, out: &mut B) {
        self.put(out);
    }

    fn put<B: BufMut>(&self, out: &mut B) {
        start(out, self.transaction_id);
        put_three(out, self.code);
        if let Some(comment) = self.comment {
            out.put_u8(b' ');
            out.put_slice(comment.as_bytes());
        }
        out.put_slice(b"\r\n");
        header(out, "To-Path", self.to_path);
        header(out, "From-Path", self.from_path);
        for (name, value) in self.headers {
            header(out, name, value);
        }
        end_line(out, self.transaction_id, Continuation::Complete);
    }

    /// The response as bytes.
    ///
    /// # Errors
    ///
    /// As [`write_to`](Self::write_to).
    pub fn to_bytes(&self) -> Result<Bytes, BuildError> {
        let mut out = BytesMut::with_capacity(128 + self.to_path.len() + self.from_path.len());
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }
}

/// The comment RFC 4975 section 10 gives a status code, for responses and REPORTs.
///
/// ```
/// assert_eq!(cpm_client::msrp::reason_phrase(481), Some("Session does not exist"));
/// assert_eq!(cpm_client::msrp::reason_phrase(299), None);
/// ```
pub fn reason_phrase(code: u16) -> Option<&'static str> {
    Some(match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Message too large",
        415 => "Unsupported media type",
        423 => "Parameter out of bounds",
        481 => "Session does not exist",
        501 => "Unknown method",
        506 => "Session already bound",
        _ => return None,
    })
}

fn start<B: BufMut>(out: &mut B, tid: &str) {
    out.put_slice(b"MSRP ");
    out.put_slice(tid.as_bytes());
    out.put_u8(b' ');
}

fn header<B: BufMut>(out: &mut B, name: &str, value: &str) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
}

fn end_line<B: BufMut>(out: &mut B, tid: &str, continuation: Continuation) {
    out.put_slice(DASHES);
    out.put_slice(tid.as_bytes());
    out.put_u8(continuation.flag());
    out.put_slice(b"\r\n");
}

/// Writes `n` in decimal without allocating.
pub(crate) fn put_u64<B: BufMut>(out: &mut B, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[at..]);
}

fn put_star_or<B: BufMut>(out: &mut B, n: Option<u64>) {
    match n {
        Some(n) => put_u64(out, n),
        None => out.put_u8(b'*'),
    }
}

fn put_three<B: BufMut>(out: &mut B, n: u16) {
    out.put_slice(&[
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]);
}

/// Whether `-------<tid>` occurs in `body`.
pub(crate) fn end_line_in(body: &[u8], tid: &str) -> bool {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&body[from..], DASHES) {
        let after = from + at + DASHES.len();
        if body[after..].starts_with(tid.as_bytes()) {
            return true;
        }
        from += at + 1;
    }
    false
}

pub(crate) fn check_ident<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    if !is_ident(value.as_bytes()) {
        return Err(invalid(
            field,
            value,
            "an MSRP ident (4 to 32 letters, digits, .-+%=)",
        ));
    }
    Ok(value)
}

/// One or more MSRP URIs separated by single spaces.
pub(crate) fn check_path<'v>(field: &'static str, value: &'v str) -> Result<&'v str, BuildError> {
    let valid = !value.is_empty()
        && value.len() <= 4096
        && value.split(' ').all(|uri| MsrpUri::parse(uri).is_ok());
    if !valid {
        return Err(invalid(
            field,
            value,
            "msrp:// or msrps:// URIs separated by spaces",
        ));
    }
    Ok(value)
}

/// Text a header line can carry: no control character.
fn check_text(field: &'static str, value: &str) -> Result<(), BuildError> {
    if value.chars().any(char::is_control) {
        return Err(BuildError::ControlCharacter { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO: &str = "msrp://b.example.com:8888/s2;tcp";
    const FROM: &str = "msrp://a.example.com:7777/s1;tcp";

    #[test]
    fn refuses_what_would_break_the_framing() {
        let mut send = MsrpRequestWriter::send("abcd", TO, FROM);
        send.content = Some(MsrpContent::new("text/plain", b"x-------abcd"));
        assert!(matches!(send.to_bytes(), Err(BuildError::Collision { .. })));
        send.content = Some(MsrpContent::new("text/plain\r\nX: y", b"x"));
        assert!(send.to_bytes().is_err());
        let mut send = MsrpRequestWriter::send("ab", TO, FROM);
        assert!(send.to_bytes().is_err());
        send.transaction_id = "abcd";
        send.headers = &[("X-Evil", "a\r\nb")];
        let mut out = Vec::new();
        assert!(send.write_to(&mut out).is_err());
        assert!(out.is_empty(), "nothing written on error");
        send.headers = &[];
        send.to_path = "msrp://b/s;tcp\r\nX: y";
        assert!(send.to_bytes().is_err());
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 2048, u64::MAX] {
            let mut out = Vec::new();
            put_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
