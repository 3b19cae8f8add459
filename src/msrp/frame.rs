//! Reading one MSRP request or response (RFC 4975 section 9): [`MsrpFrame`],
//! [`MsrpRequest`], [`MsrpResponse`] and the header values they carry.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use bytes::Bytes;
use memchr::memmem::Finder;

/// The seven dashes that open an end-line (RFC 4975 section 9).
pub(crate) const DASHES: &[u8] = b"-------";

/// A searcher for the empty line that ends a head, built once: building a searcher
/// costs more than searching a head with it.
static BLANK_LINE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\r\n\r\n"));

/// A searcher for `CRLF -------`, the part of an end-line that does not depend on the
/// transaction id (RFC 4975 section 9), built once.
static END_LINE_START: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\r\n-------"));

/// Where the first `CRLF CRLF` of `bytes` starts.
pub(crate) fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    BLANK_LINE.find(bytes)
}

/// Where the first CRLF of `bytes` starts.
pub(crate) fn find_crlf(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let newline = from + memchr::memchr(b'\n', bytes.get(from..)?)?;
        if newline > 0 && bytes.get(newline - 1) == Some(&b'\r') {
            return Some(newline - 1);
        }
        from = newline + 1;
    }
}

/// What a search for an end-line found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndLine {
    /// The CRLF before the dashes is at `.0`; the end-line ends at `.1`.
    Found(usize, usize),
    /// A candidate at `.0` that the bytes end in: more bytes decide.
    NeedMore(usize),
    /// None; searching again (with more bytes) may start at `.0`.
    NotFound(usize),
}

/// Looks for the end-line of transaction `tid` (`CRLF -------<tid><flag> CRLF`, RFC
/// 4975 section 9) in `bytes` from `from`, with one pass of a searcher built once:
/// each `CRLF -------` found is checked for the id, a flag and CRLF.
pub(crate) fn find_end_line(bytes: &[u8], mut from: usize, tid: &[u8]) -> EndLine {
    const OPEN: usize = 2 + DASHES.len();
    loop {
        let Some(at) = bytes.get(from..).and_then(|rest| END_LINE_START.find(rest)) else {
            return EndLine::NotFound(bytes.len().saturating_sub(OPEN - 1).max(from));
        };
        let at = from + at;
        let rest = bytes.get(at + OPEN..).unwrap_or_default();
        let tail_len = tid.len() + 3;
        if rest.len() < tail_len {
            // The bytes end inside what may be this end-line.
            let shown = rest.len().min(tid.len());
            let flag_ok = rest
                .get(tid.len())
                .map_or(true, |&f| Continuation::from_flag(f).is_some());
            let cr_ok = rest.get(tid.len() + 1).map_or(true, |&c| c == b'\r');
            if rest.get(..shown) == tid.get(..shown) && flag_ok && cr_ok {
                return EndLine::NeedMore(at);
            }
        } else if rest.get(..tid.len()) == Some(tid)
            && rest
                .get(tid.len())
                .is_some_and(|&f| Continuation::from_flag(f).is_some())
            && rest.get(tid.len() + 1..tail_len) == Some(b"\r\n")
        {
            return EndLine::Found(at, at + OPEN + tail_len);
        }
        from = at + 1;
    }
}

/// Whether `bytes` could be the start of the end-line of transaction `tid` (CRLF
/// included) that more bytes would complete.
pub(crate) fn may_start_end_line(bytes: &[u8], tid: &[u8]) -> bool {
    let open = 2 + DASHES.len();
    bytes.iter().enumerate().all(|(i, &b)| match i {
        0 => b == b'\r',
        1 => b == b'\n',
        _ if i < open => b == b'-',
        _ if i < open + tid.len() => tid.get(i - open) == Some(&b),
        _ if i == open + tid.len() => Continuation::from_flag(b).is_some(),
        _ if i == open + tid.len() + 1 => b == b'\r',
        _ => false,
    })
}

/// The longest transaction id (an RFC 4975 `ident`: 4 to 32 characters).
pub(crate) const MAX_IDENT: usize = 32;

/// Whether `bytes` is an RFC 4975 `ident`: a letter or digit, then 3 to 31 letters,
/// digits or `.-+%=` (the grammar of transaction ids and Message-IDs).
/// The bytes an `ident` may hold past its first (RFC 4975 section 9).
const IDENT_CHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'%' | b'=');
        b += 1;
    }
    table
};

pub(crate) fn is_ident(bytes: &[u8]) -> bool {
    (4..=MAX_IDENT).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'%' | b'='))
}

/// The continuation flag that closes an end-line (RFC 4975 section 5.1): whether more
/// chunks of the message follow.
///
/// ```
/// use cpm_client::msrp::Continuation;
/// assert_eq!(Continuation::from_flag(b'+'), Some(Continuation::More));
/// assert_eq!(Continuation::Interrupted.flag(), b'#');
/// assert_eq!(Continuation::from_flag(b'!'), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Continuation {
    /// `$`: the last chunk of the message (and the only flag of a response).
    #[default]
    Complete,
    /// `+`: more chunks of the message follow.
    More,
    /// `#`: the sender has abandoned the message; no more chunks follow.
    Interrupted,
}

impl Continuation {
    /// The flag byte read back into its meaning.
    pub fn from_flag(flag: u8) -> Option<Continuation> {
        match flag {
            b'$' => Some(Continuation::Complete),
            b'+' => Some(Continuation::More),
            b'#' => Some(Continuation::Interrupted),
            _ => None,
        }
    }

    /// The byte written after the transaction id.
    pub const fn flag(self) -> u8 {
        match self {
            Continuation::Complete => b'$',
            Continuation::More => b'+',
            Continuation::Interrupted => b'#',
        }
    }
}

/// `Byte-Range: start-end/total` (RFC 4975 sections 7.1.1 and 9): 1-based and
/// inclusive, `end` and `total` `*` when unknown.
///
/// [`parse`](Self::parse) refuses what cannot describe a chunk: a start of 0, an end
/// more than one byte before the start (`n-(n-1)` is the empty range the empty SEND
/// uses), an end beyond the total, numbers past 2^64 - 1.
///
/// ```
/// use cpm_client::msrp::ByteRange;
///
/// let range = ByteRange::parse("1-*/8191").unwrap();
/// assert_eq!((range.start, range.end, range.total), (1, None, Some(8191)));
/// assert_eq!(range.to_string(), "1-*/8191");
/// assert_eq!(ByteRange::parse("10-20/15"), None, "an end beyond the total");
/// assert_eq!(ByteRange::whole(0).to_string(), "1-0/0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// The position of the chunk's first byte in the message (1-based).
    pub start: u64,
    /// The position of its last byte, `None` for `*`.
    pub end: Option<u64>,
    /// The message's size, `None` for `*`.
    pub total: Option<u64>,
}

impl ByteRange {
    /// The range of a whole message of `total` bytes: `1-total/total` (`1-0/0` for an
    /// empty one).
    pub const fn whole(total: u64) -> ByteRange {
        ByteRange {
            start: 1,
            end: Some(total),
            total: Some(total),
        }
    }

    /// Reads a Byte-Range value (white space around it ignored).
    pub fn parse(value: &str) -> Option<ByteRange> {
        let value = value.trim().as_bytes();
        let dash = memchr::memchr(b'-', value)?;
        let slash = dash + 1 + memchr::memchr(b'/', value.get(dash + 1..)?)?;
        let start = decimal_bytes(value.get(..dash)?)?;
        let end = star_or_decimal(value.get(dash + 1..slash)?)?;
        let total = star_or_decimal(value.get(slash + 1..)?)?;
        let range = ByteRange { start, end, total };
        range.is_valid().then_some(range)
    }

    /// As [`parse`](Self::parse), on an ASCII value already trimmed: one pass over
    /// its digits.
    fn parse_ascii(value: &[u8]) -> Option<ByteRange> {
        let mut rest = value;
        let start = leading_decimal(&mut rest)?;
        rest = rest.strip_prefix(b"-")?;
        let end = match rest.strip_prefix(b"*") {
            Some(after) => {
                rest = after;
                None
            }
            None => Some(leading_decimal(&mut rest)?),
        };
        rest = rest.strip_prefix(b"/")?;
        let total = if rest == b"*" {
            None
        } else {
            let total = leading_decimal(&mut rest)?;
            if !rest.is_empty() {
                return None;
            }
            Some(total)
        };
        let range = ByteRange { start, end, total };
        range.is_valid().then_some(range)
    }

