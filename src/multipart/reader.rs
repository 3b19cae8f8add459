//! The multipart reader: [`Multipart`], its [`Part`]s.

use crate::mime::{
    header_pair, raw_headers, split_header_block, BodyError, BodyErrorKind, MediaType,
};

/// The number of parts a [`Multipart`] accepts unless told otherwise.
pub const DEFAULT_MAX_PARTS: usize = 64;

/// A multipart body, read in place.
///
/// Framing follows RFC 2046: the preamble before the first delimiter and the epilogue
/// after the close delimiter are ignored; a delimiter is `--boundary` at the start of
/// a line (the line end before it belongs to the delimiter), followed by optional
/// white space (transport padding) and a line end; the close delimiter is
/// `--boundary--`. Leniencies for real peers: bare LF line ends, a body that ends
/// without a close delimiter (the last part then runs to the end and
/// [`Part::is_unterminated`] says so), and a part's own Content-Length is exposed but
/// never used to frame.
///
/// ```
/// use cpm_client::multipart::Multipart;
///
/// let body = b"preamble\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\
///     --b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\nepilogue";
/// let multipart = Multipart::parse("multipart/mixed; boundary=b1", body)?;
/// assert_eq!(multipart.len(), 2);
/// assert!(multipart.is_complete());
///
/// let sdp = multipart.find("application/sdp").expect("an SDP part");
/// assert_eq!(sdp.body(), b"v=0");
/// let texts: Vec<&[u8]> = multipart.parts().map(|p| p.body()).collect();
/// assert_eq!(texts, [&b"v=0"[..], b"hello"]);
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Multipart<'a> {
    body: &'a [u8],
    boundary: &'a str,
    /// Where the first delimiter's `--` starts.
    first: usize,
    count: usize,
    complete: bool,
}

impl<'a> Multipart<'a> {
    /// Reads `body` as the multipart media type in the Content-Type value
    /// `content_type`, accepting at most [`DEFAULT_MAX_PARTS`] parts.
    ///
    /// Errors: a malformed Content-Type value, a media type that is not
    /// `multipart/*`, no `boundary` parameter, a boundary of the wrong length, a body
    /// with no delimiter line, too many parts.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        content_type: &'a T,
        body: &'a [u8],
    ) -> Result<Self, BodyError> {
        Self::with_media_type(&MediaType::parse(content_type)?, body, DEFAULT_MAX_PARTS)
    }

    /// Reads `body` as the multipart `media` type, accepting at most `max_parts` parts.
    /// The error offsets of a missing or bad boundary are 0 (they are faults of the
    /// media type, not of the body).
    ///
    /// ```
    /// use cpm_client::mime::{BodyErrorKind, MediaType};
    /// use cpm_client::multipart::Multipart;
    ///
    /// let media = MediaType::parse("multipart/mixed;boundary=\"x y\"")?;
    /// let body = b"--x y\r\n\r\none\r\n--x y\r\n\r\ntwo\r\n--x y--";
    /// let err = Multipart::with_media_type(&media, body, 1).unwrap_err();
    /// assert_eq!(err.kind(), &BodyErrorKind::TooManyParts(1));
    /// assert_eq!(Multipart::with_media_type(&media, body, 2)?.len(), 2);
    /// # Ok::<(), cpm_client::mime::BodyError>(())
    /// ```
    pub fn with_media_type(
        media: &MediaType<'a>,
        body: &'a [u8],
        max_parts: usize,
    ) -> Result<Self, BodyError> {
        if !media.type_().eq_ignore_ascii_case("multipart") {
            return Err(BodyError::new(BodyErrorKind::NotMultipart, 0));
        }
        let boundary = media
            .param("boundary")
            .ok_or(BodyError::new(BodyErrorKind::NoBoundary, 0))?;
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(BodyError::new(BodyErrorKind::BadBoundary, 0));
        }
        let first = find_delimiter(body, boundary.as_bytes(), 0)
            .ok_or(BodyError::new(BodyErrorKind::NoDelimiter, 0))?;
        let mut multipart = Multipart {
            body,
            boundary,
            first: first.dashes,
            count: 0,
            complete: false,
        };
        let mut parts = multipart.parts();
        for part in parts.by_ref() {
            multipart.count += 1;
            if multipart.count > max_parts {
                return Err(BodyError::new(
                    BodyErrorKind::TooManyParts(max_parts),
                    part.offset(),
                ));
            }
        }
        multipart.complete = parts.closed;
        Ok(multipart)
    }

    /// The boundary, as the media type gives it.
    pub fn boundary(&self) -> &'a str {
        self.boundary
    }

    /// What stands before the first delimiter (ignored by the framing).
    pub fn preamble(&self) -> &'a [u8] {
        &self.body[..self.first]
    }

    /// The number of parts.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there is no part (a body whose first delimiter is the close delimiter).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the body has its close delimiter (`--boundary--`).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The parts, in order.
    pub fn parts(&self) -> Parts<'a> {
        Parts {
            body: self.body,
            boundary: self.boundary.as_bytes(),
            next: find_delimiter(self.body, self.boundary.as_bytes(), self.first),
            closed: false,
        }
    }

    /// The first part whose Content-Type is `essence` (`type/subtype`, ignoring ASCII
    /// case; `type/*` matches any subtype).
    pub fn find(&self, essence: &str) -> Option<Part<'a>> {
        self.parts()
            .find(|p| p.content_type().is_some_and(|m| m.is(essence)))
    }
}

