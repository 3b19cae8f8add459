//! The crate's errors: reading an incoming request ([`ParseError`]), reading a
//! header value ([`ValueError`]), and writing anything ([`BuildError`]).
//!
//! Every rejection of an incoming request is a [`ParseError`]: *what* was wrong ([`ParseErrorKind`]) and
//! *where* (1-based line and 0-based byte offset into the input). Its `Display` form,
//! `line 7: CSeq method INVITE differs from the request method MESSAGE`, is written to
//! be used as the reason phrase of a `400 Bad Request`.

use std::fmt;

use thiserror::Error;

use crate::sip::{KnownHeader, StatusCode};
use crate::user_agent::ProductError;

/// Why and where an incoming request was refused.
///
/// # Example
///
/// ```
/// let err = cpm_client::route(b"INVITE sip:bob@example.com SIP/3.0\r\n\r\n").unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert_eq!(err.to_string(), "line 1: unsupported SIP version (only SIP/2.0 is served)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    kind: ParseErrorKind,
    line: usize,
    offset: usize,
}

impl ParseError {
    /// An error of `kind` found at byte `offset` of `input`; the line number is counted
    /// from the input (this runs only when a request is refused).
    #[cold]
    #[inline(never)]
    pub(crate) fn at(kind: ParseErrorKind, input: &[u8], offset: usize) -> Self {
        let offset = offset.min(input.len());
        let line = memchr::memchr_iter(b'\n', &input[..offset]).count() + 1;
        ParseError { kind, line, offset }
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The 1-based line of the request on which the fault lies (folded header lines
    /// count as the physical lines they are).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 0-based byte offset of the fault in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The SIP status code a server answers this error with: 505 for an unsupported
    /// version, 513 for a message over the size limit, 400 for the rest.
    ///
    /// ```
    /// let err = cpm_client::route(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n").unwrap_err();
    /// assert_eq!(err.status_code(), 400);
    /// ```
    pub fn status_code(&self) -> StatusCode {
        match self.kind {
            ParseErrorKind::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
            ParseErrorKind::MessageTooLarge { .. } => StatusCode::MESSAGE_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// What was wrong with a request.
///
/// ```
/// use cpm_client::sip::KnownHeader;
/// use cpm_client::{route, ParseErrorKind};
///
/// let no_via = b"OPTIONS sip:a@b SIP/2.0\r\nf: <sip:c@d>;tag=1\r\nt: <sip:a@b>\r\n\
///     i: x\r\nCSeq: 1 OPTIONS\r\n\r\n";
/// let err = route(no_via).unwrap_err();
/// assert_eq!(err.kind(), &ParseErrorKind::MissingHeader(KnownHeader::Via));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is empty or holds no complete request line.
    #[error("empty message")]
    Empty,
    /// The first line is a status line: a response reached the request reader.
    #[error("not a request: the first line is a response status line")]
    NotARequest,
    /// The first line is not a status line (a response was expected).
    #[error("first line is not a status line")]
    NotAResponse,
    /// The status line is not `SIP/2.0 SP 3DIGIT SP reason`.
    #[error("status line is not SIP/2.0 SP status-code SP reason-phrase")]
    BadStatusLine,
    /// The request line does not start with a method token.
    #[error("request line has no method")]
    NoMethod,
    /// The method is not followed by one SP.
    #[error("request line is not Method SP Request-URI SP SIP/2.0")]
    BadRequestLine,
    /// The request line has no Request-URI after the method.
    #[error("request line has no Request-URI")]
    NoRequestUri,
    /// The Request-URI does not start with `scheme:`.
    #[error("Request-URI is not an absolute URI (scheme:...)")]
    BadRequestUri,
    /// More than one SP between the method, the Request-URI and the version (RFC 3261
    /// section 7.1 separates them by exactly one).
    #[error("more than one space between the parts of the request line")]
    ExtraSpaceInRequestLine,
    /// Whitespace inside the Request-URI (RFC 3261 forbids LWS there).
    #[error("whitespace inside the Request-URI")]
    WhitespaceInRequestUri,
    /// The request line ends without a SIP version.
    #[error("request line has no SIP version")]
    NoVersion,
    /// Whitespace after the SIP version at the end of the request line.
    #[error("trailing whitespace after the SIP version")]
    TrailingWhitespace,
    /// A version other than SIP/2.0.
    #[error("unsupported SIP version (only SIP/2.0 is served)")]
    UnsupportedVersion,
    /// A line ends in a bare LF or a bare CR instead of CRLF.
    #[error("line does not end in CRLF")]
    BareLineEnd,
    /// No empty line ends the header section.
    #[error("headers are not ended by an empty line")]
    UnterminatedHead,
    /// A header line has no colon.
    #[error("header line has no colon")]
    NoColon,
    /// A header name is empty or holds a byte that is not a token character.
    #[error("header name is not a token")]
    BadHeaderName,
    /// A continuation line (starting with SP or HTAB) with no header above it.
    #[error("folded line with no header above it")]
    OrphanContinuation,
    /// One of Via, From, To, Call-ID, CSeq is absent.
    #[error("missing {0} header")]
    MissingHeader(KnownHeader),
    /// A header that must appear once appears several times.
    #[error("more than one {0} header")]
    DuplicateHeader(KnownHeader),
    /// A header that must have a value is empty.
    #[error("empty {0} header")]
    EmptyHeader(KnownHeader),
    /// The CSeq value is not `number method`, or the number is over 2^32-1.
    #[error("CSeq is not a sequence number (0 to 4294967295) and a method")]
    BadCSeq,
    /// The CSeq method is not the request method.
    #[error("CSeq method {cseq} differs from the request method {method}")]
    CSeqMethodMismatch {
        /// The method in the CSeq header.
        cseq: ShortText,
        /// The method of the request line.
        method: ShortText,
    },
    /// Content-Length is not a decimal number.
    #[error("Content-Length is not a number")]
    BadContentLength,
    /// The body is shorter than Content-Length says.
    #[error("body has {available} bytes, Content-Length says {declared}")]
    BodyTooShort {
        /// Content-Length.
        declared: usize,
        /// Bytes present after the empty line.
        available: usize,
    },
    /// A Via value is not `SIP/2.0/transport host[:port] *(;param)`.
    #[error("malformed Via: {0}")]
    BadVia(&'static str),
    /// An Accept-Contact value breaks RFC 3841's grammar.
    #[error("malformed Accept-Contact: {0}")]
    BadAcceptContact(&'static str),
    /// A Contact value (read for the `isfocus` parameter) breaks RFC 3261's grammar.
    #[error("malformed Contact: {0}")]
    BadContact(&'static str),
    /// A From or To value that is not an address: a `name-addr` or an `addr-spec`
    /// whose URI has a scheme, then parameters (RFC 3261 section 25.1). The reader
    /// leaves these to the one who answers: the [`Dispatcher`](crate::Dispatcher)
    /// refuses such a request, since its response could not carry a well-formed To
    /// with a tag.
    #[error("malformed {} header: not an address", .0.as_str())]
    BadAddress(KnownHeader),
    /// An address whose parameters break its header's grammar: a parameter the grammar
    /// gives a value (`tag` in From and To, `q` and `expires` in Contact, `cid` in
    /// Referred-By) without one, with a value of another form, or twice (RFC 3261
    /// sections 7.3.1 and 25.1). The text says which parameter and how. The
    /// [`Dispatcher`](crate::Dispatcher) refuses a From or To with such a fault, as it
    /// does one that is not an address.
    #[error("malformed {} header: {}", .0.as_str(), .1)]
    BadAddressParam(KnownHeader, &'static str),
    /// The message is larger than [`Limits::max_message_size`](crate::Limits).
    #[error("message of {size} bytes exceeds the limit of {limit}")]
    MessageTooLarge {
        /// Input length.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More header lines than [`Limits::max_headers`](crate::Limits).
    #[error("more than {0} headers")]
    TooManyHeaders(usize),
    /// A header (with its folded lines) longer than
    /// [`Limits::max_header_size`](crate::Limits).
    #[error("header longer than {0} bytes")]
    HeaderTooLong(usize),
    /// More Accept-Contact values than
    /// [`Limits::max_accept_contact_values`](crate::Limits).
    #[error("more than {0} Accept-Contact values")]
    TooManyAcceptContactValues(usize),
    /// More parameters in one value than [`Limits::max_params`](crate::Limits).
    #[error("more than {0} parameters in one header value")]
    TooManyParams(usize),
}

/// A short piece of the input (a method name) kept inline, so that building an error
/// allocates nothing; longer text is cut and ends in `...`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortText {
    buf: [u8; ShortText::CAPACITY],
    len: u8,
    cut: bool,
}

impl ShortText {
    const CAPACITY: usize = 24;

    pub(crate) fn new(text: &[u8]) -> Self {
        let len = text.len().min(Self::CAPACITY);
        let mut buf = [0; Self::CAPACITY];
        buf[..len].copy_from_slice(&text[..len]);
        ShortText {
            buf,
            len: len as u8,
            cut: text.len() > len,
        }
    }

    /// The kept bytes, lossily as text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl fmt::Display for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.as_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{FFFD}")?;
            }
        }
        if self.cut {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// A fault inside one header value, read on its own (for example by
/// [`accept_contact::tags`](crate::routing::accept_contact::tags)): what was wrong and the
/// offset of the fault in the value. Inside a whole request the same fault becomes a
/// [`ParseError`] that names the line.
///
/// ```
/// let err = cpm_client::routing::contact::is_focus(b"<sip:a@b>;;", &cpm_client::Limits::DEFAULT).unwrap_err();
/// assert_eq!(err.offset(), 10);
/// assert_eq!(err.to_string(), "byte 10: malformed Contact: empty parameter");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {at}: {kind}")]
pub struct ValueError {
    pub(crate) kind: ParseErrorKind,
    /// Offset of the fault inside the value.
    pub(crate) at: usize,
}

impl ValueError {
    pub(crate) fn new(kind: ParseErrorKind, at: usize) -> Self {
        ValueError { kind, at }
    }

    /// What was wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// The offset of the fault in the value.
    pub fn offset(&self) -> usize {
        self.at
    }
}

/// Why a request could not be built. Each variant names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A URI that is not `sip:`, `sips:` or `tel:`, or holds bytes a header cannot
    /// carry (space, control characters, `<`, `>`, `"`, ...).
    #[error("{field}: {value:?} is not a sip:, sips: or tel: URI that can be written in a header")]
    InvalidUri {
        /// The field.
        field: &'static str,
        /// The value (at most 64 characters of it).
        value: String,
    },
    /// A value outside its grammar (a token, an id, a media type, a host, ...).
    #[error("{field}: {value:?} is not {expected}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// The value (at most 64 characters of it).
        value: String,
        /// What the value should be.
        expected: &'static str,
    },
    /// CR, LF or another control character in text that goes in a header (display
    /// name, Subject, CPIM header): a quoted string cannot carry it.
    #[error("{field}: control characters such as CR or LF cannot be written in a header")]
    ControlCharacter {
        /// The field.
        field: &'static str,
    },
    /// The message is too large for a pager-mode MESSAGE.
    #[error(
        "message body of {size} bytes is over the pager-mode limit of {limit} bytes: \
         send it in large-message mode (7.2.1.2), or let the pager builder switch"
    )]
    TooLargeForPagerMode {
        /// The size of the MESSAGE body (the CPIM message).
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A value the procedure needs is missing.
    #[error("{field} is required: {why}")]
    Missing {
        /// The field.
        field: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A time before 1970 cannot be written as a CPIM DateTime.
    #[error("CPIM DateTime: the time is before 1970-01-01")]
    TimeBeforeEpoch,
    /// A time after 9999-12-31T23:59:59.999Z cannot be written as a CPIM DateTime
    /// (RFC 3339 years have four digits).
    #[error("CPIM DateTime: the time is after 9999-12-31T23:59:59.999Z")]
    TimeAfterYear9999,
    /// An application product in User-Agent that is neither a product nor a comment.
    #[error(transparent)]
    Product(#[from] ProductError),
    /// No boundary or MSRP transaction id could be found that does not occur in the
    /// content (only possible with a generator that keeps repeating itself, or an
    /// explicit id that occurs in the content).
    #[error("{field}: the value occurs in the content it must delimit")]
    Collision {
        /// The field.
        field: &'static str,
    },
}

/// At most 64 characters of a refused value, for an error.
pub(crate) fn shown(value: &str) -> String {
    value.chars().take(64).collect()
}

/// A [`BuildError::InvalidValue`] for `field`.
pub(crate) fn invalid(field: &'static str, value: &str, expected: &'static str) -> BuildError {
    BuildError::InvalidValue {
        field,
        value: shown(value),
        expected,
    }
}