    pub(crate) fn is_valid(&self) -> bool {
        if self.start == 0 {
            return false;
        }
        if let Some(end) = self.end {
            if end < self.start - 1 {
                return false;
            }
            if self.total.is_some_and(|total| end > total) {
                return false;
            }
        }
        true
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(end) => write!(f, "{end}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(total) => write!(f, "{total}"),
            None => f.write_str("*"),
        }
    }
}

/// `1*DIGIT` as a `u64`; `None` when empty, not digits, or past 2^64 - 1.
fn decimal_bytes(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The `1*DIGIT` at the start of `rest`, which is moved past them; `None` when there
/// is no digit or the number is past 2^64 - 1.
fn leading_decimal(rest: &mut &[u8]) -> Option<u64> {
    // One pass that wraps; 19 digits stay below 2^64 - 1, so only a longer number is
    // read again with checks.
    let mut n = 0u64;
    let mut len = 0;
    for &b in rest.iter() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        len += 1;
    }
    let (digits, after) = rest.split_at_checked(len)?;
    if len == 0 {
        return None;
    } else if len > 19 {
        n = decimal_bytes(digits)?;
    }
    *rest = after;
    Some(n)
}

fn star_or_decimal(text: &[u8]) -> Option<Option<u64>> {
    if text == b"*" {
        Some(None)
    } else {
        decimal_bytes(text).map(Some)
    }
}

/// `Failure-Report` (RFC 4975 section 7.1.1): which responses and failure reports
/// the sender of a SEND wants.
///
/// ```
/// use cpm_client::msrp::FailureReport;
/// assert_eq!(FailureReport::parse("Partial"), Some(FailureReport::Partial));
/// assert_eq!(FailureReport::default(), FailureReport::Yes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailureReport {
    /// `yes`, the default: a response to every chunk (200 or an error), and a failure
    /// REPORT when delivery fails downstream.
    #[default]
    Yes,
    /// `no`: no response and no REPORT at all.
    No,
    /// `partial`: error responses and failure REPORTs only, never a 200.
    Partial,
}

impl FailureReport {
    /// Reads the value (ignoring ASCII case).
    pub fn parse(value: &str) -> Option<FailureReport> {
        let value = value.trim();
        [
            FailureReport::Yes,
            FailureReport::No,
            FailureReport::Partial,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(value))
    }

    /// As [`parse`](Self::parse), on an ASCII value already trimmed.
    fn parse_ascii(value: &[u8]) -> Option<FailureReport> {
        [
            FailureReport::Yes,
            FailureReport::No,
            FailureReport::Partial,
        ]
        .into_iter()
        .find(|v| v.as_str().as_bytes().eq_ignore_ascii_case(value))
    }

    /// The value as written (`yes`, `no`, `partial`).
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureReport::Yes => "yes",
            FailureReport::No => "no",
            FailureReport::Partial => "partial",
        }
    }
}

/// As [`yes_no`], on an ASCII value already trimmed.
fn yes_no_ascii(value: &[u8]) -> Option<bool> {
    if value.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// Reads a `Success-Report` value: `yes` or `no` (ignoring ASCII case).
fn yes_no(value: &str) -> Option<bool> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// `Status: 000 200 OK` of a REPORT (RFC 4975 section 9): a namespace (`000` for
/// every code RFC 4975 defines), a status code, and an optional text.
///
/// ```
/// use cpm_client::msrp::MsrpStatus;
/// let status = MsrpStatus::parse("000 413 Message too large").unwrap();
/// assert_eq!((status.namespace, status.code, status.text), (0, 413, Some("Message too large")));
/// assert_eq!(MsrpStatus::ok().to_string(), "000 200 OK");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsrpStatus<'a> {
    /// The namespace, three digits.
    pub namespace: u16,
    /// The status code, three digits.
    pub code: u16,
    /// The text after the code.
    pub text: Option<&'a str>,
}

impl MsrpStatus<'static> {
    /// `000 200 OK`, the status of a success report.
    pub const fn ok() -> MsrpStatus<'static> {
        MsrpStatus {
            namespace: 0,
            code: 200,
            text: Some("OK"),
        }
    }
}

impl<'a> MsrpStatus<'a> {
    /// Reads a Status value.
    pub fn parse(value: &'a str) -> Option<MsrpStatus<'a>> {
        let value = value.trim();
        let namespace = three_digits(value.get(..3)?)?;
        let rest = value.get(3..)?.strip_prefix(' ')?;
        let code = three_digits(rest.get(..3)?)?;
        let text = match rest.get(3..)? {
            "" => None,
            more => Some(more.strip_prefix(' ')?),
        };
        Some(MsrpStatus {
            namespace,
            code,
            text,
        })
    }
}

impl fmt::Display for MsrpStatus<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.namespace, self.code)?;
        if let Some(text) = self.text {
            write!(f, " {text}")?;
        }
        Ok(())
    }
}