/// The parts of a [`Multipart`], in order.
#[derive(Debug, Clone)]
pub struct Parts<'a> {
    body: &'a [u8],
    boundary: &'a [u8],
    next: Option<Delimiter>,
    closed: bool,
}

impl<'a> Iterator for Parts<'a> {
    type Item = Part<'a>;

    fn next(&mut self) -> Option<Part<'a>> {
        let delimiter = self.next.take()?;
        if delimiter.close {
            self.closed = true;
            return None;
        }
        let start = delimiter.after;
        let following = find_delimiter(self.body, self.boundary, start);
        let (end, delimiter_at, unterminated) = match following {
            Some(d) => (content_end(self.body, start, d.dashes), d.dashes, false),
            None => (self.body.len(), self.body.len(), true),
        };
        self.next = following;
        Some(Part::new(self.body, start, end, delimiter_at, unterminated))
    }
}

/// One part of a multipart body: its header block and its body.
///
/// ```
/// use cpm_client::multipart::Multipart;
///
/// let body = b"--b\r\nContent-Type: text/plain;\r\n charset=UTF-8\r\nContent-Length: 2\r\n\r\nhi\r\n--b--";
/// let part = Multipart::parse("multipart/mixed;boundary=b", body)?.parts().next().unwrap();
/// assert_eq!(part.header("content-length"), Some("2"));
/// assert_eq!(part.content_length(), Some(2));
/// assert_eq!(part.content_type().unwrap().param("charset"), Some("UTF-8"));
/// assert_eq!(part.headers().count(), 2);
/// assert_eq!(part.body(), b"hi");
/// # Ok::<(), cpm_client::mime::BodyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    headers: &'a [u8],
    headers_at: usize,
    body: &'a [u8],
    unterminated: bool,
}

impl<'a> Part<'a> {
    /// The part in `whole[start..end]`; the line end before the next delimiter is
    /// `whole[end..delimiter_at]`.
    fn new(
        whole: &'a [u8],
        start: usize,
        end: usize,
        delimiter_at: usize,
        unterminated: bool,
    ) -> Self {
        let content = whole.get(start..end).unwrap_or_default();
        // With no empty line, the part is all headers (RFC 2046 puts the empty line
        // before any body).
        let (head_len, body_at) =
            split_header_block(content).unwrap_or((content.len(), content.len()));
        let mut part = Part {
            headers: &content[..head_len],
            headers_at: start,
            body: &content[body_at..],
            unterminated,
        };
        // Many senders count the line end before the delimiter in the part's
        // Content-Length (their SDP ends with its CRLF); when the declared length says
        // exactly that, the line end is given to the body.
        let line_end = delimiter_at.saturating_sub(end);
        if line_end > 0 && part.content_length() == Some((part.body.len() + line_end) as u64) {
            if let Some(body) = whole.get(start + body_at..delimiter_at) {
                part.body = body;
            }
        }
        part
    }

    /// Offset of the part (its first header line) in the multipart body.
    pub fn offset(&self) -> usize {
        self.headers_at
    }

    /// The headers in order, as `(name, value)`. A folded value keeps its folds as
    /// they stand; lines without a colon, continuation lines with no header before
    /// them, and lines that are not UTF-8 (MIME headers are ASCII) are skipped.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        raw_headers(self.headers).filter_map(header_pair)
    }

    /// The value of the first header called `name` (ignoring ASCII case).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The part's Content-Type, when present and well-formed.
    pub fn content_type(&self) -> Option<MediaType<'a>> {
        MediaType::parse(self.header("content-type")?).ok()
    }

    /// The Content-Length the part declares, when present and a number. It is not
    /// used to frame the part: the delimiter is.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }

    /// The part's body: the bytes after the empty line that ends its headers, up to
    /// the line end before the next delimiter. That line end belongs to the delimiter
    /// (RFC 2046), unless the part's Content-Length counts it: then it is the body's
    /// (so an SDP part keeps the line end of its last line).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Whether the multipart body ended inside this part, with no delimiter after it
    /// (the part then runs to the end of the body).
    pub fn is_unterminated(&self) -> bool {
        self.unterminated
    }
}

