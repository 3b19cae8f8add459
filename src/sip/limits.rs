//! Size limits on what the reader accepts.

/// Bounds on an incoming request. Input beyond any of them is refused with a
/// [`ParseError`](crate::ParseError) before more work is spent on it, so the work per
/// request is bounded by these numbers and grows linearly with the input.
///
/// | limit | default | why this default |
/// | --- | --- | --- |
/// | `max_message_size` | 262 144 bytes (256 KiB) | four times the largest UDP datagram; room for a multipart INVITE with a file-transfer thumbnail over TCP |
/// | `max_headers` | 1 024 header lines | real CPM requests carry 15 to 40; RFC 4475's longest torture message about 60 |
/// | `max_header_size` | 16 384 bytes per header, folds included | the longest real values (Route sets, P-Access-Network-Info, feature-tag lists) stay under 2 KiB |
/// | `max_accept_contact_values` | 128 values over all Accept-Contact headers | deployed clients send one to three |
/// | `max_params` | 64 parameters in one Accept-Contact, Contact or Via value | a REGISTER Contact with every RCS tag has about 15 |
/// | MSRP chunk size (what the client *sends*; not a field, see below) | 2 048 bytes of content per SEND: [`DEFAULT_CHUNK_SIZE`] | well under the 10 KB at which RFC 4975 section 7.1.1 tells senders to interrupt a chunk |
///
/// Each reading limit is inclusive: a request with exactly `max_headers` header lines
/// reads, one more is refused with [`ParseErrorKind::TooManyHeaders`] naming the
/// limit, and likewise [`MessageTooLarge`](crate::ParseErrorKind::MessageTooLarge),
/// [`HeaderTooLong`](crate::ParseErrorKind::HeaderTooLong) (the header counted from the first
/// byte of its name to the CRLF that ends it, fold CRLFs included),
/// [`TooManyAcceptContactValues`](crate::ParseErrorKind::TooManyAcceptContactValues) and
/// [`TooManyParams`](crate::ParseErrorKind::TooManyParams). The
/// [`Dispatcher`](crate::Dispatcher) answers them 513 (message size) or 400 with the
/// error as reason phrase (nothing when the request has no Via).
///
/// The MSRP chunk size bounds what the client writes, not what it reads, so it is set
/// where MSRP messages are built rather than here: per message with
/// [`MsrpMessage::chunk_size`] or [`LargeMessage::chunk_size`], [`DEFAULT_CHUNK_SIZE`]
/// when not set. A size of 0 is refused with
/// [`BuildError::InvalidValue`](crate::BuildError::InvalidValue) (by
/// [`LargeMessage::build`] and by [`MsrpMessage::chunks`]); any size from 1 up to
/// `usize::MAX` is valid, and a size at or above the content's length gives one chunk.
///
/// [`DEFAULT_CHUNK_SIZE`]: crate::outgoing::DEFAULT_CHUNK_SIZE
/// [`MsrpMessage::chunk_size`]: crate::outgoing::MsrpMessage::chunk_size
/// [`MsrpMessage::chunks`]: crate::outgoing::MsrpMessage::chunks
/// [`LargeMessage::chunk_size`]: crate::outgoing::LargeMessage::chunk_size
/// [`LargeMessage::build`]: crate::outgoing::LargeMessage::build
/// [`ParseErrorKind::TooManyHeaders`]: crate::ParseErrorKind::TooManyHeaders
///
/// # Example
///
/// ```
/// use cpm_client::{routing, Limits};
///
/// let strict = Limits { max_headers: 8, ..Limits::DEFAULT };
/// let many = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
///     From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\
///     X-1: 1\r\nX-2: 2\r\nX-3: 3\r\nX-4: 4\r\n\r\n";
/// assert!(routing(many, &Limits::DEFAULT).is_ok());
/// assert_eq!(routing(many, &strict).unwrap_err().to_string(), "line 10: more than 8 headers");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest input, in bytes, head and body together.
    pub max_message_size: usize,
    /// Most header lines (a folded header counts once).
    pub max_headers: usize,
    /// Longest header, name, folds and value together, in bytes.
    pub max_header_size: usize,
    /// Most Accept-Contact values over all the request's Accept-Contact headers.
    pub max_accept_contact_values: usize,
    /// Most parameters in one Accept-Contact, Contact or Via value.
    pub max_params: usize,
}

impl Limits {
    /// The defaults of the table above.
    pub const DEFAULT: Limits = Limits {
        max_message_size: 256 * 1024,
        max_headers: 1024,
        max_header_size: 16 * 1024,
        max_accept_contact_values: 128,
        max_params: 64,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