fn three_digits(text: &str) -> Option<u16> {
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// The method of a request: `SEND`, `REPORT`, or another (RFC 4975 section 9:
/// `1*UPALPHA`, compared case-sensitively). A session answers other methods 501.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsrpMethod<'a> {
    /// `SEND`: a chunk of a message.
    Send,
    /// `REPORT`: a delivery report.
    Report,
    /// Any other method (`AUTH` of RFC 4976, ...), as written.
    Other(&'a str),
}

impl<'a> MsrpMethod<'a> {
    /// The method a name stands for.
    pub fn from_name(name: &'a str) -> MsrpMethod<'a> {
        match name {
            "SEND" => MsrpMethod::Send,
            "REPORT" => MsrpMethod::Report,
            other => MsrpMethod::Other(other),
        }
    }

    /// The name as written on the start line.
    pub fn as_str(&self) -> &'a str {
        match self {
            MsrpMethod::Send => "SEND",
            MsrpMethod::Report => "REPORT",
            MsrpMethod::Other(name) => name,
        }
    }
}

/// Why bytes are not an MSRP request or response, and where.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::msrp::{MsrpErrorKind, MsrpFrame};
///
/// let err = MsrpFrame::parse(Bytes::from_static(
///     b"MSRP a786hjs2 SEND\r\nFrom-Path: msrp://a.example.com:7654/s1;tcp\r\n-------a786hjs2$\r\n",
/// ))
/// .unwrap_err();
/// assert_eq!(err.kind(), &MsrpErrorKind::MissingHeader("To-Path"));
/// assert_eq!(err.to_string(), "MSRP byte 20: the To-Path header is missing");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MSRP byte {offset}: {kind}")]
pub struct MsrpError {
    kind: MsrpErrorKind,
    offset: usize,
}

impl MsrpError {
    pub(crate) fn new(kind: MsrpErrorKind, offset: usize) -> MsrpError {
        MsrpError { kind, offset }
    }

    /// What was wrong.
    pub fn kind(&self) -> &MsrpErrorKind {
        &self.kind
    }

    /// The 0-based offset of the fault in the bytes read.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// What was wrong with an MSRP request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsrpErrorKind {
    /// The first line is not `MSRP SP transact-id SP (method / status-code) CRLF`.
    #[error("the start line is not MSRP <transaction-id> <method or status>")]
    BadStartLine,
    /// The bytes do not end with the end-line `-------<transaction-id><flag>CRLF` of
    /// the start line's transaction, preceded by a CRLF.
    #[error("no end-line for the transaction closes the message")]
    NoEndLine,
    /// The body holds the end-line of its own transaction: the message would end there.
    #[error("the body holds the message's own end-line")]
    EndLineInBody,
    /// The header section is not UTF-8 (RFC 4975 section 9: `utf8text`).
    #[error("the header section is not UTF-8")]
    NotUtf8,
    /// A header line without a colon, or with a name that is not a token.
    #[error("a header line is not Name: value")]
    BadHeaderLine,
    /// A header every request and response has (To-Path, From-Path), or that a SEND or
    /// REPORT needs (Message-ID), is missing.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// A header that may appear once appears twice.
    #[error("the {0} header appears twice")]
    DuplicateHeader(&'static str),
    /// A header value outside its grammar (a path that is not MSRP URIs, a Byte-Range
    /// that is not `start-end/total`, ...).
    #[error("the {0} value is not in its grammar")]
    BadHeaderValue(&'static str),
    /// A request with a body and no Content-Type (RFC 4975 section 7.1).
    #[error("a body without Content-Type")]
    MissingContentType,
    /// A response with a body (responses carry none, RFC 4975 section 9).
    #[error("a response with a body")]
    ResponseWithBody,
}

/// A start line, read: where its parts are in the message's bytes.
#[derive(Debug, Clone)]
pub(crate) struct StartLine {
    pub(crate) tid: Range<usize>,
    /// The method, or the status code and its comment.
    kind: StartKind,
    /// Just past the CRLF.
    end: usize,
    /// Where the body starts, past the first empty line, when the stream reader
    /// found it (for a message with a body).
    pub(crate) body_start: Option<usize>,
}

#[derive(Debug, Clone)]
enum StartKind {
    Request(Range<usize>),
    Response(u16, Option<Range<usize>>),
}

/// Reads the first line of `bytes`, up to its CRLF.
pub(crate) fn start_line(bytes: &[u8]) -> Result<StartLine, MsrpError> {
    let line_end = find_crlf(bytes).ok_or(MsrpError::new(MsrpErrorKind::BadStartLine, 0))?;
    start_line_to(bytes, line_end)
}

/// Reads the first line of `bytes`, whose first CRLF is at `line_end`.
pub(crate) fn start_line_to(bytes: &[u8], line_end: usize) -> Result<StartLine, MsrpError> {
    let bad = || MsrpError::new(MsrpErrorKind::BadStartLine, 0);
    let line = bytes.get(..line_end).ok_or_else(bad)?;
    let rest = line.strip_prefix(b"MSRP ").ok_or_else(bad)?;
    // Start lines are short: plain loops beat setting up vector searches. The
    // transaction id (RFC 4975 section 9: `ident`) runs up to the first byte outside
    // its characters, which must be the space before the method or status code.
    let tid_len = rest
        .iter()
        .position(|&b| !IDENT_CHAR[usize::from(b)])
        .unwrap_or(rest.len());
    if rest.get(tid_len) != Some(&b' ')
        || !(4..=MAX_IDENT).contains(&tid_len)
        || !rest.first().is_some_and(u8::is_ascii_alphanumeric)
    {
        return Err(bad());
    }
    let tid = 5..5 + tid_len;
    let after = tid.end + 1;
    // The common request line: a method of capitals up to the CRLF.
    let method = line.get(after..).unwrap_or_default();
    if !method.is_empty() && method.iter().all(u8::is_ascii_uppercase) {
        return Ok(StartLine {
            tid,
            kind: StartKind::Request(after..line.len()),
            end: line_end + 2,
            body_start: None,
        });
    }
    let word_end = line[after..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(line.len(), |n| after + n);
    let word = &line[after..word_end];
    let kind = if word.len() == 3 && word.iter().all(u8::is_ascii_digit) {
        let code = word.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        let comment = (word_end < line.len()).then(|| word_end + 1..line.len());
        if comment
            .as_ref()
            .is_some_and(|c| std::str::from_utf8(&line[c.clone()]).is_err())
        {
            return Err(bad());
        }
        StartKind::Response(code, comment)
    } else if !word.is_empty() && word_end == line.len() && word.iter().all(u8::is_ascii_uppercase)
    {
        StartKind::Request(after..word_end)
    } else {
        return Err(bad());
    };
    Ok(StartLine {
        tid,
        kind,
        end: line_end + 2,
        body_start: None,
    })
}

/// The transaction id and, for a request, the method of bytes whose start line reads,
/// even when the rest of the message does not: enough to answer a malformed request
/// 400 (RFC 4975 section 7.3).
///
/// ```
/// use cpm_client::msrp::salvage_start_line;
/// assert_eq!(salvage_start_line(b"MSRP a1b2c3 SEND\r\nbroken"), Some(("a1b2c3", Some("SEND"))));
/// assert_eq!(salvage_start_line(b"MSRP a1b2c3 200 OK\r\n"), Some(("a1b2c3", None)));
/// assert_eq!(salvage_start_line(b"SIP/2.0 200 OK\r\n"), None);
/// ```
pub fn salvage_start_line(bytes: &[u8]) -> Option<(&str, Option<&str>)> {
    let start = start_line(bytes).ok()?;
    let tid = std::str::from_utf8(&bytes[start.tid]).ok()?;
    let method = match start.kind {
        StartKind::Request(method) => Some(std::str::from_utf8(&bytes[method]).ok()?),
        StartKind::Response(..) => None,
    };
    Some((tid, method))
}

/// The header values a request or response may carry, located in its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    to_path: Option<Range<usize>>,
    from_path: Option<Range<usize>>,
    message_id: Option<Range<usize>>,
    byte_range: Option<ByteRange>,
    success_report: Option<bool>,
    failure_report: Option<FailureReport>,
    status: Option<Range<usize>>,
    content_type: Option<Range<usize>>,
    content_id: Option<Range<usize>>,
    content_description: Option<Range<usize>>,
    content_disposition: Option<Range<usize>>,
}

/// The To-Path, From-Path, Message-ID and Content-Type values last found well-formed
/// by a reader of one connection, as bytes. A session receiving a message in many
/// chunks reads the same four values in every chunk: a value equal to the one
/// remembered is not checked against its grammar (RFC 4975 section 9) again.
///
/// It also keeps the last head read whole (the header lines, start line and empty
/// line left out) with what was read from it, its ranges counted from the head's
/// first byte: the chunks of one message carry the same header lines but for the
/// Byte-Range value, so a head equal to the one kept outside that value is not read
/// line by line again (see [`recall`](Self::recall)).
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownPaths {
    to: Vec<u8>,
    from: Vec<u8>,
    message_id: Vec<u8>,
    content_type: Vec<u8>,
    /// The head last read whole without an error (valid when `remembered`).
    head: Vec<u8>,
    /// What was read from `head`, ranges counted from its first byte.
    fields: Fields,
    /// Where the Byte-Range value (trimmed) is in `head`, if it has one.
    byte_range_at: Option<Range<usize>>,
    /// Whether `head`, `fields` and `byte_range_at` hold a reading.
    remembered: bool,
}

impl KnownPaths {
    /// Whether `value` is the one remembered in `slot`, else whether it is `valid`
    /// (then it is remembered). Nothing is remembered at first: an empty slot matches
    /// no value, not even an empty one.
    fn check(slot: Option<&mut Vec<u8>>, value: &[u8], valid: fn(&[u8]) -> bool) -> bool {
        match slot {
            Some(known) if !known.is_empty() && known.as_slice() == value => true,
            Some(known) => {
                let ok = valid(value);
                if ok {
                    known.clear();
                    known.extend_from_slice(value);
                }
                ok
            }
            None => valid(value),
        }
    }

    /// Keeps `head` (at `base` in its message) and what was read from it.
    fn remember(
        &mut self,
        head: &[u8],
        base: usize,
        fields: &Fields,
        byte_range: Option<Range<usize>>,
    ) {
        self.head.clear();
        self.head.extend_from_slice(head);
        let back = |r: &Option<Range<usize>>| r.clone().map(|r| r.start - base..r.end - base);
        self.fields = Fields {
            to_path: back(&fields.to_path),
            from_path: back(&fields.from_path),
            message_id: back(&fields.message_id),
            byte_range: fields.byte_range,
            success_report: fields.success_report,
            failure_report: fields.failure_report,
            status: back(&fields.status),
            content_type: back(&fields.content_type),
            content_id: back(&fields.content_id),
            content_description: back(&fields.content_description),
            content_disposition: back(&fields.content_disposition),
        };
        self.byte_range_at = byte_range.map(|r| r.start - base..r.end - base);
        self.remembered = true;
    }

    /// What reading `head` (at `base` in its message) line by line would give, when
    /// it is the head kept but for the Byte-Range value, and that value is one made
    /// of digits, `-`, `/` and `*` only, and reads: the lines then split where they
    /// did (no CR, LF or colon comes in, and the value neither starts nor ends with
    /// white space, so it is trimmed where it was), every other value is the one
    /// found well-formed before, and the new value is read as the line by line
    /// reading reads an ASCII value. `None` otherwise, and for a Byte-Range that does
    /// not read (the reading line by line then says where).
    fn recall(&self, head: &[u8], base: usize) -> Option<Fields> {
        if !self.remembered {
            return None;
        }
        let kept = self.head.as_slice();
        let Some(at) = self.byte_range_at.clone() else {
            return (head == kept).then(|| self.fields_at(base, kept.len(), head.len()));
        };
        let prefix = kept.get(..at.start)?;
        let suffix = kept.get(at.end..)?;
        let value_end = head.len().checked_sub(suffix.len())?;
        if value_end <= at.start
            || head.get(..at.start)? != prefix
            || head.get(value_end..)? != suffix
        {
            return None;
        }
        // A value that reads is made of digits, `-`, `/` and `*` only.
        let range = ByteRange::parse_ascii(head.get(at.start..value_end)?)?;
        let mut fields = self.fields_at(base, at.end, value_end);
        fields.byte_range = Some(range);
        Some(fields)
    }

    /// The fields kept, placed at `base`, those from `old_end` in the kept head on
    /// moved to start from `new_end`.
    fn fields_at(&self, base: usize, old_end: usize, new_end: usize) -> Fields {
        // The moves as sums that wrap: the ranges placed are in the message, so no
        // sum is past `usize::MAX` in the end.
        let moved = base.wrapping_add(new_end.wrapping_sub(old_end));
        let place = |r: &Option<Range<usize>>| {
            r.clone().map(|r| {
                let by = if r.start >= old_end { moved } else { base };
                r.start.wrapping_add(by)..r.end.wrapping_add(by)
            })
        };
        let kept = &self.fields;
        Fields {
            to_path: place(&kept.to_path),
            from_path: place(&kept.from_path),
            message_id: place(&kept.message_id),
            byte_range: kept.byte_range,
            success_report: kept.success_report,
            failure_report: kept.failure_report,
            status: place(&kept.status),
            content_type: place(&kept.content_type),
            content_id: place(&kept.content_id),
            content_description: place(&kept.content_description),
            content_disposition: place(&kept.content_disposition),
        }
    }
}

/// Whether a header value is one or more MSRP URIs separated by single spaces.
fn is_path_bytes(value: &[u8]) -> bool {
    // The head was checked to be UTF-8, and the value starts and ends on ASCII.
    std::str::from_utf8(value).is_ok_and(is_path)
}

/// Whether a Content-Type value may be one: not empty, with a `/`.
fn is_content_type(value: &[u8]) -> bool {
    !value.is_empty() && value.contains(&b'/')
}

/// Everything common to requests and responses, read.
struct Parsed {
    start: StartLine,
    /// The header lines: from the first through the CRLF of the last (empty when
    /// there is none).
    head: Range<usize>,
    body: Option<Range<usize>>,
    continuation: Continuation,
    fields: Fields,
}

/// Reads `bytes` as one whole message. With `framed`, the bytes come from the stream
/// reader, which has already made sure that the end-line it stopped at is the first
/// one: the body is then not searched again. `start` is the start line as the reader
/// read it, if it kept it.
fn parse(
    bytes: &[u8],
    framed: bool,
    known: Option<&mut KnownPaths>,
    start: Option<StartLine>,
) -> Result<Parsed, MsrpError> {
    let start = match start {
        Some(start) => start,
        None => start_line(bytes)?,
    };
    let tid = &bytes[start.tid.clone()];
    // The end-line: CRLF, dashes, the transaction id, a flag, CRLF, at the very end.
    let tail_len = DASHES.len() + tid.len() + 3;
    let no_end = || MsrpError::new(MsrpErrorKind::NoEndLine, bytes.len());
    let tail_start = bytes
        .len()
        .checked_sub(tail_len)
        .filter(|&at| at >= start.end)
        .ok_or_else(no_end)?;
    let tail = &bytes[tail_start..];
    if !tail.starts_with(DASHES)
        || &tail[DASHES.len()..DASHES.len() + tid.len()] != tid
        || !tail.ends_with(b"\r\n")
        || bytes.get(tail_start - 2..tail_start) != Some(b"\r\n")
    {
        return Err(no_end());
    }
    let continuation = Continuation::from_flag(tail[tail_len - 3]).ok_or_else(no_end)?;
    // `text` runs through the CRLF before the end-line.
    let text_end = tail_start;
    let from = start.end - 2;
    // The empty line the stream reader found, if it is one where it said.
    let found = start
        .body_start
        .filter(|&at| at >= from + 4 && at + 2 <= text_end)
        .filter(|&at| bytes.get(at - 4..at) == Some(b"\r\n\r\n"))
        .map(|at| at - 4 - from);
    let (head, body) = match found.or_else(|| find_blank_line(&bytes[from..text_end])) {
        // No empty line: header lines then the end-line.
        None => (start.end..text_end, None),
        Some(at) => {
            let blank = from + at;
            let body_start = (blank + 4).min(text_end - 2);
            (start.end..blank + 2, Some(body_start..text_end - 2))
        }
    };
    if let (false, Some(body)) = (framed, &body) {
        // The end-line itself is at the very end: look for an earlier one.
        if let EndLine::Found(at, _) = find_end_line(&bytes[..text_end], body.start, tid) {
            return Err(MsrpError::new(MsrpErrorKind::EndLineInBody, at));
        }
    }
    let fields = read_headers(bytes, head.clone(), known)?;
    Ok(Parsed {
        start,
        head,
        body,
        continuation,
        fields,
    })
}

/// One header line: where it starts, its name, and its value with white space around
/// it trimmed (`None` for a line without a colon).
struct HeaderLine {
    at: usize,
    name: Range<usize>,
    value: Option<Range<usize>>,
}

/// The header lines in `head` (each ending in CRLF).
fn header_lines(bytes: &[u8], head: Range<usize>) -> impl Iterator<Item = HeaderLine> + '_ {
    let mut pos = head.start;
    std::iter::from_fn(move || {
        if pos >= head.end {
            return None;
        }
        let end = find_crlf(&bytes[pos..head.end]).map_or(head.end, |n| pos + n);
        let at = pos;
        pos = end + 2;
        let Some(colon) = bytes[at..end]
            .iter()
            .position(|&b| b == b':')
            .map(|n| at + n)
        else {
            return Some(HeaderLine {
                at,
                name: at..end,
                value: None,
            });
        };
        let mut value = colon + 1..end;
        while value.start < value.end && bytes[value.start].is_ascii_whitespace() {
            value.start += 1;
        }
        while value.end > value.start && bytes[value.end - 1].is_ascii_whitespace() {
            value.end -= 1;
        }
        Some(HeaderLine {
            at,
            name: at..colon,
            value: Some(value),
        })
    })
}

/// The headers whose values are read into [`Fields`], told apart by length and first
/// letter before any comparison of the whole name (names ignore ASCII case, RFC 4975
/// section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    ToPath,
    FromPath,
    MessageId,
    ByteRange,
    SuccessReport,
    FailureReport,
    Status,
    ContentType,
    ContentId,
    ContentDescription,
    ContentDisposition,
}

impl Known {
    /// The known header `name` is, if any.
    fn of(name: &[u8]) -> Option<Known> {
        let first = name.first()?.to_ascii_lowercase();
        let (known, text) = match (name.len(), first) {
            (7, b't') => (Known::ToPath, "To-Path"),
            (9, b'f') => (Known::FromPath, "From-Path"),
            (10, b'm') => (Known::MessageId, "Message-ID"),
            (10, b'b') => (Known::ByteRange, "Byte-Range"),
            (10, b'c') => (Known::ContentId, "Content-ID"),
            (14, b's') => (Known::SuccessReport, "Success-Report"),
            (14, b'f') => (Known::FailureReport, "Failure-Report"),
            (6, b's') => (Known::Status, "Status"),
            (12, b'c') => (Known::ContentType, "Content-Type"),
            (19, b'c') => {
                if name.eq_ignore_ascii_case(b"Content-Description") {
                    return Some(Known::ContentDescription);
                }
                (Known::ContentDisposition, "Content-Disposition")
            }
            _ => return None,
        };
        // Names are nearly always written as RFC 4975 writes them: one comparison of
        // the bytes before one that folds case byte by byte.
        (name == text.as_bytes() || name.eq_ignore_ascii_case(text.as_bytes())).then_some(known)
    }
}

/// Reads `value` (trimmed of ASCII white space) with `ascii` when it is ASCII and
/// neither starts nor ends with a vertical tab, else as text with `text`, which trims
/// the white space `str::trim` knows beyond ASCII's (the vertical tab among it).
fn value_of<T>(
    value: &[u8],
    ascii: impl FnOnce(&[u8]) -> Option<T>,
    text: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    const VT: u8 = 0x0b;
    if value.is_ascii() && value.first() != Some(&VT) && value.last() != Some(&VT) {
        ascii(value)
    } else {
        text(std::str::from_utf8(value).ok()?)
    }
}

/// Reads the header lines in `head`; with `known`, a head like the last one read
/// whole on the connection is not read line by line again ([`KnownPaths::recall`]).
fn read_headers(
    bytes: &[u8],
    head: Range<usize>,
    known: Option<&mut KnownPaths>,
) -> Result<Fields, MsrpError> {
    let head_bytes = bytes.get(head.clone()).unwrap_or_default();
    let Some(known) = known else {
        return read_header_lines(bytes, head, None, &mut None);
    };
    if let Some(fields) = known.recall(head_bytes, head.start) {
        #[cfg(debug_assertions)]
        {
            let fresh = read_header_lines(bytes, head.clone(), None, &mut None);
            debug_assert_eq!(
                fresh.as_ref(),
                Ok(&fields),
                "a recalled head reads otherwise"
            );
        }
        return Ok(fields);
    }
    let mut byte_range = None;
    let fields = read_header_lines(bytes, head.clone(), Some(&mut *known), &mut byte_range)?;
    known.remember(head_bytes, head.start, &fields, byte_range);
    Ok(fields)
}

/// Reads the header lines in `head` one by one; `byte_range_at` is set to where the
/// Byte-Range value is.
fn read_header_lines(
    bytes: &[u8],
    head: Range<usize>,
    mut known: Option<&mut KnownPaths>,
    byte_range_at: &mut Option<Range<usize>>,
) -> Result<Fields, MsrpError> {
    let head_bytes = bytes.get(head.clone()).unwrap_or_default();
    if !head_bytes.is_ascii() && std::str::from_utf8(head_bytes).is_err() {
        return Err(MsrpError::new(MsrpErrorKind::NotUtf8, head.start));
    }
    let mut fields = Fields::default();
    for line in header_lines(bytes, head) {
        let at = line.at;
        let name = bytes.get(line.name.clone()).unwrap_or_default();
        let Some(range) = line.value else {
            return Err(MsrpError::new(MsrpErrorKind::BadHeaderLine, at));
        };
        // A known name is a token: only the others are checked.
        let which = Known::of(name);
        if which.is_none()
            && (name.is_empty() || !name.iter().all(|&b| crate::sip::grammar::is_token_char(b)))
        {
            return Err(MsrpError::new(MsrpErrorKind::BadHeaderLine, at));
        }
        let Some(which) = which else {
            continue;
        };
        let value = bytes.get(range.clone()).unwrap_or_default();
        let bad = |name| MsrpError::new(MsrpErrorKind::BadHeaderValue(name), at);
        let dup = |name| MsrpError::new(MsrpErrorKind::DuplicateHeader(name), at);
        macro_rules! once {
            ($slot:expr, $name:expr, $value:expr) => {{
                if $slot.is_some() {
                    return Err(dup($name));
                }
                $slot = Some($value);
            }};
        }
        match which {
            Known::ToPath => {
                if !KnownPaths::check(
                    known.as_deref_mut().map(|k| &mut k.to),
                    value,
                    is_path_bytes,
                ) {
                    return Err(bad("To-Path"));
                }
                once!(fields.to_path, "To-Path", range);
            }
            Known::FromPath => {
                let slot = known.as_deref_mut().map(|k| &mut k.from);
                if !KnownPaths::check(slot, value, is_path_bytes) {
                    return Err(bad("From-Path"));
                }
                once!(fields.from_path, "From-Path", range);
            }
            Known::MessageId => {
                let slot = known.as_deref_mut().map(|k| &mut k.message_id);
                if !KnownPaths::check(slot, value, is_ident) {
                    return Err(bad("Message-ID"));
                }
                once!(fields.message_id, "Message-ID", range);
            }
            Known::ByteRange => {
                let parsed = value_of(value, ByteRange::parse_ascii, ByteRange::parse)
                    .ok_or_else(|| bad("Byte-Range"))?;
                once!(fields.byte_range, "Byte-Range", parsed);
                *byte_range_at = Some(range);
            }
            Known::SuccessReport => {
                let parsed =
                    value_of(value, yes_no_ascii, yes_no).ok_or_else(|| bad("Success-Report"))?;
                once!(fields.success_report, "Success-Report", parsed);
            }
            Known::FailureReport => {
                let parsed = value_of(value, FailureReport::parse_ascii, FailureReport::parse)
                    .ok_or_else(|| bad("Failure-Report"))?;
                once!(fields.failure_report, "Failure-Report", parsed);
            }
            Known::Status => {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(MsrpStatus::parse)
                    .ok_or_else(|| bad("Status"))?;
                once!(fields.status, "Status", range);
            }
            Known::ContentType => {
                let slot = known.as_deref_mut().map(|k| &mut k.content_type);
                if !KnownPaths::check(slot, value, is_content_type) {
                    return Err(bad("Content-Type"));
                }
                once!(fields.content_type, "Content-Type", range);
            }
            Known::ContentId => once!(fields.content_id, "Content-ID", range),
            Known::ContentDescription => {
                once!(fields.content_description, "Content-Description", range)
            }
            Known::ContentDisposition => {
                once!(fields.content_disposition, "Content-Disposition", range)
            }
        }
    }
    Ok(fields)
}

/// Whether `text` is one or more MSRP URIs separated by single spaces.
fn is_path(text: &str) -> bool {
    let mut rest = text;
    loop {
        let (uri, more) = match rest.bytes().position(|b| b == b' ') {
            Some(at) => (rest.get(..at), rest.get(at + 1..)),
            None => (Some(rest), None),
        };
        if !uri.is_some_and(|uri| super::MsrpUri::parse(uri).is_ok()) {
            return false;
        }
        match more {
            Some(more) => rest = more,
            None => return true,
        }
    }
}

/// Reads a `Range` of `bytes` as text (the head was checked to be UTF-8 when read).
fn text<'a>(bytes: &'a Bytes, range: &Range<usize>) -> &'a str {
    std::str::from_utf8(&bytes[range.clone()]).unwrap_or_default()
}