/// A delimiter line found in a body.
#[derive(Debug, Clone, Copy)]
struct Delimiter {
    /// Where its `--` starts.
    dashes: usize,
    /// Where what follows its line starts.
    after: usize,
    /// Whether it is the close delimiter.
    close: bool,
}

/// Finds the first delimiter line for `boundary` at or after `from`: `--boundary` at
/// the start of the body or right after a LF, then `--` (close delimiter), or
/// transport padding and a line end (or the end of the body).
fn find_delimiter(body: &[u8], boundary: &[u8], from: usize) -> Option<Delimiter> {
    let finder = memchr::memmem::Finder::new(boundary);
    let mut search = from.checked_add(2)?;
    loop {
        let at = search + finder.find(body.get(search..)?)?;
        search = at + 1;
        let dashes = at - 2;
        if &body[dashes..at] != b"--" || (dashes > 0 && body[dashes - 1] != b'\n') {
            continue;
        }
        let rest = &body[at + boundary.len()..];
        if rest.starts_with(b"--") {
            return Some(Delimiter {
                dashes,
                after: body.len(),
                close: true,
            });
        }
        let pad = rest
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(rest.len());
        let line_end = match &rest[pad..] {
            [] => 0,
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => continue,
        };
        return Some(Delimiter {
            dashes,
            after: body.len() - rest.len() + pad + line_end,
            close: false,
        });
    }
}

/// The end of a part's content that starts at `start` and is followed by a delimiter
/// at `dashes`: the line end before the delimiter belongs to the delimiter.
fn content_end(body: &[u8], start: usize, dashes: usize) -> usize {
    let mut end = dashes;
    if end > start && body[end - 1] == b'\n' {
        end -= 1;
        if end > start && body[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(ct: &str, body: &[u8]) -> Vec<Vec<u8>> {
        Multipart::parse(ct, body)
            .unwrap()
            .parts()
            .map(|p| p.body().to_vec())
            .collect()
    }

    #[test]
    fn frames_parts_with_crlf_and_lf() {
        let ct = "multipart/mixed;boundary=b";
        assert_eq!(
            bodies(ct, b"--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--"),
            [b"x", b"y"]
        );
        assert_eq!(bodies(ct, b"--b\n\nx\n--b\n\ny\n--b--\n"), [b"x", b"y"]);
        assert_eq!(bodies(ct, b"--b \t\r\n\r\nx\r\n--b--"), [b"x"]);
    }

    #[test]
    fn a_boundary_prefix_is_not_a_delimiter() {
        let ct = "multipart/mixed;boundary=b";
        assert_eq!(bodies(ct, b"--b\r\n\r\n--bc\r\n--b--"), [b"--bc"]);
        assert_eq!(bodies(ct, b"--b\r\n\r\nx--b\r\n--b--"), [b"x--b"]);
    }

    #[test]
    fn empty_parts_and_missing_close() {
        let ct = "multipart/mixed;boundary=b";
        let m = Multipart::parse(ct, b"--b\r\n--b\r\n\r\nz").unwrap();
        assert!(!m.is_complete());
        let parts: Vec<Part<'_>> = m.parts().collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body(), b"");
        assert!(!parts[0].is_unterminated());
        assert_eq!(parts[1].body(), b"z");
        assert!(parts[1].is_unterminated());
        assert!(Multipart::parse(ct, b"--b--").unwrap().is_empty());
    }

    #[test]
    fn refusals() {
        let kind = |ct: &str, body: &[u8]| Multipart::parse(ct, body).unwrap_err().kind().clone();
        assert_eq!(kind("text/plain", b""), BodyErrorKind::NotMultipart);
        assert_eq!(kind("multipart/mixed", b""), BodyErrorKind::NoBoundary);
        assert_eq!(
            kind("multipart/mixed;boundary=\"\"", b""),
            BodyErrorKind::BadBoundary
        );
        let long = format!("multipart/mixed;boundary={}", "x".repeat(71));
        assert_eq!(kind(&long, b""), BodyErrorKind::BadBoundary);
        assert_eq!(
            kind("multipart/mixed;boundary=b", b"x--b"),
            BodyErrorKind::NoDelimiter
        );
    }
}