/// An MSRP request read in place: its parts are slices of the bytes it keeps.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::msrp::{ByteRange, Continuation, MsrpMethod, MsrpRequest};
///
/// let request = MsrpRequest::parse(Bytes::from_static(
///     b"MSRP d93kswow SEND\r\n\
///       To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
///       From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
///       Message-ID: 12339sdqwer\r\n\
///       Byte-Range: 1-16/16\r\n\
///       Content-Type: text/plain\r\n\
///       \r\n\
///       Hi, I'm Alice!\r\n\
///       -------d93kswow$\r\n",
/// ))?;
/// assert_eq!(request.method(), MsrpMethod::Send);
/// assert_eq!(request.transaction_id(), "d93kswow");
/// assert_eq!(request.message_id(), Some("12339sdqwer"));
/// assert_eq!(request.byte_range(), Some(ByteRange { start: 1, end: Some(16), total: Some(16) }));
/// assert_eq!(request.content_type(), Some("text/plain"));
/// assert_eq!(request.body(), Some(&b"Hi, I'm Alice!"[..]));
/// assert_eq!(request.continuation(), Continuation::Complete);
/// # Ok::<(), cpm_client::msrp::MsrpError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MsrpRequest {
    bytes: Bytes,
    tid: Range<usize>,
    method: Range<usize>,
    head: Range<usize>,
    body: Option<Range<usize>>,
    continuation: Continuation,
    fields: Fields,
}

impl MsrpRequest {
    /// Reads `bytes` as one whole request: start line, To-Path and From-Path (in any
    /// order, each once), the other headers, an optional body after an empty line
    /// (then Content-Type is required), and the end-line of the start line's
    /// transaction. The body must not hold that end-line.
    ///
    /// # Errors
    ///
    /// An [`MsrpError`] saying what is wrong and where; a response is a
    /// [`BadStartLine`](MsrpErrorKind::BadStartLine).
    pub fn parse(bytes: Bytes) -> Result<MsrpRequest, MsrpError> {
        match MsrpFrame::read(bytes, false, None, None)? {
            MsrpFrame::Request(request) => Ok(request),
            MsrpFrame::Response(_) => Err(MsrpError::new(MsrpErrorKind::BadStartLine, 0)),
        }
    }

    /// The bytes read.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The transaction id of the start line.
    pub fn transaction_id(&self) -> &str {
        text(&self.bytes, &self.tid)
    }

    /// The method.
    pub fn method(&self) -> MsrpMethod<'_> {
        match self.bytes.get(self.method.clone()) {
            Some(b"SEND") => MsrpMethod::Send,
            Some(b"REPORT") => MsrpMethod::Report,
            _ => MsrpMethod::from_name(text(&self.bytes, &self.method)),
        }
    }

    /// The transaction id as bytes (ASCII: an RFC 4975 `ident`).
    pub(crate) fn transaction_id_bytes(&self) -> &[u8] {
        self.bytes.get(self.tid.clone()).unwrap_or_default()
    }

    /// `To-Path` as bytes, as written.
    pub(crate) fn to_path_bytes(&self) -> &[u8] {
        self.fields
            .to_path
            .as_ref()
            .and_then(|r| self.bytes.get(r.clone()))
            .unwrap_or_default()
    }

    /// `From-Path` as bytes, as written.
    pub(crate) fn sender_path_bytes(&self) -> &[u8] {
        self.fields
            .from_path
            .as_ref()
            .and_then(|r| self.bytes.get(r.clone()))
            .unwrap_or_default()
    }

    /// `To-Path` as written: the URIs separated by single spaces, the first one the
    /// next hop and the last the destination (RFC 4975 section 7.1).
    pub fn to_path(&self) -> &str {
        self.fields
            .to_path
            .as_ref()
            .map_or("", |r| text(&self.bytes, r))
    }

    /// `From-Path` as written.
    pub fn from_path(&self) -> &str {
        self.fields
            .from_path
            .as_ref()
            .map_or("", |r| text(&self.bytes, r))
    }

    /// `Message-ID`.
    pub fn message_id(&self) -> Option<&str> {
        self.field(&self.fields.message_id)
    }

    /// `Byte-Range`. A SEND without one holds a whole message (RFC 4975 section
    /// 7.3.1); [`ByteRange`] has the `1-*/*` a receiver then takes.
    pub fn byte_range(&self) -> Option<ByteRange> {
        self.fields.byte_range
    }

    /// `Success-Report`: `Some(true)` for `yes`. Absent means `no`.
    pub fn success_report(&self) -> Option<bool> {
        self.fields.success_report
    }

    /// `Failure-Report`. Absent means [`FailureReport::Yes`].
    pub fn failure_report(&self) -> Option<FailureReport> {
        self.fields.failure_report
    }

    /// `Status` of a REPORT.
    pub fn status(&self) -> Option<MsrpStatus<'_>> {
        MsrpStatus::parse(self.field(&self.fields.status)?)
    }

    /// `Content-Type` as written, parameters included.
    pub fn content_type(&self) -> Option<&str> {
        self.field(&self.fields.content_type)
    }

    /// `Content-ID`.
    pub fn content_id(&self) -> Option<&str> {
        self.field(&self.fields.content_id)
    }

    /// `Content-Description`.
    pub fn content_description(&self) -> Option<&str> {
        self.field(&self.fields.content_description)
    }

    /// `Content-Disposition`.
    pub fn content_disposition(&self) -> Option<&str> {
        self.field(&self.fields.content_disposition)
    }

    fn field(&self, range: &Option<Range<usize>>) -> Option<&str> {
        range.as_ref().map(|r| text(&self.bytes, r))
    }

    /// Every header in order, `(name, value)`, the value trimmed: the known ones and
    /// the extension headers alike.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        headers_of(&self.bytes, self.head.clone())
    }

    /// The first header `name` (ignoring ASCII case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body (the chunk's content), `None` when the request has no body section.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_ref().map(|r| &self.bytes[r.clone()])
    }

    /// The body as a slice of the bytes read (no copy).
    pub fn body_bytes(&self) -> Option<Bytes> {
        self.body.as_ref().map(|r| self.bytes.slice(r.clone()))
    }

    /// The continuation flag of the end-line.
    pub fn continuation(&self) -> Continuation {
        self.continuation
    }
}

/// The `(name, value)` pairs of a head, as text.
fn headers_of(bytes: &Bytes, head: Range<usize>) -> impl Iterator<Item = (&str, &str)> {
    header_lines(bytes, head).map(move |line| {
        let value = line.value.unwrap_or(line.name.end..line.name.end);
        (text(bytes, &line.name), text(bytes, &value))
    })
}

/// An MSRP response read in place.
///
/// ```
/// use bytes::Bytes;
/// use cpm_client::msrp::MsrpResponse;
///
/// let response = MsrpResponse::parse(Bytes::from_static(
///     b"MSRP d93kswow 200 OK\r\n\
///       To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
///       From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
///       -------d93kswow$\r\n",
/// ))?;
/// assert_eq!((response.transaction_id(), response.code(), response.comment()), ("d93kswow", 200, Some("OK")));
/// # Ok::<(), cpm_client::msrp::MsrpError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MsrpResponse {
    bytes: Bytes,
    tid: Range<usize>,
    code: u16,
    comment: Option<Range<usize>>,
    head: Range<usize>,
    fields: Fields,
}

impl MsrpResponse {
    /// Reads `bytes` as one whole response: start line with a three-digit code,
    /// To-Path, From-Path, other headers, no body, the end-line.
    ///
    /// # Errors
    ///
    /// An [`MsrpError`]; a request is a [`BadStartLine`](MsrpErrorKind::BadStartLine).
    pub fn parse(bytes: Bytes) -> Result<MsrpResponse, MsrpError> {
        match MsrpFrame::read(bytes, false, None, None)? {
            MsrpFrame::Response(response) => Ok(response),
            MsrpFrame::Request(_) => Err(MsrpError::new(MsrpErrorKind::BadStartLine, 0)),
        }
    }

    /// The bytes read.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The transaction id of the request answered.
    pub fn transaction_id(&self) -> &str {
        text(&self.bytes, &self.tid)
    }

    /// The status code (RFC 4975 section 10: 200, 400, 403, 408, 413, 415, 423, 481,
    /// 501, 506).
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The comment after the code (`OK`).
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_ref().map(|r| text(&self.bytes, r))
    }

    /// `To-Path`.
    pub fn to_path(&self) -> &str {
        self.fields
            .to_path
            .as_ref()
            .map_or("", |r| text(&self.bytes, r))
    }

    /// `From-Path`.
    pub fn from_path(&self) -> &str {
        self.fields
            .from_path
            .as_ref()
            .map_or("", |r| text(&self.bytes, r))
    }

    /// Every header in order, `(name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        headers_of(&self.bytes, self.head.clone())
    }
}

/// One MSRP message read whole: a request or a response.
#[derive(Debug, Clone)]
pub enum MsrpFrame {
    /// A request (`MSRP <tid> <METHOD>`).
    Request(MsrpRequest),
    /// A response (`MSRP <tid> <code> [comment]`).
    Response(MsrpResponse),
}

impl MsrpFrame {
    /// Reads `bytes` as one whole request or response (see [`MsrpRequest::parse`] and
    /// [`MsrpResponse::parse`] for what each must be), whatever their origin: the body
    /// is searched for an early end-line. A message cut by
    /// [`MsrpStreamReader`](super::MsrpStreamReader) may use
    /// [`parse_framed`](Self::parse_framed), which trusts the reader on that.
    ///
    /// # Errors
    ///
    /// An [`MsrpError`] saying what is wrong and where.
    pub fn parse(bytes: Bytes) -> Result<MsrpFrame, MsrpError> {
        MsrpFrame::read(bytes, false, None, None)
    }

    /// Reads a message that [`MsrpStreamReader`](super::MsrpStreamReader) handed out:
    /// as [`parse`](Self::parse), but without searching the body for an end-line (the
    /// reader stopped at the first one), so that the body is not read at all. On bytes
    /// from elsewhere whose body holds the message's end-line, the body is taken as
    /// running to the last one.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    pub fn parse_framed(bytes: Bytes) -> Result<MsrpFrame, MsrpError> {
        MsrpFrame::read(bytes, true, None, None)
    }

    /// As [`parse_framed`](Self::parse_framed), with the paths last found well-formed
    /// on the same connection (equal ones are not checked again) and the start line
    /// as the stream reader read it (it is not read again).
    pub(crate) fn parse_framed_known(
        bytes: Bytes,
        known: &mut KnownPaths,
        start: Option<StartLine>,
    ) -> Result<MsrpFrame, MsrpError> {
        MsrpFrame::read(bytes, true, Some(known), start)
    }

    fn read(
        bytes: Bytes,
        framed: bool,
        known: Option<&mut KnownPaths>,
        start: Option<StartLine>,
    ) -> Result<MsrpFrame, MsrpError> {
        let parsed = parse(&bytes, framed, known, start)?;
        let Parsed {
            start,
            head,
            body,
            continuation,
            fields,
        } = parsed;
        if fields.to_path.is_none() {
            return Err(MsrpError::new(
                MsrpErrorKind::MissingHeader("To-Path"),
                head.start,
            ));
        }
        if fields.from_path.is_none() {
            return Err(MsrpError::new(
                MsrpErrorKind::MissingHeader("From-Path"),
                head.start,
            ));
        }
        match start.kind {
            StartKind::Request(method) => {
                if body.is_some() && fields.content_type.is_none() {
                    return Err(MsrpError::new(MsrpErrorKind::MissingContentType, head.end));
                }
                Ok(MsrpFrame::Request(MsrpRequest {
                    bytes,
                    tid: start.tid,
                    method,
                    head,
                    body,
                    continuation,
                    fields,
                }))
            }
            StartKind::Response(code, comment) => {
                if body.is_some() {
                    return Err(MsrpError::new(MsrpErrorKind::ResponseWithBody, head.end));
                }
                Ok(MsrpFrame::Response(MsrpResponse {
                    bytes,
                    tid: start.tid,
                    code,
                    comment,
                    head,
                    fields,
                }))
            }
        }
    }

    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        match self {
            MsrpFrame::Request(r) => r.transaction_id(),
            MsrpFrame::Response(r) => r.transaction_id(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Result<MsrpFrame, MsrpError> {
        MsrpFrame::parse(Bytes::copy_from_slice(text.as_bytes()))
    }

    const PATHS: &str =
        "To-Path: msrp://b.example.com:8888/s2;tcp\r\nFrom-Path: msrp://a.example.com:7777/s1;tcp\r\n";

    /// The start-line reader as it was before its one-pass form, kept to check the
    /// two agree.
    fn start_line_to_reference(bytes: &[u8], line_end: usize) -> Result<StartLine, MsrpError> {
        let bad = || MsrpError::new(MsrpErrorKind::BadStartLine, 0);
        let line = bytes.get(..line_end).ok_or_else(bad)?;
        let rest = line.strip_prefix(b"MSRP ").ok_or_else(bad)?;
        let tid_len = rest.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        if !is_ident(&rest[..tid_len]) {
            return Err(bad());
        }
        let tid = 5..5 + tid_len;
        let after = tid.end + 1;
        let word_end = line[after..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(line.len(), |n| after + n);
        let word = &line[after..word_end];
        let kind = if word.len() == 3 && word.iter().all(u8::is_ascii_digit) {
            let code = word.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
            let comment = (word_end < line.len()).then(|| word_end + 1..line.len());
            if comment
                .as_ref()
                .is_some_and(|c| std::str::from_utf8(&line[c.clone()]).is_err())
            {
                return Err(bad());
            }
            StartKind::Response(code, comment)
        } else if !word.is_empty()
            && word_end == line.len()
            && word.iter().all(u8::is_ascii_uppercase)
        {
            StartKind::Request(after..word_end)
        } else {
            return Err(bad());
        };
        Ok(StartLine {
            tid,
            kind,
            end: line_end + 2,
            body_start: None,
        })
    }

    fn same_start_line(bytes: &[u8]) {
        for line_end in [bytes.len().saturating_sub(2), bytes.len(), bytes.len() + 1] {
            let new = format!("{:?}", start_line_to(bytes, line_end));
            let old = format!("{:?}", start_line_to_reference(bytes, line_end));
            assert_eq!(
                new,
                old,
                "{:?} to {line_end}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn start_line_to_agrees_with_its_reference() {
        let typical: [&[u8]; 6] = [
            b"MSRP a786hjs2 SEND\r\n",
            b"MSRP dkei38sd REPORT\r\n",
            b"MSRP d93kswow 200 OK\r\n",
            b"MSRP 0123456789abcdef0123456789abcdef 408 Timeout \xc3\xa9\r\n",
            b"MSRP a.b-c+d%e= 415\r\n",
            b"MSRP abcd X\r\n",
        ];
        let edges: [&[u8]; 16] = [
            b"",
            b"MSRP",
            b"MSRP ",
            b"MSRP abcd",
            b"MSRP abcd ",
            b"MSRP abc SEND",
            b"MSRP .abc SEND",
            b"MSRP abcd  SEND",
            b"MSRP abcd SEND ",
            b"MSRP abcd Send",
            b"MSRP abcd 20 OK",
            b"MSRP abcd 2000",
            b"MSRP abcd 200 \xff",
            b"MSRP 0123456789abcdef0123456789abcdefX SEND",
            b"MSRP 0123456789abcdef0123456789abcdef SEND",
            b"MSRP ab\xffcd SEND",
        ];
        for bytes in edges {
            same_start_line(bytes);
        }
        for bytes in typical.iter().chain(edges.iter()) {
            same_start_line(bytes);
            for at in 0..bytes.len() {
                for r in 0..=u8::MAX {
                    let mut m = bytes.to_vec();
                    m[at] = r;
                    same_start_line(&m);
                }
                let mut cut = bytes.to_vec();
                cut.remove(at);
                same_start_line(&cut);
            }
        }
    }

    #[test]
    fn a_body_may_hold_other_transactions_end_lines() {
        let text = format!(
            "MSRP abcd SEND\r\n{PATHS}Message-ID: m123\r\nContent-Type: text/plain\r\n\r\n\
             x\r\n-------abce$\r\n-------abcdX$\r\n-------abcd\r\n\r\n-------abcd+\r\n"
        );
        let MsrpFrame::Request(r) = frame(&text).unwrap() else {
            panic!()
        };
        assert_eq!(
            r.body().unwrap(),
            b"x\r\n-------abce$\r\n-------abcdX$\r\n-------abcd\r\n"
        );
        assert_eq!(r.continuation(), Continuation::More);
        // Its own end-line inside the body is refused.
        let text = format!(
            "MSRP abcd SEND\r\n{PATHS}Message-ID: m123\r\nContent-Type: text/plain\r\n\r\n\
             x\r\n-------abcd$\r\ny\r\n-------abcd$\r\n"
        );
        assert_eq!(
            frame(&text).unwrap_err().kind(),
            &MsrpErrorKind::EndLineInBody
        );
    }

    #[test]
    fn empty_bodies_and_no_bodies() {
        let none = format!("MSRP abcd SEND\r\n{PATHS}Message-ID: m123\r\n-------abcd$\r\n");
        let MsrpFrame::Request(r) = frame(&none).unwrap() else {
            panic!()
        };
        assert_eq!(r.body(), None);
        let empty = format!(
            "MSRP abcd SEND\r\n{PATHS}Message-ID: m123\r\nContent-Type: a/b\r\n\r\n\r\n-------abcd$\r\n"
        );
        let MsrpFrame::Request(r) = frame(&empty).unwrap() else {
            panic!()
        };
        assert_eq!(r.body(), Some(&b""[..]));
        // A blank line straight before the end-line: an empty body too.
        let loose = format!(
            "MSRP abcd SEND\r\n{PATHS}Message-ID: m123\r\nContent-Type: a/b\r\n\r\n-------abcd$\r\n"
        );
        let MsrpFrame::Request(r) = frame(&loose).unwrap() else {
            panic!()
        };
        assert_eq!(r.body(), Some(&b""[..]));
    }

    #[test]
    fn header_errors() {
        let cases = [
            (
                "Byte-Range: 0-1/1\r\n",
                MsrpErrorKind::BadHeaderValue("Byte-Range"),
            ),
            (
                "Byte-Range: 1-5/3\r\n",
                MsrpErrorKind::BadHeaderValue("Byte-Range"),
            ),
            (
                "Success-Report: maybe\r\n",
                MsrpErrorKind::BadHeaderValue("Success-Report"),
            ),
            (
                "Message-ID: a b\r\n",
                MsrpErrorKind::BadHeaderValue("Message-ID"),
            ),
            (
                "Message-ID: m123\r\nMessage-ID: m123\r\n",
                MsrpErrorKind::DuplicateHeader("Message-ID"),
            ),
            (
                "Status: 200 OK\r\n",
                MsrpErrorKind::BadHeaderValue("Status"),
            ),
            ("no colon\r\n", MsrpErrorKind::BadHeaderLine),
        ];
        for (header, kind) in cases {
            let text = format!("MSRP abcd SEND\r\n{PATHS}{header}-------abcd$\r\n");
            assert_eq!(frame(&text).unwrap_err().kind(), &kind, "{header:?}");
        }
        let no_type = format!("MSRP abcd SEND\r\n{PATHS}\r\nhi\r\n-------abcd$\r\n");
        assert_eq!(
            frame(&no_type).unwrap_err().kind(),
            &MsrpErrorKind::MissingContentType
        );
        let bad_path = "MSRP abcd SEND\r\nTo-Path: http://x/y\r\nFrom-Path: msrp://a:1/s;tcp\r\n-------abcd$\r\n";
        assert_eq!(
            frame(bad_path).unwrap_err().kind(),
            &MsrpErrorKind::BadHeaderValue("To-Path")
        );
    }

    #[test]
    fn byte_ranges_read_as_ascii_read_as_text() {
        for value in [
            "1-2/3",
            "1-*/*",
            "1-*/5",
            "5-4/10",
            "1-0/0",
            "9999999999999999999-9999999999999999999/9999999999999999999",
            "1-18446744073709551615/18446744073709551615",
            "1-18446744073709551616/*",
            "000000000000000000001-2/3",
            "1-2/",
            "-1/2",
            "1-2/3x",
            "1--2/3",
            "*-1/2",
            "1-*",
            "1/2-3",
            "1-2/3/4",
            "1-2-3/4",
            "1-**/4",
            "",
            "0-1/1",
            "10-20/15",
        ] {
            assert_eq!(
                ByteRange::parse_ascii(value.as_bytes()),
                ByteRange::parse(value),
                "{value:?}"
            );
        }
        // White space that `str::trim` drops beyond ASCII's: read as before.
        for (header, range) in [
            (
                "Byte-Range: 1-5/10\u{a0}\r\n",
                Some(ByteRange {
                    start: 1,
                    end: Some(5),
                    total: Some(10),
                }),
            ),
            (
                "Byte-Range: \u{b}1-5/10\r\n",
                Some(ByteRange {
                    start: 1,
                    end: Some(5),
                    total: Some(10),
                }),
            ),
            ("Success-Report: yes\u{b}\r\n", None),
            ("Failure-Report: \u{2003}partial\r\n", None),
        ] {
            let text = format!("MSRP abcd SEND\r\n{PATHS}{header}-------abcd$\r\n");
            let MsrpFrame::Request(r) = frame(&text).unwrap() else {
                panic!()
            };
            assert_eq!(r.byte_range(), range, "{header:?}");
            assert!(
                header.starts_with("Byte")
                    || r.success_report() == Some(true)
                    || r.failure_report() == Some(FailureReport::Partial),
                "{header:?}"
            );
        }
    }

    #[test]
    fn values_remembered_on_a_connection_are_still_checked_when_they_change() {
        let mut known = KnownPaths::default();
        let send = |known: &mut KnownPaths, id: &str, ty: &str| {
            let text = format!(
                "MSRP abcd SEND\r\n{PATHS}Message-ID: {id}\r\nContent-Type: {ty}\r\n\r\n\
                 x\r\n-------abcd$\r\n"
            );
            MsrpFrame::parse_framed_known(Bytes::from(text), known, None).map(|_| ())
        };
        assert_eq!(send(&mut known, "m123", "a/b"), Ok(()));
        assert_eq!(send(&mut known, "m123", "a/b"), Ok(()));
        let kind = |r: Result<(), MsrpError>| r.map_err(|e| *e.kind());
        assert_eq!(
            kind(send(&mut known, "m 123", "a/b")),
            Err(MsrpErrorKind::BadHeaderValue("Message-ID"))
        );
        assert_eq!(
            kind(send(&mut known, "m123", "ab")),
            Err(MsrpErrorKind::BadHeaderValue("Content-Type"))
        );
        assert_eq!(send(&mut known, "m124", "c/d"), Ok(()));
        assert_eq!(
            kind(send(&mut known, "m123", "")),
            Err(MsrpErrorKind::BadHeaderValue("Content-Type"))
        );
    }

    #[test]
    fn header_names_ignore_case() {
        let text = "MSRP abcd SEND\r\nto-path: msrp://b.example.com:8888/s2;tcp\r\n\
             FROM-PATH: msrp://a.example.com:7777/s1;tcp\r\nmessage-id: m123\r\n\
             BYTE-range: 1-2/2\r\ncontent-TYPE: a/b\r\n\r\nhi\r\n-------abcd$\r\n";
        let MsrpFrame::Request(r) = frame(text).unwrap() else {
            panic!()
        };
        assert_eq!(r.message_id(), Some("m123"));
        assert_eq!(r.byte_range(), Some(ByteRange::whole(2)));
        assert_eq!(r.content_type(), Some("a/b"));
        assert_eq!(r.method(), MsrpMethod::Send);
    }

    #[test]
    fn start_lines() {
        for bad in [
            "MSRP abc SEND\r\n",
            "MSRP abcd send\r\n",
            "MSRP abcd  SEND\r\n",
            "MSRP abcd 20 OK\r\n",
            "msrp abcd SEND\r\n",
            "MSRP abcd SEND",
        ] {
            let text = format!("{bad}{PATHS}-------abcd$\r\n");
            assert_eq!(
                frame(&text).unwrap_err().kind(),
                &MsrpErrorKind::BadStartLine,
                "{bad:?}"
            );
        }
        let other = format!("MSRP abcd AUTH\r\n{PATHS}-------abcd$\r\n");
        let MsrpFrame::Request(r) = frame(&other).unwrap() else {
            panic!()
        };
        assert_eq!(r.method(), MsrpMethod::Other("AUTH"));
        let wrong_tid = format!("MSRP abcd SEND\r\n{PATHS}-------abce$\r\n");
        assert_eq!(
            frame(&wrong_tid).unwrap_err().kind(),
            &MsrpErrorKind::NoEndLine
        );
    }

    /// Reads `wire` as the session does (with what `known` keeps of the last head)
    /// and as a fresh reading, and checks that they give the same frame or error;
    /// says whether the head was recalled.
    fn same_as_fresh(wire: &[u8], known: &mut KnownPaths) -> bool {
        let head = start_line(wire).ok().map(|start| {
            let from = start.end - 2;
            let end = find_blank_line(&wire[from..]).map_or(wire.len(), |at| from + at + 2);
            start.end..end.max(start.end)
        });
        let recalled =
            head.is_some_and(|head| known.recall(&wire[head.clone()], head.start).is_some());
        let bytes = Bytes::copy_from_slice(wire);
        let with = MsrpFrame::parse_framed_known(bytes.clone(), known, None);
        let fresh = MsrpFrame::parse_framed(bytes);
        assert_eq!(
            format!("{with:?}"),
            format!("{fresh:?}"),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
        recalled
    }

    fn chunk(tid: &str, range: &str, extra: &str) -> Vec<u8> {
        format!(
            "MSRP {tid} SEND\r\nTo-Path: msrp://b.example:1/s;tcp\r\n\
             From-Path: msrp://a.example:1/s;tcp\r\nMessage-ID: m1234\r\n\
             Byte-Range: {range}\r\n{extra}Content-Type: text/plain\r\n\
             Success-Report: yes\r\n\r\nbody\r\n-------{tid}+\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_head_recalled_reads_as_a_fresh_reading() {
        let mut known = KnownPaths::default();
        assert!(!same_as_fresh(&chunk("abcd", "1-4/12", ""), &mut known));
        // The next chunks: another transaction id, another Byte-Range (of another
        // length too), the rest the same.
        assert!(same_as_fresh(&chunk("abcde", "5-8/12", ""), &mut known));
        assert!(same_as_fresh(&chunk("abcd", "9-12/12", ""), &mut known));
        assert!(same_as_fresh(&chunk("abcd", "10-12/*", ""), &mut known));
        assert!(same_as_fresh(&chunk("abcd", "100-99/*", ""), &mut known));
        // A Byte-Range that does not read, or not as ASCII digits: read line by line.
        for range in [
            "5-3/12",
            "5-8/4",
            "5-8",
            " 5-8/12",
            "5-8/12 x",
            "0-1/1",
            "5-8/1\u{b}2",
        ] {
            assert!(
                !same_as_fresh(&chunk("abcd", range, ""), &mut known),
                "{range:?}"
            );
        }
        // Another header line: read line by line, then kept.
        assert!(!same_as_fresh(
            &chunk("abcd", "1-4/12", "Content-ID: <x>\r\n"),
            &mut known
        ));
        assert!(same_as_fresh(
            &chunk("abcd", "5-8/12", "Content-ID: <x>\r\n"),
            &mut known
        ));
        assert!(!same_as_fresh(&chunk("abcd", "5-8/12", ""), &mut known));
        assert!(!same_as_fresh(
            &chunk("abcd", "5-8/12", "Byte-Range: 1-2/3\r\n"),
            &mut known
        ));
    }

    #[test]
    fn any_byte_of_a_head_changed_reads_as_a_fresh_reading() {
        let base = chunk("abcd", "5-8/12", "");
        let head_start = b"MSRP abcd SEND\r\n".len();
        let body_start = head_start - 2 + find_blank_line(&base[head_start - 2..]).unwrap() + 4;
        let mut primed = KnownPaths::default();
        assert!(!same_as_fresh(&chunk("abcd", "1-4/12", ""), &mut primed));
        // One reading kept through all the changes too: it follows what last read.
        let mut running = primed.clone();
        let mut recalled = 0;
        let mut cases = 0;
        let bytes = b"019-/*: \t\r\nxAz\x0b\xff\xc3";
        for at in head_start..=body_start {
            let mut wires = Vec::new();
            for &b in bytes {
                if at < body_start {
                    let mut changed = base.clone();
                    changed[at] = b;
                    wires.push(changed);
                }
                let mut inserted = base.clone();
                inserted.insert(at, b);
                wires.push(inserted);
            }
            if at < body_start {
                let mut removed = base.clone();
                removed.remove(at);
                wires.push(removed);
            }
            for wire in wires {
                cases += 1;
                if same_as_fresh(&wire, &mut primed.clone()) {
                    recalled += 1;
                }
                same_as_fresh(&wire, &mut running);
            }
        }
        // The changes inside the Byte-Range value that keep it a range were recalled.
        assert!(cases > 3000, "{cases}");
        assert!(recalled >= 20, "{recalled} of {cases}");
    }
}
